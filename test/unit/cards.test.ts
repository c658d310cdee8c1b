import { strict as assert } from 'node:assert';
import { assignmentOf } from '../../src/domain/assignment';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditEntry } from '../../src/app/ports';
import { REQUEST_STATES, type AccessRequest } from '../../src/domain/request';
import { CARD_KINDS, type CardKind } from '../../src/domain/effects';
import { errorText, formatDate, formatDateTime, localeOf, messageCatalog, stateText, t, type Locale } from '../../src/teams/i18n';
import { en } from '../../src/teams/i18n/en';
import { ja } from '../../src/teams/i18n/ja';
import { VERBS } from '../../src/teams/verbs';
import { CARD_ACTIONS } from '../../src/teams/application';
import {
  cardAttachment,
  MAX_REFRESH_USERS,
  renderCancelList,
  renderFailedRequests,
  renderApprovalsInbox,
  renderManagedPackages,
  renderPackageAssignments,
  renderPackageFailures,
  renderPackageRequests,
  renderDecidedByMe,
  renderHelp,
  renderReprocessOutcome,
  renderRequestHistory,
  renderMyRequests,
  renderRequestCard,
  renderRequestForm,
  TEMPLATE_NAMES,
  type AdaptiveCard,
  type RequestCardOptions,
  type RequestFormModel,
  type TemplateName,
} from '../../src/teams/views';
import { cardsDirectory, renderTemplate } from '../../src/teams/views/render';
import { MAX_RESOURCE_ROWS } from '../../src/teams/views/requestParts';
import { parseCard } from '../support/adaptiveCards';
import { statusSections } from '../support/statusCard';
import {
  ACCESS_ENDS_AT,
  APPROVER,
  CARD_OPTIONS,
  ESCALATION_APPROVER,
  HISTORY_NAMES,
  NOW,
  OTHER_APPROVER,
  REQUESTER,
  REQUEST_FORM,
  STAGE_ONE_DUE_AT,
  STAGE_TWO_APPROVER,
  buildRequest,
  buildResources,
  buildStage,
  deliveredRequest,
  forwardedRequest,
  lastOwnerRemoval,
  manyFailedResources,
  requestHistory,
  twoStageRequest,
  withDecision,
  withDelivery,
  withResourceNames,
} from '../support/requestFixtures';

type Json = Record<string, unknown>;

const LOCALES: Locale[] = ['en', 'ja'];
const MAX_CARD_BYTES = 28 * 1024;
/** Verbs with a registered route: every verb on a card must be one of them. */
const VERB_VALUES: string[] = Object.keys(CARD_ACTIONS);

const FORM: RequestFormModel = REQUEST_FORM;

/** Every object in a card, depth first. */
function objectsIn(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (typeof value !== 'object' || value === null) return [];
  return [value as Json, ...Object.values(value).flatMap(objectsIn)];
}

/** The buttons of a card (the `refresh` action is not a button). */
function actionsOf(card: AdaptiveCard): Json[] {
  return objectsIn({ ...card, refresh: undefined }).filter((o) => typeof o.type === 'string' && o.type.startsWith('Action.'));
}

function refreshOf(card: AdaptiveCard): { action: Json; userIds: string[] } | undefined {
  return card.refresh as { action: Json; userIds: string[] } | undefined;
}

function inputsOf(card: AdaptiveCard): Json[] {
  return objectsIn(card).filter((o) => typeof o.type === 'string' && o.type.startsWith('Input.'));
}

/** Everything a person can read on the card, in one string. */
function visibleText(card: AdaptiveCard): string {
  return objectsIn(card)
    .flatMap((o) => ['text', 'title', 'value', 'label'].map((key) => o[key]))
    .filter((v): v is string => typeof v === 'string')
    .join('\n');
}

function approvalCard(request: AccessRequest, viewerId: string, options: Partial<RequestCardOptions> = {}, locale: Locale = 'en') {
  return renderRequestCard('approvalRequest', request, { id: viewerId, locale }, { ...CARD_OPTIONS, ...options });
}

function requesterCard(kind: CardKind, request: AccessRequest, locale: Locale = 'en') {
  return renderRequestCard(kind, request, { id: REQUESTER.id, locale }, CARD_OPTIONS);
}

/** Realistic renderings covering every template, several per template where the views differ. */
const SCENARIOS: Array<{ name: string; template: TemplateName; render: (locale: Locale) => AdaptiveCard }> = [
  { name: 'request form', template: 'requestForm', render: (l) => renderRequestForm(FORM, l) },
  { name: 'empty request form', template: 'requestForm', render: (l) => renderRequestForm({ packages: [] }, l) },
  { name: 'help', template: 'help', render: (l) => renderHelp(l) },
  {
    name: 'approvals inbox, two waiting',
    template: 'approvalsInbox',
    render: (l) => renderApprovalsInbox({ waiting: [{ request: buildRequest(), stageCount: 1, justificationRequired: true }, { request: { ...twoStageRequest(), id: 'req-2026-0002' }, stageCount: 2, justificationRequired: false }], more: 3 }, l),
  },
  { name: 'approvals inbox, empty', template: 'approvalsInbox', render: (l) => renderApprovalsInbox({ waiting: [], more: 0 }, l) },
  {
    name: 'manage, two packages',
    template: 'manage',
    render: (l) =>
      renderManagedPackages(
        [
          { packageId: 'crm-users', packageName: 'CRM users', catalogName: 'Sales', pending: 2, failed: 1, active: 14, policies: [{ id: 'employees', displayName: 'Employees' }, { id: 'contractors', displayName: 'Contractors' }] },
          { packageId: 'sales-team', packageName: 'Sales team', catalogName: 'Sales', pending: 0, failed: 0, active: 3, policies: [{ id: 'members', displayName: 'Members' }] },
        ],
        l,
      ),
  },
  {
    name: 'manage, a package\'s assignments',
    template: 'manage',
    render: (l) => renderPackageAssignments('CRM users', [assignmentOf(deliveredRequest())!, { ...assignmentOf(deliveredRequest())!, personId: 'x', state: 'expired', endsAt: undefined }], l),
  },
  { name: 'manage, no requests', template: 'manage', render: (l) => renderPackageRequests('CRM users', [], l) },
  {
    name: 'manage, 60 failed deliveries with long errors',
    template: 'manage',
    render: (l) => renderPackageFailures('CRM users', Array(60).fill(manyFailedResources()), l, { now: NOW }),
  },
  {
    name: 'decided by me',
    template: 'approvalsInbox',
    render: (l) => renderDecidedByMe({ decided: [{ request: deliveredRequest(), outcome: 'approved', at: '2026-03-04T10:15:00.000Z' }] }, l),
  },
  { name: 'status, pending', template: 'requestStatus', render: (l) => requesterCard('requestStatus', buildRequest(), l) },
  {
    name: 'status, partially delivered after two stages',
    template: 'requestStatus',
    render: (l) =>
      requesterCard('requestStatus', {
        ...twoStageRequest(),
        state: 'partiallyDelivered',
        stages: withDecision(twoStageRequest(), 'approved', STAGE_TWO_APPROVER, '承認します。').stages,
        resources: [buildResources('delivered')[0], buildResources('failed', 'Request_ResourceNotFound: group not found')[1]],
      }, l),
  },
  {
    name: 'approval, actionable',
    template: 'approvalRequest',
    render: (l) => approvalCard(buildRequest(), APPROVER.id, {}, l),
  },
  {
    name: 'approval, decided',
    template: 'approvalRequest',
    render: (l) => approvalCard(withDecision(buildRequest(), 'approved', APPROVER, 'Needed for the Contoso account.'), OTHER_APPROVER.id, {}, l),
  },
  {
    name: 'approval, expired',
    template: 'approvalRequest',
    render: (l) => approvalCard(buildRequest({ state: 'expired' }), APPROVER.id, {}, l),
  },
  {
    name: 'denied',
    template: 'requestDenied',
    render: (l) => requesterCard('requestDenied', withDecision(buildRequest(), 'denied', APPROVER, 'Use the read-only package instead.'), l),
  },
  {
    name: 'delivered',
    template: 'accessDelivered',
    render: (l) => requesterCard('accessDelivered', withDelivery(withDecision(buildRequest(), 'approved'), 'delivered'), l),
  },
  {
    name: 'status with 90 failed resources and long errors',
    template: 'requestStatus',
    render: (l) => requesterCard('requestStatus', manyFailedResources(), l),
  },
  { name: 'approval, canceled', template: 'approvalRequest', render: (l) => approvalCard(buildRequest({ state: 'canceled' }), APPROVER.id, {}, l) },
  { name: 'approval, forwarded', template: 'approvalRequest', render: (l) => approvalCard(forwardedRequest(), ESCALATION_APPROVER.id, {}, l) },
  { name: 'reminder, actionable', template: 'approvalRequest', render: (l) => reminderCard(buildRequest(), APPROVER.id, l) },
  { name: 'reminder, decided', template: 'approvalRequest', render: (l) => reminderCard(withDecision(buildRequest(), 'denied', OTHER_APPROVER), APPROVER.id, l) },
  { name: 'request expired (#3)', template: 'requesterNotice', render: (l) => requesterCard('requestExpired', buildRequest({ state: 'expired' }), l) },
  { name: 'access ending soon (#7)', template: 'requesterNotice', render: (l) => requesterCard('accessEndingSoon', deliveredRequest(), l) },
  { name: 'access ended (#8)', template: 'requesterNotice', render: (l) => requesterCard('accessEnded', { ...deliveredRequest(), state: 'accessExpired' }, l) },
  { name: 'my requests', template: 'myRequests', render: (l) => renderMyRequests({ requests: requestHistory() }, l, { now: NOW }) },
  { name: 'my requests, none', template: 'myRequests', render: (l) => renderMyRequests({ requests: [] }, l, { now: NOW }) },
  { name: 'my requests, 20 large failed requests', template: 'myRequests', render: (l) => renderMyRequests({ requests: Array(20).fill(manyFailedResources()) }, l, { now: NOW }) },
  { name: 'cancel list', template: 'cancelList', render: (l) => renderCancelList({ requests: cancelable() }, l, { now: NOW }) },
  { name: 'cancel list, nothing to cancel', template: 'cancelList', render: (l) => renderCancelList({ requests: [] }, l, { now: NOW }) },
  ...reprocessScenarios(),
];

