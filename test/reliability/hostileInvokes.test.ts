/**
 * Reliability: generated malformed and hostile activities against one running bot (TENANT_ID set).
 * Property-based (fast-check, fixed seed): wrong types for every field, missing fields, 100 KB strings,
 * unknown verbs, Action.Submit, other tenants, forged request ids and senders, garbage bodies.
 * Whatever arrives: no HTTP 500, no invoke statusCode 500, and nothing stored, written to Graph or sent. A hostile
 * invoke is refused with a 4xx, never answered "try again" (which tells the client its click may work next time).
 *
 * Reproduce a failure with the seed it prints: `RELIABILITY_SEED=<seed> npx mocha test/reliability/hostileInvokes.test.ts`.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { parseDecisionPayload, parseRequestRef, parseSubmitPayload } from '../../src/teams/payloads';
import { VERBS } from '../../src/teams/verbs';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { personalConversationId, TENANT_ID, type TeamsUser } from '../support/teamsClient';
import { PEOPLE, startE2eBot, type E2eBot } from '../e2e/support';

const SEED = Number(process.env.RELIABILITY_SEED ?? 0x5eed_0006);
const INVOKE_RUNS = 1_000;
const OTHER_RUNS = 300;

const APPROVERS = new Set([PEOPLE.diego.aadObjectId, PEOPLE.megan.aadObjectId, PEOPLE.lee.aadObjectId]);
/** Package managers, owners, administrators: whoever a Reprocess or History click could come from legitimately. */
const MANAGERS = new Set([PEOPLE.diego.aadObjectId, PEOPLE.patti.aadObjectId, PEOPLE.lee.aadObjectId]);
const PERSON_IDS = new Set(Object.values(PEOPLE).map((p) => p.aadObjectId));
const OTHER_TENANT = '77777777-0000-4000-8000-000000000001';

const HUGE = 'x'.repeat(100_000);
const HUGE_UNICODE = '承認'.repeat(50_000);
const TOO_BIG_FOR_THE_PARSER = 'y'.repeat(600_000);

type Activity = Record<string, unknown>;

interface Seeded {
  id: string;
  requester: TeamsUser;
}

/** Any JSON value, with an emphasis on the ones a sloppy handler trips on. */
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, 1.5, 1e308, -0, 2 ** 53 + 1),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'undefined', 'null', '__proto__', 'constructor', '<at>x</at>', '../../etc/passwd', "' or 1 eq 1", 'PartitionKey eq \'x\''),
  fc.constantFrom(HUGE, HUGE_UNICODE),
  fc.constant([]),
  fc.constant({}),
  fc.uuid(),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** The paths of an invoke activity a mutation may delete or replace with garbage. */
const PATHS = [
  'type', 'name', 'id', 'timestamp', 'channelId', 'serviceUrl', 'locale', 'replyToId', 'entities', 'recipient',
  'from', 'from.id', 'from.name', 'from.aadObjectId',
  'conversation', 'conversation.id', 'conversation.conversationType', 'conversation.tenantId',
  'channelData', 'channelData.tenant', 'channelData.tenant.id',
  'value', 'value.action', 'value.action.type', 'value.action.verb', 'value.action.data', 'value.trigger',
  'value.action.data.requestId', 'value.action.data.version', 'value.action.data.approverJustification',
  'value.action.data.packageId', 'value.action.data.justification', 'value.action.data.startDate', 'value.action.data.requestIds',
] as const;

interface Mutation {
  path: string;
  op: 'delete' | 'set';
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.constantFrom(...PATHS),
  op: fc.constantFrom<'delete' | 'set'>('delete', 'set'),
  value: garbage,
});

function applyMutation(activity: Activity, m: Mutation): void {
  const keys = m.path.split('.');
  let node: unknown = activity;
  for (const key of keys.slice(0, -1)) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    if (record[key] === undefined && m.op === 'set') record[key] = {};
    node = record[key];
  }
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const last = keys.at(-1)!;
  if (m.op === 'delete') delete (node as Record<string, unknown>)[last];
  else (node as Record<string, unknown>)[last] = m.value;
}

