import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
  renderHelp,
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
import {
  ACCESS_ENDS_AT,
  APPROVER,
  ESCALATION_APPROVER,
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
const OPTIONS: RequestCardOptions = { now: NOW, stageCount: 2, approverJustificationRequired: true };
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
  const { refresh: _refresh, ...buttonsOnly } = card;
  return objectsIn(buttonsOnly).filter((o) => typeof o.type === 'string' && o.type.startsWith('Action.'));
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
  return renderRequestCard('approvalRequest', request, { id: viewerId, locale }, { ...OPTIONS, ...options });
}

function requesterCard(kind: CardKind, request: AccessRequest, locale: Locale = 'en') {
  return renderRequestCard(kind, request, { id: REQUESTER.id, locale }, OPTIONS);
}

/** Realistic renderings covering every template, several per template where the views differ. */
const SCENARIOS: Array<{ name: string; template: TemplateName; render: (locale: Locale) => AdaptiveCard }> = [
  { name: 'request form', template: 'requestForm', render: (l) => renderRequestForm(FORM, l) },
  { name: 'empty request form', template: 'requestForm', render: (l) => renderRequestForm({ packages: [] }, l) },
  { name: 'help', template: 'help', render: (l) => renderHelp(l) },
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
];

function reminderCard(request: AccessRequest, viewerId: string, locale: Locale = 'en') {
  return renderRequestCard('approvalReminder', request, { id: viewerId, locale }, OPTIONS);
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
          assert.deepEqual(report.parseEvents, []);
          assert.deepEqual(report.validationEvents, []);
        });

        it('declares version 1.5 or lower', () => {
          const [major, minor] = card.version.split('.').map(Number);
          assert.ok(major === 1 && minor <= 5, card.version);
        });

        it('uses only Action.Execute, with verbs that have routes and data that carries ids only', () => {
          for (const action of actionsOf(card)) {
            assert.equal(action.type, 'Action.Execute');
            assert.ok(VERB_VALUES.includes(action.verb as string), `verb ${String(action.verb)}`);
            if (action.data !== undefined) {
              assert.deepEqual(Object.keys(action.data as Json).sort(), ['requestId', 'version']);
            }
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

  it('help lists the four commands with a sentence each', () => {
    const card = renderHelp('en');
    const [factSet] = objectsIn(card).filter((o) => o.type === 'FactSet');
    assert.deepEqual((factSet.facts as Json[]).map((f) => f.title), ['request', 'status', 'cancel', 'help']);
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