/** The managers' cards: the channel alert, the `failed` list, a request's history, a Reprocess answer. */
function reprocessScenarios(): Array<{ name: string; template: TemplateName; render: (locale: Locale) => AdaptiveCard }> {
  const failed = partlyDelivered();
  const many = { ...manyFailedResources(), completedAt: '2026-03-04T10:16:00.000Z' };
  const history: AuditEntry[] = [
    { version: 1, at: '2026-03-02T08:30:00.000Z', action: 'transition', actorId: REQUESTER.id, outcome: '→ submitted', detail: 'request for CRM users submitted' },
    { version: 3, at: '2026-03-04T10:15:00.000Z', action: 'transition', actorId: APPROVER.id, outcome: 'pendingApproval → approved', detail: 'stage 1 approved by Adele Vance' },
    { version: 4, at: '2026-03-04T10:16:00.000Z', action: 'graphWrite', detail: 'group crm', outcome: 'delivered' },
    { version: 4, at: '2026-03-04T10:16:00.000Z', action: 'graphWrite', detail: 'app role crm', outcome: 'failed: HTTP 403 Authorization_RequestDenied' },
    { version: 5, at: '2026-03-05T08:00:00.000Z', action: 'reprocess', actorId: STAGE_TWO_APPROVER.id, outcome: 'queued' },
  ];
  return [
    { name: 'delivery failed alert, reprocessable', template: 'deliveryFailedAlert', render: (l) => requesterCard('deliveryFailedAlert', failed, l) },
    { name: 'delivery failed alert, 90 failed resources', template: 'deliveryFailedAlert', render: (l) => requesterCard('deliveryFailedAlert', many, l) },
    {
      name: 'delivery failed alert, delivered after reprocess',
      template: 'deliveryFailedAlert',
      render: (l) => requesterCard('deliveryFailedAlert', { ...deliveredRequest(), reprocessedAt: '2026-03-05T08:00:00.000Z' }, l),
    },
    { name: 'removal failed alert, last owner', template: 'deliveryFailedAlert', render: (l) => requesterCard('removalFailedAlert', lastOwnerRemoval(), l) },
    { name: 'failed requests', template: 'failedRequests', render: (l) => renderFailedRequests({ catalogNames: ['Sales'], requests: [failed, many], now: NOW }, l) },
    { name: 'failed requests, none', template: 'failedRequests', render: (l) => renderFailedRequests({ catalogNames: ['Sales'], requests: [], now: NOW }, l) },
    { name: 'request history', template: 'requestHistory', render: (l) => renderRequestHistory(failed, history, HISTORY_NAMES, l) },
    { name: 'request history, empty', template: 'requestHistory', render: (l) => renderRequestHistory(failed, [], {}, l) },
    {
      name: 'reprocess outcome',
      template: 'reprocessOutcome',
      render: (l) =>
        renderReprocessOutcome(
          [
            { requestId: failed.id, status: 'queued', request: failed },
            { requestId: 'req-2026-0009', status: 'refused', request: deliveredRequest(), messageKey: 'error.notReprocessable', params: { state: 'delivered' } },
          ],
          l,
        ),
    },
  ];
}

/** CRM users delivered in part the day before NOW: the group, not the app role. */
function partlyDelivered(): AccessRequest {
  const approved = withDecision(buildRequest(), 'approved');
  const [group] = buildResources('delivered');
  const [, appRole] = buildResources('failed', 'HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.');
  return { ...approved, version: approved.version + 1, state: 'partiallyDelivered', completedAt: '2026-03-04T10:16:00.000Z', resources: [group, appRole] };
}

function reminderCard(request: AccessRequest, viewerId: string, locale: Locale = 'en') {
  return renderRequestCard('approvalReminder', request, { id: viewerId, locale }, CARD_OPTIONS);
}

function cancelable(): AccessRequest[] {
  return [buildRequest(), buildRequest({ id: 'req-2026-0009', version: 7, packageName: 'Sales team', state: 'scheduled', stages: [] })];
}