function baseActivity(from: Record<string, unknown>, tenantId: unknown, serviceUrl: unknown): Activity {
  const aad = typeof from.aadObjectId === 'string' ? from.aadObjectId : 'x';
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${aad}`, name: 'Someone', ...from },
    recipient: { id: '28:bot', name: 'Access Requests' },
    conversation: { id: `a:personal-${aad}`, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    locale: 'en-US',
    entities: [{ type: 'clientInfo', locale: 'en-US', timezone: 'UTC' }],
  };
}

function tenantOf(a: Activity): unknown {
  const conversation = a.conversation as { tenantId?: unknown } | undefined;
  const channelData = a.channelData as { tenant?: { id?: unknown } } | undefined;
  return conversation?.tenantId ?? channelData?.tenant?.id;
}

function parses(parse: (data: unknown) => unknown, data: unknown): boolean {
  try {
    parse(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * Could this activity be a legitimate, state-changing click (an approver deciding a pending request, a requester
 * submitting or canceling)? Those are not hostile: the property skips them. Deliberately generous.
 */
function mayBeLegitimate(a: Activity, seeded: Seeded[]): boolean {
  const value = a.value as { action?: { type?: unknown; verb?: unknown; data?: unknown } } | undefined;
  if (a.type !== 'invoke' || a.name !== 'adaptiveCard/action' || value?.action?.type !== 'Action.Execute') return false;
  if (tenantOf(a) !== TENANT_ID) return false;
  const from = a.from as { aadObjectId?: unknown } | undefined;
  const actor = typeof from?.aadObjectId === 'string' ? from.aadObjectId.toLowerCase() : undefined;
  if (!actor || !PERSON_IDS.has(actor)) return false;
  const data = value.action.data ?? {};
  const ref = data && typeof data === 'object' ? (data as { requestId?: unknown; requestIds?: unknown }) : {};
  const target = seeded.find((s) => s.id === ref.requestId || (typeof ref.requestIds === 'string' && ref.requestIds.includes(s.id)));
  switch (value.action.verb) {
    case VERBS.submitRequest:
      return parses(parseSubmitPayload, data);
    case VERBS.approve:
    case VERBS.deny:
      return APPROVERS.has(actor) && !!target && parses(parseDecisionPayload, data);
    case VERBS.cancelRequest:
    case VERBS.extendAccess:
    case VERBS.releaseAccess:
      return !!target && target.requester.aadObjectId === actor && parses(parseRequestRef, data);
    case VERBS.reprocess:
      return !!target && MANAGERS.has(actor);
    case VERBS.manageAssign:
    case VERBS.manageRemove:
      return MANAGERS.has(actor);
    default:
      return false;
  }
}

/** Verbs that only read (one's own inbox, a manager's lists, a request's history) or answer per id (Reprocess). */
const READING_VERBS = new Set<unknown>([
  VERBS.refreshCard,
  VERBS.history,
  VERBS.reprocess,
  VERBS.approvals,
  VERBS.approvalsDecided,
  VERBS.manage,
  VERBS.manageRequests,
  VERBS.manageAssignments,
  VERBS.manageFailures,
]);

const CARD = 'application/vnd.microsoft.card.adaptive';
const MESSAGE = 'application/vnd.microsoft.activity.message';

function invokeAnswerOf(body: unknown): { statusCode?: unknown; type?: unknown } {
  return body && typeof body === 'object' ? (body as { statusCode?: unknown; type?: unknown }) : {};
}

const isClientError = (status: unknown) => typeof status === 'number' && status >= 400 && status < 500;

/**
 * A hostile invoke is refused: HTTP 4xx (refused before the turn), or HTTP 200 with an invoke statusCode 4xx.
 * Two answers are not refusals and are right: only reading verbs (refresh, history, the inbox, `manage`'s lists) and Reprocess (its card lists
 * each id's refusal) may answer with a card; and a mutated `type` makes it another kind of activity, which the Bot
 * Framework acknowledges with a bare 200.
 */
function assertRefused(activity: Activity, status: number, body: unknown, what: () => string): void {
  const { statusCode, type } = invokeAnswerOf(body);
  if (isClientError(status) || (status === 200 && isClientError(statusCode))) return;
  const answer = `HTTP ${status}, invoke ${statusCode ?? '-'} ${type === MESSAGE ? `message ${JSON.stringify((body as { value?: unknown }).value)}` : (type ?? '')}`;
  if (activity.type !== 'invoke') {
    assert.ok(status === 200 && body === undefined, `${answer} for ${what()}`);
    return;
  }
  const verb = (activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb;
  const reading = READING_VERBS.has(verb);
  assert.ok(status === 200 && statusCode === 200 && type === CARD && reading, `${answer} instead of a 4xx for ${what()}`);
}

/** Without a serviceUrl botbuilder falls back to the public Bot Framework: a reply to a message must never leave the machine. */
function mayReachOutside(a: Activity): boolean {
  return a.type !== 'invoke' && (a.serviceUrl === undefined || a.serviceUrl === null || a.serviceUrl === '');
}

/** What must not change: every stored request of every demo person, the Graph write log, what the connector got. */
interface Snapshot {
  requests: string;
  graphWrites: number;
  connectorActivities: number;
}

describe('reliability: hostile and malformed activities', function () {
  this.timeout(150_000);
  let bot: E2eBot;
  let store: TableRequestStore;
  const seeded: Seeded[] = [];

  async function snapshot(): Promise<Snapshot> {
    await bot.settle();
    const perPerson = await Promise.all(Object.values(PEOPLE).map((p) => store.listByRequester(p.aadObjectId, 100)));
    const loaded = await Promise.all(seeded.map((s) => store.get(s.id)));
    return {
      requests: JSON.stringify({ perPerson, loaded: loaded.map((l) => l && { request: l.request, cards: l.cards, effects: l.effects }) }),
      graphWrites: bot.graph.writes().length,
      connectorActivities: bot.connector.activities().length,
    };
  }

  before(async () => {
    const prefix = uniquePrefix();
    bot = await startE2eBot({ TENANT_ID, TABLES_PREFIX: prefix });
    store = new TableRequestStore({ tables: createTables({ connectionString: (await useAzurite()).connectionString, prefix }) });
    for (const person of Object.values(PEOPLE)) assert.equal((await bot.teams.install(person)).status, 200);
    // Real pending requests, so forged clicks aim at real ids.
    for (const requester of [PEOPLE.adele, PEOPLE.isaiah, PEOPLE.lee]) {
      const answer = await bot.teams.click(requester, VERBS.submitRequest, { packageId: 'crm-users', justification: `seed ${requester.name}` });
      assert.equal(answer.statusCode, 200, answer.message);
      await bot.settle();
      const card = bot.connector
        .inConversation(personalConversationId(PEOPLE.megan))
        .filter((a) => a.kind === 'send' && cardText(cardOf(a)).includes(requester.name))
        .at(-1);
      const id = cardActions(cardOf(card)).find((a) => a.verb === VERBS.approve)?.data?.requestId;
      assert.equal(typeof id, 'string', `${requester.name}'s approval card reached Megan`);
      seeded.push({ id: id as string, requester });
    }
  });

  after(async () => bot?.stop());

  /** How the bot answered, e.g. "200/403" (HTTP / invoke statusCode): printed, to see the inputs reach every check. */
  const answers = new Map<string, number>();

  function checkAnswer(status: number, body: unknown, what: () => string): void {
    const { statusCode, type } = invokeAnswerOf(body);
    const kind = type === MESSAGE ? ' message' : type === CARD ? ' card' : '';
    const key = `${status}/${typeof statusCode === 'number' ? statusCode : '-'}${kind}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
    assert.ok(status < 500, `HTTP ${status} for ${what()}`);
    if (typeof statusCode === 'number') assert.ok(statusCode < 500, `invoke statusCode ${statusCode} for ${what()}`);
  }

  function show(value: unknown): string {
    // The fields that decide what happens first, so a truncated counterexample still says what it was.
    const a = value && typeof value === 'object' && !Array.isArray(value) ? (value as Activity) : undefined;
    const head = a ? { type: a.type, name: a.name, value: a.value, from: a.from, tenant: tenantOf(a), locale: a.locale, serviceUrl: a.serviceUrl, ...a } : value;
    const text = typeof head === 'string' ? head : JSON.stringify(head, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 20)}…(${v.length})` : v)) ?? String(head);
    return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
  }

  async function runProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<[T]>, numRuns: number): Promise<number> {
    let ran = 0;
    const started = Date.now();
    answers.clear();
    try {
      await fc.assert(property, {
        seed: SEED,
        numRuns,
        endOnFailure: true,
        reporter: (details) => {
          ran = details.numRuns;
          if (details.failed) {
            throw new Error(
              `${name}: failed with RELIABILITY_SEED=${SEED} after ${details.numRuns} runs (fast-check seed ${details.seed}, path ${details.counterexamplePath})\n` +
                `counterexample: ${show(details.counterexample?.[0])}\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
            );
          }
        },
      });
    } finally {
      const seen = [...answers].sort().map(([k, n]) => `${k}×${n}`).join(' ');
      console.log(`      ${name}: ${ran} runs in ${Date.now() - started} ms (seed ${SEED}); HTTP/invoke answers: ${seen}`);
    }
    return ran;
  }

  it(`answers ${INVOKE_RUNS} generated hostile invokes with 4xx (never 500), changing nothing`, async () => {
    const before = await snapshot();
    const ids = seeded.map((s) => s.id);
    const requestId = fc.oneof(fc.constantFrom(...ids), fc.uuid(), fc.constant('00000000-0000-0000-0000-000000000000'), garbage, fc.constantFrom(...ids).map((id) => id.toUpperCase()));
    const version = fc.oneof(fc.constantFrom(1, 2, 3), garbage);
    const justification = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '   ', HUGE), garbage);
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const data = fc.oneof(
      fc.record({ requestId, version, approverJustification: optional(justification) }, { requiredKeys: [] }),
      fc.record(
        {
          packageId: fc.oneof(fc.constantFrom('crm-users', 'sales-team', 'finance-reports', 'no-such-package', 'CRM-USERS', HUGE), garbage),
          justification: optional(justification),
          startDate: optional(fc.oneof(fc.constantFrom('2020-01-01', '2099-13-45', 'tomorrow', '2099-01-01'), garbage)),
          endDate: optional(fc.oneof(fc.constantFrom('2098-01-01', '2099-02-01'), garbage)),
        },
        { requiredKeys: [] },
      ),
      fc.record({ requestIds: fc.oneof(fc.constant(ids.join(',')), fc.array(fc.uuid(), { maxLength: 60 }).map((a) => a.join(',')), garbage), requestId: optional(requestId) }, { requiredKeys: [] }),
      garbage,
    );
    const verb = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...Object.values(VERBS)) },
      { weight: 1, arbitrary: fc.constantFrom('request.delete', 'request.approveAll', 'REQUEST.APPROVE', 'request.approve ', 'admin.grant', '') },
      { weight: 1, arbitrary: garbage },
    );
    const from = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...Object.values(PEOPLE)).map((p) => ({ aadObjectId: p.aadObjectId, name: p.name })) },
      { weight: 1, arbitrary: fc.constantFrom(...Object.values(PEOPLE)).map((p) => ({ aadObjectId: p.aadObjectId.toUpperCase(), name: p.name })) },
      { weight: 2, arbitrary: fc.uuid().map((id) => ({ aadObjectId: id, name: 'Nobody' })) },
      { weight: 1, arbitrary: fc.record({ aadObjectId: garbage, name: garbage }, { requiredKeys: [] }) },
    );
    const tenant = fc.oneof({ weight: 6, arbitrary: fc.constant(TENANT_ID) }, { weight: 2, arbitrary: fc.constantFrom(OTHER_TENANT, TENANT_ID.toUpperCase(), '') }, { weight: 1, arbitrary: garbage });
    const invoke = fc
      .record({
        from,
        tenant,
        name: fc.oneof({ weight: 8, arbitrary: fc.constant('adaptiveCard/action') }, { weight: 1, arbitrary: fc.constantFrom('composeExtension/query', 'task/fetch', 'signin/verifyState', 'adaptiveCard/action ', 'fileConsent/invoke') }, { weight: 1, arbitrary: garbage }),
        actionType: fc.oneof({ weight: 8, arbitrary: fc.constant('Action.Execute') }, { weight: 2, arbitrary: fc.constantFrom('Action.Submit', 'Action.OpenUrl', 'action.execute') }, { weight: 1, arbitrary: garbage }),
        verb,
        data,
        replyToId: fc.option(fc.oneof(fc.string({ maxLength: 20 }), garbage), { nil: undefined }),
        mutations: fc.array(mutation, { maxLength: 3 }),
      })
      .map((c) => {
        const activity = baseActivity(c.from, c.tenant, bot.connector.url);
        Object.assign(activity, {
          type: 'invoke',
          name: c.name,
          replyToId: c.replyToId,
          value: { action: { type: c.actionType, verb: c.verb, data: c.data }, trigger: 'manual' },
        });
        for (const m of c.mutations) applyMutation(activity, m);
        return activity;
      });

    const property = fc.asyncProperty(invoke, async (activity) => {
      fc.pre(!mayBeLegitimate(activity, seeded) && !mayReachOutside(activity));
      const graphBefore = bot.graph.writes().length;
      const sentBefore = bot.connector.activities().length;
      const res = await bot.teams.post(activity);
      checkAnswer(res.status, res.body, () => show(activity));
      assertRefused(activity, res.status, res.body, () => show(activity));
      await bot.settle();
      assert.equal(bot.graph.writes().length, graphBefore, `a Graph write after ${show(activity)}`);
      assert.equal(bot.connector.activities().length, sentBefore, `a card sent or updated after ${show(activity)}`);
    });
    const runs = await runProperty('hostile invokes', property, INVOKE_RUNS);
    assert.ok(runs >= INVOKE_RUNS);
    assert.deepEqual(await snapshot(), before, 'stored requests, Graph writes and sends are unchanged');
  });

  it(`answers ${OTHER_RUNS} garbage bodies and odd activities without a 500, storing nothing`, async () => {
    const before = await snapshot();
    const rawBody = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom('', 'null', '[]', '{}', 'true', '42', '"invoke"', '{"type": 42', '{"type":"invoke"', '[[[[[[[[[[', '{"__proto__":{"type":"invoke","name":"adaptiveCard/action"}}'),
      fc.constantFrom(JSON.stringify({ type: 'invoke', pad: HUGE }), TOO_BIG_FOR_THE_PARSER, '['.repeat(5_000) + ']'.repeat(5_000), '\u0000\u0001\u0002'),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
    );
    const raw = fc.record({ body: rawBody, contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=latin1') }).map((r) => ({ kind: 'raw' as const, ...r }));
    const activity = fc
      .record({
        type: fc.oneof(fc.constantFrom('message', 'conversationUpdate', 'installationUpdate', 'messageReaction', 'event', 'typing', 'endOfConversation', 'invoke', 'trace', 'Message'), garbage),
        text: fc.oneof(fc.constantFrom('request', 'status', 'cancel', 'help', 'failed', '', HUGE), garbage),
        person: fc.constantFrom(...Object.values(PEOPLE)),
        tenant: fc.oneof(fc.constantFrom(TENANT_ID, OTHER_TENANT), garbage),
        // Only the fake connector, a closed loopback port or no URL at all: never a real host.
        serviceUrl: fc.constantFrom('connector', 'http://127.0.0.1:9', 'not a url', ''),
        extra: fc.dictionary(fc.constantFrom('action', 'value', 'membersAdded', 'membersRemoved', 'attachments', 'reactionsAdded', 'name'), garbage, { maxKeys: 3 }),
        mutations: fc.array(mutation, { maxLength: 3 }),
      })
      .map((c) => {
        const a = baseActivity({ aadObjectId: c.person.aadObjectId, name: c.person.name }, c.tenant, c.serviceUrl === 'connector' ? bot.connector.url : c.serviceUrl);
        Object.assign(a, { type: c.type, text: c.text }, c.extra);
        for (const m of c.mutations) applyMutation(a, m);
        return { kind: 'activity' as const, activity: a };
      });
    const nothing = fc.constantFrom({ kind: 'raw' as const, body: '', contentType: 'application/json' });

    const property = fc.asyncProperty(fc.oneof(raw, activity, nothing), async (input) => {
      fc.pre(input.kind === 'raw' || (!mayBeLegitimate(input.activity, seeded) && !mayReachOutside(input.activity)));
      const graphBefore = bot.graph.writes().length;
      const sentBefore = bot.connector.activities().length;
      let status: number;
      let body: unknown;
      if (input.kind === 'raw') {
        const res = await fetch(`${bot.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': input.contentType }, body: input.body });
        status = res.status;
        const text = await res.text();
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
      } else {
        ({ status, body } = await bot.teams.post(input.activity));
      }
      checkAnswer(status, body, () => show(input));
      await bot.settle();
      assert.equal(bot.graph.writes().length, graphBefore, `a Graph write after ${show(input)}`);
      // A message may be answered (help, the form, status); garbage that is not an activity never is.
      if (input.kind === 'raw') assert.equal(bot.connector.activities().length, sentBefore, `a send after ${show(input)}`);
    });
    const runs = await runProperty('garbage bodies and other activities', property, OTHER_RUNS);
    assert.ok(runs >= OTHER_RUNS);
    const after = await snapshot();
    assert.equal(after.requests, before.requests, 'stored requests are unchanged');
    assert.equal(after.graphWrites, before.graphWrites, 'no Graph write');
  });

  it('answers an invoke whose `locale` is not a string as an unknown locale (was a 500)', async () => {
    const answer = await bot.teams.post({ ...baseActivity({ aadObjectId: PEOPLE.megan.aadObjectId }, TENANT_ID, bot.connector.url), locale: 42, type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: VERBS.approve, data: { requestId: seeded[0].id, version: 1 } } } });
    assert.equal(answer.status, 200, `HTTP ${answer.status}: ${show(answer.body)}`);
    assert.equal((answer.body as { statusCode?: number }).statusCode, 400);
  });

  it('answers an activity whose `serviceUrl` is not a string with 400 (was a 500 with the exception text)', async () => {
    for (const type of ['invoke', 'message']) {
      const answer = await bot.teams.post({ ...baseActivity({ aadObjectId: PEOPLE.megan.aadObjectId }, TENANT_ID, 42), type, text: 'help', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: VERBS.approve, data: {} } } });
      assert.equal(answer.status, 400, `${type}: HTTP ${answer.status}: ${show(answer.body)}`);
      assert.deepEqual(answer.body, { error: 'serviceUrl must be a string: this is not a Teams activity.' });
    }
  });

  it('still works for real people afterwards: an approver can decide a seeded request', async () => {
    const [first] = seeded;
    const answer = await bot.teams.click(PEOPLE.megan, VERBS.approve, { requestId: first.id, version: 1, approverJustification: 'after the storm' });
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
    assert.equal((await store.get(first.id))?.request.state, 'delivered');
  });
});