describe('Adaptive Card templates', () => {
  it('cards/ holds exactly one template per view, each of schema version 1.5', () => {
    const files = readdirSync(cardsDirectory()).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, TEMPLATE_NAMES.map((name) => `${name}.json`).sort());
    for (const file of files) {
      const template = JSON.parse(readFileSync(path.join(cardsDirectory(), file), 'utf8')) as Json;
      assert.equal(template.type, 'AdaptiveCard', file);
      assert.equal(template.version, '1.5', file);
    }
  });

  it('templates hold no hard-coded text: every readable property is a binding', () => {
    for (const name of TEMPLATE_NAMES) {
      const template = JSON.parse(readFileSync(path.join(cardsDirectory(), `${name}.json`), 'utf8')) as unknown;
      for (const object of objectsIn(template)) {
        for (const key of ['text', 'title', 'label', 'placeholder', 'errorMessage', 'value']) {
          const value = object[key];
          if (typeof value === 'string') assert.match(value, /^\$\{[^}]+\}$/, `${name}: ${key} "${value}"`);
        }
      }
    }
  });

  it('the scenarios below cover every template', () => {
    assert.deepEqual([...new Set(SCENARIOS.map((s) => s.template))].sort(), [...TEMPLATE_NAMES].sort());
  });

  for (const scenario of SCENARIOS) {
    for (const locale of LOCALES) {
      describe(`${scenario.name} (${locale})`, () => {
        const card = scenario.render(locale);
        const json = JSON.stringify(card);

        it('parses with the adaptivecards SDK at schema 1.5 without problems', () => {
          const report = parseCard(card);
          // Teams' people picker (`choices.data` with Data.Query graph.microsoft.com/users on an Input.ChoiceSet) is a
          // Teams extension its docs give for 1.2+ cards (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/people-picker);
          // the SDK knows it only from schema 1.6 on, and takes its empty static `choices` for a mistake. Those two
          // reports are the only ones allowed.
          const peoplePicker = (event: unknown) =>
            /^(Property "choices\.data" is supported in version 1\.6|An Input\.ChoiceSet must have at least one choice defined)/.test(String((event as { message?: string }).message ?? event));
          assert.deepEqual(report.parseEvents.filter((event) => !peoplePicker(event)), []);
          assert.deepEqual(report.validationEvents.filter((event) => !peoplePicker(event)), []);
        });

        it('declares version 1.5 or lower', () => {
          const [major, minor] = card.version.split('.').map(Number);
          assert.ok(major === 1 && minor <= 5, card.version);
        });

        it('uses only Action.Execute, with verbs that have routes and data that carries ids only', () => {
          const refresh = refreshOf(card);
          for (const action of [...actionsOf(card), ...(refresh ? [refresh.action] : [])]) {
            // A ShowCard only opens a part of the card; the Action.Execute buttons inside it are checked here too.
            if (action.type === 'Action.ShowCard') {
              assert.ok(actionsOf(action.card as AdaptiveCard).some((inner) => inner.type === 'Action.Execute'), 'a ShowCard leads to a button');
              continue;
            }
            assert.equal(action.type, 'Action.Execute');
            assert.ok(VERB_VALUES.includes(action.verb as string), `verb ${String(action.verb)}`);
            // A request (with the version shown; `inbox`: clicked on the `approvals` card), a package, or nothing.
            const keys = Object.keys((action.data ?? {}) as Json).filter((key) => key !== 'inbox').sort();
            assert.ok([[], ['packageId'], ['packageId', 'personId'], ['requestId', 'version']].some((ids) => JSON.stringify(ids) === JSON.stringify(keys)), keys.join(', '));
          }
        });

        it('leaves no binding unexpanded and stays under 28 KB', () => {
          assert.ok(!json.includes('${'), json.match(/.{0,40}\$\{.{0,40}/)?.[0]);
          assert.ok(Buffer.byteLength(json) < MAX_CARD_BYTES, `${Buffer.byteLength(json)} bytes`);
        });

        it('has its title in its locale', () => {
          const title = String((card.body[0] as Json).text);
          assert.equal(/[\u3040-\u30ff\u4e00-\u9fff]/.test(title), locale === 'ja', title);
        });
      });
    }
  }

  it('renderTemplate throws when the view model lacks a field the template binds', () => {
    assert.throws(() => renderTemplate('help', { title: 'Help' }), /help.*unbound/);
  });

  it('user text that looks like a binding is shown, not mistaken for an unbound field', () => {
    const card = requesterCard('requestStatus', buildRequest({ justification: 'Please grant ${everything}' }));
    assert.match(visibleText(card), /Please grant \$\u200b\{everything\}/);
  });

  it('cardAttachment wraps a card as an Adaptive Card attachment', () => {
    const card = renderHelp('en');
    assert.deepEqual(cardAttachment(card), { contentType: 'application/vnd.microsoft.card.adaptive', content: card });
  });
});

describe('request form', () => {
  it('offers the requestable packages in a compact choice set, each with its description', () => {
    const card = renderRequestForm(FORM, 'en');
    const [choiceSet] = inputsOf(card).filter((i) => i.id === 'packageId');
    assert.equal(choiceSet.type, 'Input.ChoiceSet');
    assert.equal(choiceSet.style, 'compact');
    assert.deepEqual(choiceSet.choices, [
      { title: 'CRM users', value: 'crm-users' },
      { title: 'Expense report viewers', value: 'expense-viewers' },
    ]);
    const text = visibleText(card);
    assert.match(text, /Access to the CRM app and the sales team group/);
    assert.match(text, /Read-only access to the expense reports/);
  });

  it('has a multiline justification of at most 1000 characters, required only when every package requires it', () => {
    const justification = (model: RequestFormModel) => inputsOf(renderRequestForm(model, 'en')).find((i) => i.id === 'justification');
    const mixed = justification(FORM);
    assert.equal(mixed?.isMultiline, true);
    assert.equal(mixed?.maxLength, 1000);
    assert.equal(mixed?.isRequired, false);
    assert.match(String(mixed?.label), /some access packages/);
    const allRequired = justification({ packages: [FORM.packages[0]] });
    assert.equal(allRequired?.isRequired, true);
    assert.equal(allRequired?.label, 'Justification (required)');
    assert.equal(justification({ packages: [FORM.packages[1]] })?.label, 'Justification');
  });

  it('shows start and end dates only when a package allows them', () => {
    const dateIds = (model: RequestFormModel) =>
      inputsOf(renderRequestForm(model, 'en')).filter((i) => i.type === 'Input.Date').map((i) => i.id);
    assert.deepEqual(dateIds(FORM), ['startDate', 'endDate']);
    assert.deepEqual(dateIds({ packages: [FORM.packages[1]] }), []);
  });

  it('submits with the submit verb and no data of its own', () => {
    const [submit] = actionsOf(renderRequestForm(FORM, 'ja'));
    assert.equal(submit.verb, VERBS.submitRequest);
    assert.equal(submit.title, '要求を送信');
    assert.equal(submit.data, undefined);
  });

  it('preselects the only package when there is one', () => {
    const [choiceSet] = inputsOf(renderRequestForm({ packages: [FORM.packages[0]] }, 'en'));
    assert.equal(choiceSet.value, 'crm-users');
  });

  it('says so kindly, with no inputs or buttons, when there is nothing to request', () => {
    const card = renderRequestForm({ packages: [] }, 'en');
    assert.deepEqual(inputsOf(card), []);
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(card), /no access packages you can request/);
  });
});

describe('approval card', () => {
  const buttons = (card: AdaptiveCard) => actionsOf(card).map((a) => ({ title: a.title, verb: a.verb, style: a.style, data: a.data }));

  it('asks a current approver to act, with the facts of the request', () => {
    const request = buildRequest();
    const card = approvalCard(request, APPROVER.id);
    const text = visibleText(card);
    assert.match(text, /^Action required: approve or deny Megan Bowen's request for CRM users by Mar 16, 2026/);
    for (const expected of ['Megan Bowen', 'Sales', 'Account Manager', 'CRM users', 'Mar 9, 2026', 'Sep 30, 2026', 'Mar 2, 2026, 8:30 AM UTC', 'Mar 16, 2026, 8:30 AM UTC', '1 of 2', 'Contoso account']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
    assert.deepEqual(buttons(card), [
      { title: 'Approve', verb: VERBS.approve, style: 'positive', data: { requestId: request.id, version: request.version } },
      { title: 'Deny', verb: VERBS.deny, style: 'destructive', data: { requestId: request.id, version: request.version } },
    ]);
  });

  it('asks for the approver justification, required when the stage requires it', () => {
    const input = (required: boolean) =>
      inputsOf(approvalCard(buildRequest(), APPROVER.id, { approverJustificationRequired: required })).find((i) => i.id === 'approverJustification');
    assert.equal(input(true)?.isRequired, true);
    assert.equal(input(true)?.label, 'Your justification (required)');
    assert.equal(input(false)?.isRequired, false);
  });

  it('shows no actions to the requester, even one listed as an approver', () => {
    const request = buildRequest({ stages: [buildStage({ approverIds: [REQUESTER.id, APPROVER.id] })] });
    const card = approvalCard(request, REQUESTER.id);
    assert.deepEqual(actionsOf(card), []);
    assert.deepEqual(inputsOf(card), []);
    assert.match(visibleText(card), /your own request/);
  });

  it('shows no actions to someone who is not an approver of the stage', () => {
    const card = approvalCard(buildRequest(), STAGE_TWO_APPROVER.id);
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(card), /Only the approvers of this stage/);
  });

  it('shows no actions once the stage is past its due time, even before the scheduler expires it', () => {
    const card = approvalCard(buildRequest(), APPROVER.id, { now: new Date(STAGE_ONE_DUE_AT) });
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(card), /expired/);
    assert.equal(actionsOf(approvalCard(buildRequest(), APPROVER.id, { now: new Date(Date.parse(STAGE_ONE_DUE_AT) - 1) })).length, 2);
  });

  it('after a decision, names the decider, the time and the justification to every approver (#4), without actions', () => {
    const decided = withDecision(buildRequest(), 'approved', APPROVER, 'Needed for the Contoso account.');
    for (const viewer of [APPROVER.id, OTHER_APPROVER.id]) {
      const card = approvalCard(decided, viewer);
      const text = visibleText(card);
      assert.match(text, /^Megan Bowen's request for CRM users was completed/);
      assert.match(text, /Approved by Adele Vance on Mar 4, 2026, 10:15 AM UTC/);
      assert.match(text, /: Needed for the Contoso account\./);
      assert.deepEqual(actionsOf(card), []);
      assert.deepEqual(inputsOf(card), []);
    }
  });

  it('after a denial, says denied by whom', () => {
    const card = approvalCard(withDecision(buildRequest(), 'denied', OTHER_APPROVER), APPROVER.id);
    assert.match(visibleText(card), /Denied by Alex Wilber on Mar 4, 2026/);
    assert.deepEqual(actionsOf(card), []);
  });

  it('says when the requester canceled', () => {
    const card = approvalCard(buildRequest({ state: 'canceled' }), APPROVER.id);
    assert.match(visibleText(card), /was canceled[\s\S]*Megan Bowen canceled the request/);
    assert.deepEqual(actionsOf(card), []);
  });

  it('keeps the stage-1 approver on their decided stage while stage 2 asks its own approver', () => {
    const request = twoStageRequest();
    const stageOne = approvalCard(request, APPROVER.id);
    assert.deepEqual(actionsOf(stageOne), []);
    assert.match(visibleText(stageOne), /Approved by Adele Vance[\s\S]*1 of 2|1 of 2[\s\S]*Approved by Adele Vance/);
    const stageTwo = approvalCard(request, STAGE_TWO_APPROVER.id, {}, 'ja');
    assert.equal(actionsOf(stageTwo).length, 2);
    const text = visibleText(stageTwo);
    assert.match(text, /^対応が必要です: Megan Bowen さんの CRM users の要求を 2026年3月18日 までに承認または拒否してください/);
    assert.ok(text.includes('2 / 2'), text);
    assert.deepEqual(actionsOf(stageTwo).map((a) => a.title), ['承認', '拒否']);
  });
});

describe('approval reminder, forwarding and refresh', () => {
  const CLOSED: Array<[string, AccessRequest]> = [
    ['decided', withDecision(buildRequest(), 'approved', OTHER_APPROVER)],
    ['expired', buildRequest({ state: 'expired' })],
    ['canceled', buildRequest({ state: 'canceled' })],
  ];

  it('renderRequestCard renders every card kind, in many states, as a clean 1.5 card in both languages', () => {
    const requests = [buildRequest(), twoStageRequest(), forwardedRequest(), deliveredRequest(), ...CLOSED.map(([, r]) => r), manyFailedResources()];
    for (const kind of CARD_KINDS) {
      for (const request of requests) {
        for (const locale of LOCALES) {
          for (const viewer of [REQUESTER.id, APPROVER.id, ESCALATION_APPROVER.id]) {
            const card = renderRequestCard(kind, request, { id: viewer, locale }, CARD_OPTIONS);
            assert.deepEqual(parseCard(card), { parseEvents: [], validationEvents: [] }, `${kind} ${request.state} ${locale}`);
          }
        }
      }
    }
  });

  it('the reminder (#2) is the approval card headed as a reminder, with the same buttons', () => {
    const request = buildRequest();
    const card = renderRequestCard('approvalReminder', request, { id: APPROVER.id, locale: 'en' }, CARD_OPTIONS);
    assert.match(visibleText(card), /^Reminder: approve or deny Megan Bowen's request for CRM users by Mar 16, 2026\n/);
    assert.deepEqual(actionsOf(card), actionsOf(approvalCard(request, APPROVER.id)));
    assert.deepEqual(inputsOf(card), inputsOf(approvalCard(request, APPROVER.id)));
    const ja = renderRequestCard('approvalReminder', request, { id: APPROVER.id, locale: 'ja' }, CARD_OPTIONS);
    assert.match(visibleText(ja), /^リマインダー: Megan Bowen さんの CRM users の要求を 2026年3月16日 までに承認または拒否してください/);
  });

  for (const [name, request] of CLOSED) {
    it(`the reminder of a ${name} request shows the same read-only view as the approval card`, () => {
      const reminder = renderRequestCard('approvalReminder', request, { id: APPROVER.id, locale: 'en' }, CARD_OPTIONS);
      assert.deepEqual(reminder, approvalCard(request, APPROVER.id));
      assert.deepEqual(actionsOf(reminder), []);
      assert.doesNotMatch(visibleText(reminder), /Reminder/);
    });
  }

  it('tells a forwarded approver why they got the request, and lets them decide', () => {
    const card = approvalCard(forwardedRequest(), ESCALATION_APPROVER.id);
    const text = visibleText(card);
    assert.match(text, /^Action required: approve or deny Megan Bowen's request for CRM users by Mar 16, 2026\nForwarded to you: nobody decided within 5 days/);
    assert.equal(actionsOf(card).length, 2);
    const ja = visibleText(approvalCard(forwardedRequest(), ESCALATION_APPROVER.id, {}, 'ja'));
    assert.match(ja, /転送された要求: 5 日以内に/);
  });

  it('says nothing about forwarding to the primary approvers, who can still decide', () => {
    for (const viewer of [APPROVER.id, OTHER_APPROVER.id]) {
      const card = approvalCard(forwardedRequest(), viewer);
      assert.doesNotMatch(visibleText(card), /Forwarded|forwarded/);
      assert.equal(actionsOf(card).length, 2);
    }
  });

  it('a forwarded approver sees the same closed view as everyone once it is decided', () => {
    const decided = withDecision(forwardedRequest(), 'approved', ESCALATION_APPROVER);
    const card = approvalCard(decided, ESCALATION_APPROVER.id);
    assert.match(visibleText(card), /was completed[\s\S]*Approved by Lee Gu/);
    assert.deepEqual(actionsOf(card), []);
  });

  /** A Teams user id (MRI) per person, as the bot resolves them from stored conversations before rendering. */
  const mri = (id: string) => `29:1mri-of-${id}`;
  const teamsUserIds = (...ids: string[]) => Object.fromEntries(ids.map((id) => [id, mri(id)]));

  for (const kind of ['approvalRequest', 'approvalReminder'] as const) {
    it(`${kind}: refresh asks for each current approver's own view while the stage is open, naming them by Teams user id (MRI)`, () => {
      const request = forwardedRequest();
      const known = teamsUserIds(APPROVER.id, OTHER_APPROVER.id, ESCALATION_APPROVER.id, REQUESTER.id);
      for (const viewer of [APPROVER.id, ESCALATION_APPROVER.id, REQUESTER.id, STAGE_TWO_APPROVER.id]) {
        const card = renderRequestCard(kind, request, { id: viewer, locale: 'en' }, { ...CARD_OPTIONS, teamsUserIds: known });
        assert.deepEqual(refreshOf(card), {
          action: { type: 'Action.Execute', verb: VERBS.refreshCard, data: { requestId: request.id, version: request.version } },
          userIds: [mri(APPROVER.id), mri(OTHER_APPROVER.id), mri(ESCALATION_APPROVER.id)],
        });
      }
    });

    it(`${kind}: refresh never names an Entra object id; approvers whose MRI is not known yet are left out`, () => {
      const request = forwardedRequest();
      const card = renderRequestCard(kind, request, { id: APPROVER.id, locale: 'en' }, { ...CARD_OPTIONS, teamsUserIds: teamsUserIds(OTHER_APPROVER.id) });
      assert.deepEqual(refreshOf(card)?.userIds, [mri(OTHER_APPROVER.id)]);
      const unknown = renderRequestCard(kind, request, { id: APPROVER.id, locale: 'en' }, CARD_OPTIONS);
      assert.deepEqual(refreshOf(unknown)?.userIds, [], 'still a refresh (Teams refreshes every viewer of a chat under 60 people)');
    });

    it(`${kind}: no refresh once the stage is closed, expired, canceled or past due`, () => {
      const render = (request: AccessRequest, options: Partial<RequestCardOptions> = {}) =>
        renderRequestCard(kind, request, { id: APPROVER.id, locale: 'en' }, { ...CARD_OPTIONS, ...options });
      for (const [name, request] of CLOSED) assert.equal(refreshOf(render(request)), undefined, name);
      assert.equal(refreshOf(render(buildRequest(), { now: new Date(STAGE_ONE_DUE_AT) })), undefined, 'past due');
      // Stage 1 was decided; stage 2 is open, but this card is about stage 1.
      assert.equal(refreshOf(render(twoStageRequest())), undefined, 'stage 1 of a request now at stage 2');
    });
  }

  it('refresh names at most 60 users (Teams limit), each once', () => {
    const approverIds = Array.from({ length: 75 }, (_, i) => `approver-${String(i).padStart(2, '0')}`);
    const request = buildRequest({ stages: [buildStage({ approverIds: [...approverIds, ...approverIds] })] });
    const known = Object.fromEntries(approverIds.map((id) => [id, `29:1${id}`]));
    const refresh = refreshOf(approvalCard(request, 'approver-03', { teamsUserIds: known }));
    assert.equal(MAX_REFRESH_USERS, 60);
    assert.deepEqual(refresh?.userIds, approverIds.slice(0, 60).map((id) => `29:1${id}`));
  });

  it('stage 2 of 2 carries a refresh for its own approvers only', () => {
    const known = teamsUserIds(APPROVER.id, OTHER_APPROVER.id, STAGE_TWO_APPROVER.id);
    const card = approvalCard(twoStageRequest(), STAGE_TWO_APPROVER.id, { teamsUserIds: known });
    assert.deepEqual(refreshOf(card)?.userIds, [mri(STAGE_TWO_APPROVER.id)]);
  });
});

describe('requester cards', () => {
  it('status card shows the package, state, submitted time, justification, dates and who decided each stage', () => {
    const card = requesterCard('requestStatus', twoStageRequest());
    const text = visibleText(card);
    for (const expected of ['Your request for CRM users', 'Pending approval', 'Mar 2, 2026, 8:30 AM UTC', 'Contoso account', 'Mar 9, 2026', 'Sep 30, 2026', 'Stage 1 of 2', 'Approved by Adele Vance on Mar 4, 2026, 10:15 AM UTC', ': Fine by me.', 'Stage 2 of 2', 'Waiting for a decision, due by Mar 18, 2026, 10:15 AM UTC']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
    assert.deepEqual(actionsOf(card), []);
  });

  it('status card of a just-submitted request says nothing about approval yet, and "not needed" once past it', () => {
    const submitted = visibleText(requesterCard('requestStatus', buildRequest({ state: 'submitted', stages: [] })));
    assert.match(submitted, /Submitted/);
    assert.doesNotMatch(submitted, /Approval|approval/);
    const delivering = visibleText(requesterCard('requestStatus', buildRequest({ state: 'delivering', stages: [] })));
    assert.match(delivering, /No approval is needed/);
  });

  it('status card colours the state and lists each resource with its delivery status and last error', () => {
    const request = withDelivery(withDecision(buildRequest(), 'approved'), 'failed', 'Authorization_RequestDenied: Insufficient privileges');
    const card = requesterCard('requestStatus', request);
    const stateBlock = objectsIn(card).find((o) => o.text === 'Delivery failed');
    assert.equal(stateBlock?.color, 'attention');
    const text = visibleText(card);
    assert.match(text, /Group 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01 \(member\)/);
    assert.match(text, /App role 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e03 of application 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e02/);
    assert.match(text, /Failed/);
    assert.match(text, /Last error: Authorization_RequestDenied: Insufficient privileges/);
  });

  it('status card of a large package shows the first resources and counts the rest', () => {
    const card = requesterCard('requestStatus', manyFailedResources());
    assert.equal(objectsIn(card).filter((o) => o.text === 'Failed').length, MAX_RESOURCE_ROWS);
    assert.match(visibleText(card), new RegExp(`${90 - MAX_RESOURCE_ROWS} more resources are not shown`));
  });

  it('status card is in Japanese for a Japanese viewer', () => {
    const text = visibleText(requesterCard('requestStatus', withDecision(buildRequest(), 'denied', APPROVER, '不要です'), 'ja'));
    assert.match(text, /CRM users の要求/);
    assert.match(text, /拒否済み/);
    assert.match(text, /Adele Vance が 2026年3月4日 10:15 UTC に拒否しました/);
    assert.match(text, /：不要です/);
  });

  it('denied card (#5) names who denied, when, and why', () => {
    const card = requesterCard('requestDenied', withDecision(buildRequest(), 'denied', APPROVER, 'Use the read-only package instead.'));
    const text = visibleText(card);
    assert.match(text, /^Your request for CRM users was denied/);
    assert.match(text, /Denied by Adele Vance on Mar 4, 2026, 10:15 AM UTC/);
    assert.match(text, /Use the read-only package instead\./);
    assert.deepEqual(actionsOf(card), []);
  });

  it('delivered card (#6) lists the resources and the end date', () => {
    const card = requesterCard('accessDelivered', withDelivery(withDecision(buildRequest(), 'approved'), 'delivered'));
    const text = visibleText(card);
    assert.match(text, /^You now have access to CRM users/);
    assert.match(text, /Your access ends on Sep 30, 2026\./);
    assert.match(text, /Group 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01 \(member\)/);
    assert.equal(objectsIn(card).filter((o) => o.text === 'Delivered').length, 2);
    const noEnd = visibleText(requesterCard('accessDelivered', withDelivery(withDecision(buildRequest({ endDate: undefined }), 'approved'), 'delivered')));
    assert.doesNotMatch(noEnd, /ends on/);
  });

  it('expired card (#3) says nobody decided before the stage deadline and how to try again', () => {
    const card = requesterCard('requestExpired', buildRequest({ state: 'expired' }));
    const text = visibleText(card);
    assert.match(text, /^Your request for CRM users expired\nNobody decided on your request before Mar 16, 2026, 8:30 AM UTC, so it expired\./);
    assert.match(text, /submit a new request: send "request"/);
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(requesterCard('requestExpired', buildRequest({ state: 'expired' }), 'ja')), /^CRM users の要求は期限切れになりました/);
  });

  describe('access ending soon (#7)', () => {
    const DAY = 24 * 60 * 60 * 1000;
    const endingAt = (now: Date, locale: Locale = 'en', timeZone?: string) =>
      renderRequestCard('accessEndingSoon', withResourceNames(deliveredRequest()), { id: REQUESTER.id, locale }, { ...CARD_OPTIONS, now, timeZone });
    const titleAt = (now: Date, locale: Locale = 'en', timeZone?: string) => String((endingAt(now, locale, timeZone).body[0] as Json).text);
    const end = Date.parse(ACCESS_ENDS_AT);

    it('counts whole days, rounded up', () => {
      assert.equal(titleAt(NOW), 'Your access to CRM users ends in 14 days');
      assert.equal(titleAt(new Date(NOW.getTime() + 60_000)), 'Your access to CRM users ends in 14 days');
      assert.equal(titleAt(new Date(end - 3 * DAY + 1)), 'Your access to CRM users ends in 3 days');
      assert.equal(titleAt(NOW, 'ja'), 'CRM users へのアクセスはあと 14 日で終了します');
    });

    it('says tomorrow and today by the calendar of the zone', () => {
      assert.equal(titleAt(new Date(end - DAY)), 'Your access to CRM users ends tomorrow');
      assert.equal(titleAt(new Date(end - 2 * 60 * 60 * 1000)), 'Your access to CRM users ends today');
      assert.equal(titleAt(new Date(end - DAY), 'ja'), 'CRM users へのアクセスは明日終了します');
      // 23:00 UTC on Mar 18 is "tomorrow" in UTC but already Mar 19 in Tokyo.
      assert.equal(titleAt(new Date(end - 10 * 60 * 60 * 1000)), 'Your access to CRM users ends tomorrow');
      assert.equal(titleAt(new Date(end - 10 * 60 * 60 * 1000), 'en', 'Asia/Tokyo'), 'Your access to CRM users ends today');
    });

    it('gives the end date and the resources, and no button yet', () => {
      const card = endingAt(NOW);
      const text = visibleText(card);
      assert.match(text, /Your access ends on Mar 19, 2026, 9:00 AM UTC\./);
      assert.ok(text.includes('Your access includes\nCRM Users (member)\nCRM Reader in Contoso CRM'), text);
      assert.deepEqual(actionsOf(card), []);
    });
  });

  it('ended card (#8) gives the end date, the removed resources and how to ask again', () => {
    const ended = withResourceNames({ ...deliveredRequest(), state: 'accessExpired' });
    const removed = { ...ended, resources: ended.resources.map((r) => ({ ...r, status: 'removed' as const })) };
    const card = renderRequestCard('accessEnded', removed, { id: REQUESTER.id, locale: 'en' }, CARD_OPTIONS);
    const text = visibleText(card);
    assert.match(text, /^Your access to CRM users has ended\nYour access ended on Mar 19, 2026, 9:00 AM UTC/);
    assert.ok(text.includes('Removed access\nCRM Users (member)\nCRM Reader in Contoso CRM'), text);
    // A resource another package still grants is said apart; one never delivered is not listed as removed.
    const [group, appRole] = removed.resources;
    const partly = { ...removed, resources: [{ ...group, keptBy: 'Sales team' }, { ...appRole, status: 'failed' as const }] };
    const partlyText = visibleText(renderRequestCard('accessEnded', partly, { id: REQUESTER.id, locale: 'en' }, CARD_OPTIONS));
    assert.match(partlyText, /Your access ended on Mar 19, 2026, 9:00 AM UTC\. CRM Users \(member\) stays yours: Sales team still grants it\./);
    assert.ok(!partlyText.includes('Removed access'), partlyText);
    assert.match(text, /send "request"/);
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(requesterCard('accessEnded', deliveredRequest(), 'ja')), /^CRM users へのアクセスは終了しました/);
  });

  describe('expiry, extension and release', () => {
    const endingSoon = (request: AccessRequest, options: Partial<RequestCardOptions> = {}, viewer = REQUESTER.id) =>
      renderRequestCard('accessEndingSoon', withResourceNames(request), { id: viewer, locale: 'en' }, { ...CARD_OPTIONS, ...options });

    it('#7 offers Extend when the policy allows it now, to the requester only', () => {
      const card = endingSoon(deliveredRequest(), { extendable: true });
      assert.deepEqual(actionsOf(card).map((a) => [a.title, a.verb, a.data]), [
        ['Extend', VERBS.extendAccess, { requestId: deliveredRequest().id, version: deliveredRequest().version }],
      ]);
      assert.match(visibleText(card), /Select Extend to keep this access longer\./);
      assert.deepEqual(actionsOf(endingSoon(deliveredRequest(), { extendable: true }, APPROVER.id)), []);
      assert.deepEqual(actionsOf(endingSoon(deliveredRequest(), { extendable: false })), []);
    });

    it('#7 says when an extension waits for approval, when the access was extended, and when it ended', () => {
      const pending = { ...deliveredRequest(), pendingExtension: { requestId: 'ext-1', requestedAt: NOW.toISOString(), newEndsAt: '2027-03-19T09:00:00.000Z' } };
      assert.match(visibleText(endingSoon(pending)), /Your request to keep this access until Mar 19, 2027, 9:00 AM UTC is waiting for approval\./);
      const extended = { ...deliveredRequest(), accessEndsAt: '2027-03-19T09:00:00.000Z', extendedAt: NOW.toISOString() };
      assert.match(visibleText(endingSoon(extended)), /^Your access to CRM users ends in 379 days\nYour access was extended: it now ends on Mar 19, 2027/);
      const ended = endingSoon({ ...deliveredRequest(), state: 'accessExpired' }, { extendable: true });
      assert.match(visibleText(ended), /^Your access to CRM users has ended/);
      assert.deepEqual(actionsOf(ended), []);
      const ja = renderRequestCard('accessEndingSoon', pending, { id: REQUESTER.id, locale: 'ja' }, { ...CARD_OPTIONS, extendable: true });
      assert.match(visibleText(ja), /承認待ちです/);
    });

    it('an extension request reads as one on the approval card, with the current and the new end', () => {
      const extension: AccessRequest = {
        ...buildRequest({ startDate: undefined, endDate: undefined }),
        extensionOf: { requestId: 'req-2026-0001', currentEndsAt: ACCESS_ENDS_AT, newEndsAt: '2027-03-19T09:00:00.000Z' },
      };
      const text = visibleText(renderRequestCard('approvalRequest', extension, { id: APPROVER.id, locale: 'en' }, CARD_OPTIONS));
      assert.match(text, /^Action required: approve or deny Megan Bowen's request for CRM users \(extension\) by/);
      assert.ok(text.includes('Access ends now\nMar 19, 2026, 9:00 AM UTC'), text);
      assert.ok(text.includes('Extended until\nMar 19, 2027, 9:00 AM UTC'), text);
      const ja = visibleText(renderRequestCard('approvalRequest', extension, { id: APPROVER.id, locale: 'ja' }, CARD_OPTIONS));
      assert.match(ja, /CRM users \(延長\)/);
    });

    it('status: an access being removed has no Release button; a refused removal shows its error', () => {
      const failing: AccessRequest = {
        ...withResourceNames(deliveredRequest()),
        removalStartedAt: NOW.toISOString(),
        resources: withResourceNames(deliveredRequest()).resources.map((r, i) =>
          i === 0 ? { ...r, status: 'removalFailed', lastError: 'Authorization_RequestDenied: Insufficient privileges' } : { ...r, status: 'removed' },
        ),
      };
      const card = renderMyRequests({ requests: [failing] }, 'en', { now: NOW });
      const text = visibleText(card);
      assert.ok(text.includes('CRM Users (member)\nRemoval failed\nLast error: Authorization_RequestDenied'), text);
      assert.ok(text.includes('CRM Reader in Contoso CRM\nRemoved'), text);
      assert.match(text, /could not be removed yet; it is tried again every day/);
      assert.deepEqual(actionsOf(card), []);
    });
  });

  it('help lists the six commands with a sentence each', () => {
    const card = renderHelp('en');
    const [factSet] = objectsIn(card).filter((o) => o.type === 'FactSet');
    assert.deepEqual((factSet.facts as Json[]).map((f) => f.title), ['request', 'status', 'cancel', 'approvals', 'manage', 'help']);
    assert.ok((factSet.facts as Json[]).every((f) => typeof f.value === 'string' && f.value.endsWith('.')));
  });
});

describe('resource names on cards', () => {
  it('the approval card lists what is requested, by name, in both languages', () => {
    const en = visibleText(approvalCard(withResourceNames(buildRequest()), APPROVER.id));
    assert.ok(en.includes('Access requested\nCRM Users (member)\nCRM Reader in Contoso CRM'), en);
    assert.doesNotMatch(en, /0c2d8f4e/);
    const ja = visibleText(approvalCard(withResourceNames(buildRequest()), APPROVER.id, {}, 'ja'));
    assert.ok(ja.includes('要求されているアクセス\nCRM Users (メンバー)\nContoso CRM の CRM Reader'), ja);
  });

  it('the delivered and status cards show the names in both languages', () => {
    const delivered = withResourceNames(withDelivery(withDecision(buildRequest(), 'approved'), 'delivered'));
    const en = visibleText(requesterCard('accessDelivered', delivered));
    assert.match(en, /CRM Users \(member\)/);
    assert.match(en, /CRM Reader in Contoso CRM/);
    const ja = visibleText(requesterCard('accessDelivered', delivered, 'ja'));
    assert.match(ja, /CRM Users \(メンバー\)/);
    assert.match(ja, /Contoso CRM の CRM Reader/);
    const status = visibleText(requesterCard('requestStatus', { ...delivered, state: 'delivering' }, 'ja'));
    assert.match(status, /Contoso CRM の CRM Reader/);
  });

  it('falls back to the ids for a name that was not known, resource by resource', () => {
    const request = withDelivery(withDecision(buildRequest(), 'approved'), 'delivered');
    const [group, appRole] = request.resources;
    const partly = { ...request, resources: [group, { ...appRole, displayName: 'CRM Reader', appDisplayName: 'Contoso CRM' }] };
    const text = visibleText(requesterCard('accessDelivered', partly));
    assert.match(text, /Group 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01 \(member\)/);
    assert.match(text, /CRM Reader in Contoso CRM/);
    // An app role whose application is known but whose role is not keeps the id text.
    const roleMissing = { ...request, resources: [{ ...group, displayName: 'CRM Users' }, { ...appRole, appDisplayName: 'Contoso CRM' }] };
    const ja = visibleText(approvalCard(roleMissing, APPROVER.id, {}, 'ja'));
    assert.match(ja, /CRM Users \(メンバー\)/);
    assert.match(ja, /アプリケーション 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e02 のアプリ ロール 0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e03/);
  });

  it('the approval card of a large package lists the first resources and counts the rest', () => {
    const card = approvalCard({ ...manyFailedResources(), state: 'pendingApproval', stages: [buildStage()] }, APPROVER.id);
    assert.match(visibleText(card), new RegExp(`${90 - MAX_RESOURCE_ROWS} more resources are not shown`));
    assert.ok(Buffer.byteLength(JSON.stringify(card)) < MAX_CARD_BYTES);
    assert.deepEqual(parseCard(card), { parseEvents: [], validationEvents: [] });
  });
});

describe('i18n', () => {
  const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('en and ja have the same keys, no empty message, and the same placeholders', () => {
    assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
    for (const [key, message] of Object.entries(en)) {
      const japanese = ja[key as keyof typeof en];
      assert.ok(message.trim() && japanese.trim(), key);
      assert.deepEqual(placeholders(japanese), placeholders(message), key);
    }
  });

  it('has the error messages the use-cases throw', () => {
    const keys = ['error.unknownPackage', 'error.noPackageSelected', 'error.notEligible', 'error.justificationRequired', 'error.justificationTooLong', 'error.datesNotAllowed', 'error.invalidDate', 'error.endBeforeStart', 'error.startInPast', 'error.endInPast', 'error.unknownRequest', 'error.notApprover', 'error.selfApproval', 'error.alreadyDecided', 'error.notPending', 'error.approverJustificationRequired', 'error.requestExpired', 'error.concurrentUpdate', 'error.badAction', 'error.unknownUser', 'error.wrongTenant', 'error.requestExists', 'error.tryAgain'];
    for (const key of keys) assert.ok(Object.prototype.hasOwnProperty.call(en, key), key);
  });

  it('has words for every request state in both languages', () => {
    for (const state of REQUEST_STATES) {
      for (const locale of LOCALES) assert.ok(stateText(locale, state).length > 0, `${locale} ${state}`);
    }
    assert.equal(stateText('en', 'pendingApproval'), 'Pending approval');
    assert.equal(stateText('ja', 'pendingApproval'), '承認待ち');
  });

  it('picks Japanese for ja and ja-*, in any case, and English otherwise', () => {
    for (const locale of ['ja', 'ja-JP', 'JA-jp', ' ja-jp ']) assert.equal(localeOf(locale), 'ja', locale);
    for (const locale of [undefined, '', 'en-US', 'fr-FR', 'jav', 'zh-JP']) assert.equal(localeOf(locale), 'en', String(locale));
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    assert.equal(t('en', 'error.justificationTooLong', { max: 1000 }), 'The justification is too long. Shorten it to at most 1000 characters and submit again.');
    assert.match(t('en', 'error.notEligible'), /\{package\}/);
    assert.equal(messageCatalog('ja')['approval.approve'], '承認');
  });

  it('errorText translates the raw values use-cases put in params, and never shows a key', () => {
    assert.equal(errorText('ja', 'error.alreadyDecided', { name: 'Adele Vance', outcome: 'denied' }), 'この要求は Adele Vance さんによって既に拒否されています。これ以上の対応は不要です。');
    assert.match(errorText('en', 'error.notPending', { state: 'expired' }), /status: Expired/);
    assert.match(errorText('en', 'error.invalidDate', { field: 'endDate' }), /^The end date is not a valid date/);
    assert.match(errorText('ja', 'error.endAfterPolicyLimit', { date: '2026-09-30' }), /2026年9月30日 以前/);
    assert.equal(errorText('en', 'error.noSuchKey'), en['error.tryAgain']);
  });

  it('formats dates and times per locale, in the given zone', () => {
    assert.equal(formatDateTime('2026-03-05T09:00:00Z', 'en'), 'Mar 5, 2026, 9:00 AM UTC');
    assert.equal(formatDateTime('2026-03-05T09:00:00Z', 'ja', 'Asia/Tokyo'), '2026年3月5日 18:00 JST');
    assert.equal(formatDate('2026-03-05', 'ja'), '2026年3月5日');
    assert.equal(formatDate('2026-03-05', 'en', 'America/Los_Angeles'), 'Mar 5, 2026');
    assert.throws(() => formatDate('not a date', 'en'), RangeError);
  });
});

describe('status and cancel views', () => {
  /** The package names under each section heading, in order. */
  const sections = statusSections;

  it('status shows my access first, then my open requests, then the finished ones', () => {
    const card = renderMyRequests({ requests: requestHistory() }, 'en', { now: NOW });
    assert.deepEqual(sections(card), {
      'Your access': ['Sales team', 'CRM users'],
      'Open requests': ['Marketing assets', 'Expense report viewers'],
      'Recent requests': ['Finance reports'],
    });
    assert.equal(String((card.body[0] as Json).text), 'Your access and requests');
    // One "Give up access" per access row; none on the other requests.
    assert.deepEqual(
      actionsOf(card).map((a) => [a.title, a.verb, (a.data as Json).requestId]),
      [
        ['Give up access', VERBS.releaseAccess, 'req-2026-0002'],
        ['Give up access', VERBS.releaseAccess, 'req-2026-0001'],
      ],
    );
  });

  it('my access: since when, until when (or no end date), and each resource with its status', () => {
    const text = visibleText(renderMyRequests({ requests: requestHistory() }, 'en', { now: NOW }));
    for (const expected of ['Access since\nMar 4, 2026', 'Access ends\nMar 19, 2026', 'Access ends\nNo end date', 'CRM Users (member)\nDelivered', 'CRM Reader in Contoso CRM\nFailed\nLast error: Authorization_RequestDenied']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
  });

  it('my requests: the state in words, when submitted, the stage and due date while pending, failed resources with their error', () => {
    const card = renderMyRequests({ requests: requestHistory() }, 'en', { now: NOW });
    const text = visibleText(card);
    for (const expected of ['Marketing assets\nPending approval', 'Submitted\nMar 5, 2026, 8:00 AM UTC', 'Approval\nStage 1, decision due by Mar 16, 2026, 8:30 AM UTC', 'Expense report viewers\nDelivery failed', 'Last error: Request_ResourceNotFound: group not found', 'Finance reports\nDenied']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
    assert.equal(objectsIn(card).filter((o) => o.text === 'Waiting').length, 0, 'pending resources are not listed');
  });

  it('status in Japanese', () => {
    const text = visibleText(renderMyRequests({ requests: requestHistory() }, 'ja', { now: NOW, timeZone: 'Asia/Tokyo' }));
    for (const expected of ['現在のアクセス', '要求履歴', '終了日なし', '承認待ち', 'ステージ 1 (判断の期限: 2026年3月16日 17:30 JST)']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
  });

  it('status with nothing says so and suggests request; with only open requests, shows only that section', () => {
    const empty = renderMyRequests({ requests: [] }, 'en', { now: NOW });
    assert.match(visibleText(empty), /no access packages and no requests yet\. Send "request"/);
    assert.deepEqual(sections(empty), {});
    assert.deepEqual(Object.keys(sections(renderMyRequests({ requests: [buildRequest()] }, 'en', { now: NOW }))), ['Open requests']);
  });

  it('cancel lists each request with its own Cancel button carrying its id and version', () => {
    const requests = cancelable();
    const card = renderCancelList({ requests }, 'en', { now: NOW });
    assert.deepEqual(
      actionsOf(card).map((a) => ({ type: a.type, title: a.title, verb: a.verb, style: a.style, data: a.data })),
      requests.map((r) => ({ type: 'Action.Execute', title: 'Cancel request', verb: VERBS.cancelRequest, style: 'destructive', data: { requestId: r.id, version: r.version } })),
    );
    const text = visibleText(card);
    assert.match(text, /CRM users\nSubmitted Mar 2, 2026, 8:30 AM UTC · Pending approval/);
    assert.match(text, /Sales team\nSubmitted Mar 2, 2026, 8:30 AM UTC · Scheduled/);
    assert.deepEqual(actionsOf(renderCancelList({ requests }, 'ja', { now: NOW })).map((a) => a.title), ['要求をキャンセル', '要求をキャンセル']);
  });

  it('cancel with nothing to cancel says so, without buttons', () => {
    const card = renderCancelList({ requests: [] }, 'en', { now: NOW });
    assert.deepEqual(actionsOf(card), []);
    assert.equal(visibleText(card), `Cancel a request\n${en['message.nothingToCancel']}`);
  });

  it('has the cancel messages the commands use, in both languages', () => {
    assert.equal(errorText('en', 'error.cannotCancel', { state: 'delivered' }), 'This request can no longer be canceled: its status is Delivered.');
    assert.equal(errorText('ja', 'error.cannotCancel', { state: 'delivered' }), 'この要求はキャンセルできません (状態: 配信済み)。');
    assert.match(t('en', 'message.canceled', { package: 'CRM users' }), /^Your request for CRM users was canceled\./);
    assert.match(t('ja', 'message.canceled', { package: 'CRM users' }), /^CRM users の要求をキャンセルしました。/);
    assert.ok(t('en', 'error.notYourRequest').length > 0 && t('ja', 'message.nothingToCancel').length > 0);
  });
});

describe('managers’ cards (reprocess)', () => {
  const failed = (): AccessRequest => {
    const approved = withDecision(buildRequest(), 'approved');
    const [group] = buildResources('delivered');
    const [, appRole] = buildResources('failed', 'HTTP 403 Authorization_RequestDenied');
    return { ...approved, state: 'partiallyDelivered', completedAt: '2026-03-04T10:16:00.000Z', resources: [group, appRole] };
  };
  const alert = (request: AccessRequest, now = NOW, locale: Locale = 'en') =>
    renderRequestCard('deliveryFailedAlert', request, { id: 'channel:19:x@thread.tacv2', locale }, { ...CARD_OPTIONS, now });

  it('the alert names the request, requester, package and the failed resource with its error, with Reprocess and History', () => {
    const request = failed();
    const card = alert(request);
    const text = visibleText(card);
    for (const expected of [request.id, 'Megan Bowen', 'CRM users', 'Partially delivered', 'Last error: HTTP 403 Authorization_RequestDenied', 'You can reprocess this request until Mar 18, 2026, 10:16 AM UTC']) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
    assert.deepEqual(
      actionsOf(card).map((a) => [a.verb, a.data]),
      [
        [VERBS.reprocess, { requestId: request.id, version: request.version }],
        [VERBS.history, { requestId: request.id, version: request.version }],
      ],
    );
  });

  it('the alert has no buttons once the 14 days are over, and says the requester must cancel and submit again', () => {
    const card = alert(failed(), new Date('2026-03-18T10:16:00.001Z'));
    assert.deepEqual(actionsOf(card), []);
    assert.match(visibleText(card), /more than 14 days ago[\s\S]*cancel it and submit a new request/);
    assert.match(visibleText(alert(failed(), new Date('2026-03-18T10:16:00.001Z'), 'ja')), /キャンセルして、新しい要求/);
  });

  it('after a reprocess the alert follows the request: reprocessing, then delivered, without buttons', () => {
    const reprocessing = alert({ ...failed(), state: 'delivering', reprocessedAt: NOW.toISOString() });
    assert.match(visibleText(reprocessing), /^Reprocessing Megan Bowen's request for CRM users/);
    assert.deepEqual(actionsOf(reprocessing), []);
    const delivered = alert({ ...failed(), state: 'delivered', reprocessedAt: NOW.toISOString() });
    assert.match(visibleText(delivered), /^Megan Bowen's request for CRM users was delivered[\s\S]*Reprocessed on Mar 5, 2026/);
  });

  it('the removal alert names the person, the package, the resource and the last-owner reason, in the channel\'s language, with History only', () => {
    const request = lastOwnerRemoval();
    const card = renderRequestCard('removalFailedAlert', request, { id: 'channel:19:x@thread.tacv2', locale: 'en' }, CARD_OPTIONS);
    const text = visibleText(card);
    assert.match(text, /^Access not removed: Megan Bowen's access to CRM users\nRemoval failed\n/);
    for (const expected of [
      request.id,
      'Megan Bowen',
      'CRM users',
      'Access ends\nMar 19, 2026, 9:00 AM UTC',
      "CRM Users (owner)\nRemoval failed\nNot removed: Microsoft Graph never removes a group's last owner. Add another owner to the group; the daily retry then removes this ownership.",
      'CRM Reader in Contoso CRM\nRemoved',
      'The bot tries the removal again every day until it succeeds.',
    ]) {
      assert.ok(text.includes(expected), `missing "${expected}" in\n${text}`);
    }
    assert.deepEqual(actionsOf(card).map((a) => [a.verb, a.data]), [[VERBS.history, { requestId: request.id, version: request.version }]]);

    const ja = visibleText(renderRequestCard('removalFailedAlert', request, { id: 'channel:19:x@thread.tacv2', locale: 'ja' }, CARD_OPTIONS));
    assert.match(ja, /^アクセスを削除できません: Megan Bowen さんの CRM users のアクセス\n削除に失敗\n/);
    assert.ok(ja.includes('Microsoft Graph はグループの最後の所有者を削除しません'), ja);

    const removedLater = renderRequestCard(
      'removalFailedAlert',
      { ...request, state: 'accessExpired', resources: request.resources.map((r) => ({ ...r, status: 'removed', removalRefusal: undefined, lastError: undefined })) },
      { id: 'channel:19:x@thread.tacv2', locale: 'en' },
      CARD_OPTIONS,
    );
    assert.match(visibleText(removedLater), /^Megan Bowen's access to CRM users has been removed\nAccess ended\n/);
    assert.doesNotMatch(visibleText(removedLater), /every day/);
  });

  it('the failed list is a required multi-select of the reprocessable requests, with one Reprocess and a History per request', () => {
    const request = failed();
    const old = { ...failed(), id: 'req-old', completedAt: '2026-02-01T00:00:00.000Z' };
    const card = renderFailedRequests({ catalogNames: ['Sales'], requests: [request, old], now: NOW }, 'en');
    const [choices] = inputsOf(card);
    assert.equal(choices.id, 'requestIds');
    assert.equal(choices.isMultiSelect, true);
    assert.equal(choices.isRequired, true);
    assert.deepEqual(choices.choices, [{ title: 'Megan Bowen: CRM users (Partially delivered)', value: request.id }]);
    assert.deepEqual(
      actionsOf(card).map((a) => [a.verb, a.data]),
      [
        [VERBS.reprocess, undefined],
        [VERBS.history, { requestId: request.id, version: request.version }],
        [VERBS.history, { requestId: 'req-old', version: old.version }],
      ],
    );
    assert.match(visibleText(card), /too old to reprocess/);
  });

  it('the failed list says when there is nothing, or when no catalog alerts this channel', () => {
    assert.match(visibleText(renderFailedRequests({ catalogNames: ['Sales'], requests: [], now: NOW }, 'en')), /No request of Sales has a failed delivery/);
    assert.match(visibleText(renderFailedRequests({ catalogNames: [], requests: [], now: NOW }, 'ja')), /カタログはない/);
  });

  it('the history shows each entry with when, who (the bot when nobody) and what, states in the viewer’s words', () => {
    const entries: AuditEntry[] = [
      { version: 2, at: '2026-03-04T10:15:00.000Z', action: 'transition', actorId: APPROVER.id, outcome: 'pendingApproval → approved', detail: 'stage 1 approved by Adele Vance' },
      { version: 3, at: '2026-03-04T10:16:00.000Z', action: 'graphWrite', detail: 'group crm', outcome: 'failed: HTTP 403' },
    ];
    const ja = visibleText(renderRequestHistory(failed(), entries, { [APPROVER.id]: 'Adele Vance' }, 'ja'));
    assert.match(ja, /Adele Vance\n状態: 承認待ち → 承認済み\nstage 1 approved by Adele Vance/);
    assert.match(ja, /ボット\nMicrosoft Graph でアクセスを付与\ngroup crm\n結果: failed: HTTP 403/);
  });
});
