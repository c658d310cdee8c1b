/**
 * The state machine table (src/domain/stateMachine.ts) against the code: every row is run on the real domain
 * function, from a request built in each of its `from` situations; every transition function of the domain needs a
 * row; the docs show the table as it is (npm run docs:lifecycle).
 */
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { LIFECYCLE_DOCS, staleLifecycleDocs } from '../../scripts/lifecycleDocs';
import type { Policy } from '../../src/catalog/types';
import type { EffectKind } from '../../src/domain/effects';
import * as expiry from '../../src/domain/expiry';
import type { RemovalResult } from '../../src/domain/expiry';
import * as lifecycle from '../../src/domain/lifecycle';
import * as reprocess from '../../src/domain/reprocess';
import { REQUEST_STATES, type AccessRequest, type ExtensionTarget, type RequestState, type ResourceDelivery } from '../../src/domain/request';
import { DUE_KINDS, type DueItem } from '../../src/domain/schedule';
import {
  COMMIT_EFFECTS,
  STATE_MACHINE,
  TRANSITION_FUNCTIONS,
  TRIGGERS,
  situationOf,
  targetOf,
  type TransitionRow,
} from '../../src/domain/stateMachine';
import * as transitions from '../../src/domain/transitions';
import type { GrantResult, Transition } from '../../src/domain/transitions';
import { deepFreeze } from '../support/assertions';
import { T0, crmEntry, crmPolicy, crmStage, salesEntry, salesPolicy } from '../support/domainFixtures';
import {
  ACCESS_ENDS_AT,
  APPROVER,
  ESCALATION_APPROVER,
  NOW,
  OTHER_APPROVER,
  REQUESTER,
  STAGE_ONE_DUE_AT,
  buildRequest,
  deliveredRequest,
  withDecision,
  withDelivery,
} from '../support/requestFixtures';

const REPO_ROOT = join(__dirname, '..', '..');
const DAY = transitions.DAY_IN_MS;
const iso = (ms: number): string => new Date(ms).toISOString();
const ENDS = Date.parse(ACCESS_ENDS_AT);

/** Every function of the domain modules that change a request; the scenarios reach them only through this. */
const DOMAIN = { ...transitions, ...lifecycle, ...expiry, ...reprocess };
type Domain = typeof DOMAIN;

/** Every effect kind, so a new kind fails to compile here until it is counted (and then needs a row). */
const EFFECT_KINDS: Record<EffectKind, true> = {
  startStage: true,
  notify: true,
  refreshCards: true,
  deliver: true,
  schedule: true,
  revoke: true,
  settleExtension: true,
  alertManagers: true,
  syncFailedIndex: true,
  syncAssignment: true,
  syncApprovals: true,
  syncPackageIndex: true,
};

// ---------------------------------------------------------------------------------------------
// Requests in each situation of the table, from the shared fixtures

const EXTENSION_ID = 'req-2026-0009';
const NEW_END = iso(ENDS + 365 * DAY);
const EXTENSION_OF: ExtensionTarget = { requestId: deliveredRequest().id, currentEndsAt: ACCESS_ENDS_AT, newEndsAt: NEW_END };
const withApproval: Policy = { ...crmPolicy, extension: { allowed: true, approvalRequired: true } };

function resource(request: AccessRequest, key: string, changes: Partial<ResourceDelivery>): ResourceDelivery {
  const found = request.resources.find((r) => r.key === key);
  assert.ok(found, `fixture has resource ${key}`);
  return { ...found, ...changes };
}

/** Approved by the only stage, nothing delivered yet, no start date ahead. */
function approved(): AccessRequest {
  return withDecision(buildRequest({ startDate: undefined }), 'approved');
}

/** Delivery under way: the first attempt at both resources failed transiently. */
function delivering(): AccessRequest {
  const request = approved();
  const retrying = { status: 'pending', attempts: 1, lastError: 'HTTP 503 Service Unavailable' } as const;
  return { ...request, state: 'delivering', resources: [resource(request, '00', retrying), resource(request, '01', retrying)] };
}

/** Delivered, except the app role: Graph refused it. Its access ends at ACCESS_ENDS_AT. */
function partiallyDelivered(): AccessRequest {
  const request = deliveredRequest();
  return {
    ...request,
    state: 'partiallyDelivered',
    resources: [request.resources[0], resource(request, '01', { status: 'failed', lastError: 'HTTP 403 Authorization_RequestDenied' })],
  };
}

function deliveryFailed(): AccessRequest {
  return { ...withDelivery(approved(), 'failed', 'HTTP 404 Request_ResourceNotFound'), completedAt: '2026-03-04T10:16:00.000Z' };
}

const PLAIN: Partial<Record<RequestState, () => AccessRequest>> = {
  submitted: () => buildRequest({ state: 'submitted', stages: [] }),
  pendingApproval: () => buildRequest(),
  scheduled: () => ({ ...withDecision(buildRequest(), 'approved'), state: 'scheduled' }),
  approved,
  delivering,
  delivered: deliveredRequest,
  partiallyDelivered,
  deliveryFailed,
  denied: () => withDecision(buildRequest(), 'denied'),
  expired: () => ({ ...buildRequest(), state: 'expired', completedAt: STAGE_ONE_DUE_AT }),
  canceled: () => ({ ...buildRequest(), state: 'canceled', completedAt: NOW.toISOString(), canceledAt: NOW.toISOString() }),
};

/** A request in `situation` (`delivered`, `delivered (removing)`, …) as the table names it. */
function inSituation(situation: string): AccessRequest {
  const [, state, mark] = /^(\w+)(?: \((\w+)\))?$/.exec(situation) ?? [];
  const build = PLAIN[state as RequestState];
  assert.ok(build, `no fixture for a request in ${situation}`);
  const request = build();
  const removalStartedAt = NOW.toISOString();
  switch (mark) {
    case undefined:
      return request;
    case 'extensionPending':
      return { ...request, pendingExtension: { requestId: EXTENSION_ID, requestedAt: NOW.toISOString(), newEndsAt: NEW_END } };
    case 'removing':
      return { ...request, removalStartedAt };
    case 'removalFailed':
      return {
        ...request,
        removalStartedAt,
        removalFailedAt: removalStartedAt,
        resources: request.resources.map((r) => (r.status === 'delivered' ? { ...r, status: 'removalFailed', removalAttempts: 1, lastError: 'HTTP 403' } : r)),
      };
    default:
      throw new Error(`no fixture for the mark ${mark}`);
  }
}

/** An extension request for deliveredRequest()'s access, in `state`. */
function extensionRequest(state: string, overrides: Partial<AccessRequest> = {}): AccessRequest {
  return { ...inSituation(state), id: EXTENSION_ID, startDate: undefined, endDate: undefined, extensionOf: EXTENSION_OF, ...overrides };
}

/** Graph's answer for each resource still pending: `ok`, `transient` (failed, may be retried) or `refused`. */
function grants(request: AccessRequest, outcome: (key: string) => 'ok' | 'transient' | 'refused'): GrantResult[] {
  return request.resources
    .filter((r) => r.status === 'pending')
    .map(({ key }): GrantResult => {
      const answer = outcome(key);
      return answer === 'ok' ? { key, status: 'delivered' } : { key, status: 'failed', transient: answer === 'transient', error: `HTTP ${answer === 'transient' ? 503 : 403}` };
    });
}

/** Graph's answer for each resource still held. */
function removals(request: AccessRequest, outcome: (key: string) => 'ok' | 'kept' | 'transient' | 'refused'): RemovalResult[] {
  return request.resources
    .filter((r) => r.status === 'delivered')
    .map(({ key }): RemovalResult => {
      const answer = outcome(key);
      if (answer === 'ok') return { key, status: 'removed' };
      if (answer === 'kept') return { key, status: 'removed', keptBy: { requestId: 'req-2026-0042', packageName: 'Sales team' } };
      return { key, status: 'failed', transient: answer === 'transient', error: `HTTP ${answer === 'transient' ? 503 : 403}` };
    });
}

const expiryItem = (request: AccessRequest, ref: number, dueAt: string): DueItem => ({ kind: 'accessExpiry', requestId: request.id, dueAt, ref });
const approvers = { approverIds: [APPROVER.id, OTHER_APPROVER.id], usedFallback: false };
const decision = (outcome: 'approved' | 'denied') => ({ actor: APPROVER, outcome, justification: 'Checked with the account team.', now: NOW });
const extendInput = { requester: REQUESTER, extensionId: EXTENSION_ID, now: NOW };

// ---------------------------------------------------------------------------------------------
// One scenario per row: the request in the row's `from` situation, and the call of the row's function

type Outcome = { before?: AccessRequest; after: Transition | undefined };
type Scenario = (d: Domain, from: string | undefined) => Outcome;

/** Runs `call` on the request in `from` (frozen: a transition never changes its input). */
function on(from: string | undefined, call: (request: AccessRequest) => Transition | undefined, build = inSituation): Outcome {
  assert.ok(from, 'this row starts from a request');
  const before = deepFreeze(build(from));
  return { before, after: call(before) };
}

const SCENARIOS: Record<string, Scenario> = {
  'submit.approval': (d) => ({
    after: d.createRequest({ id: 'req-new', entry: crmEntry, policy: crmPolicy, requester: REQUESTER, fields: { justification: 'New account.' }, now: T0 }),
  }),
  'submit.noApproval': (d) => ({
    after: d.createRequest({ id: 'req-new', entry: salesEntry, policy: salesPolicy, requester: REQUESTER, fields: {}, now: T0 }),
  }),
  'submit.noApproval.later': (d) => ({
    after: d.createRequest({ id: 'req-new', entry: salesEntry, policy: salesPolicy, requester: REQUESTER, fields: { startDate: '2026-03-10' }, now: T0 }),
  }),
  stageStarted: (d, from) =>
    on(from, (r) => d.startStage(r, crmStage, approvers, NOW), (situation) =>
      // pendingApproval: its stage 1 was just approved, stage 2 starts.
      situation === 'pendingApproval' ? { ...withDecision(buildRequest(), 'approved'), state: 'pendingApproval' } : inSituation(situation),
    ),
  'approve.next': (d, from) => on(from, (r) => d.decide(r, crmStage, 2, decision('approved'))),
  'approve.last': (d, from) => on(from, (r) => d.decide(r, crmStage, 1, decision('approved')), () => buildRequest({ startDate: undefined })),
  'approve.last.later': (d, from) => on(from, (r) => d.decide(r, crmStage, 1, decision('approved'))),
  'approve.extension': (d, from) => on(from, (r) => d.decide(r, crmStage, 1, decision('approved')), extensionRequest),
  deny: (d, from) => on(from, (r) => d.decide(r, crmStage, 1, decision('denied'))),
  'deny.extension': (d, from) => on(from, (r) => d.decide(r, crmStage, 1, decision('denied')), extensionRequest),
  stageTimeout: (d, from) => on(from, (r) => d.expireStage(r, 0, new Date(STAGE_ONE_DUE_AT))),
  'stageTimeout.extension': (d, from) => on(from, (r) => d.expireStage(r, 0, new Date(STAGE_ONE_DUE_AT)), extensionRequest),
  approvalReminder: (d, from) => on(from, (r) => d.remindStage(r, 0, NOW)),
  escalation: (d, from) => on(from, (r) => d.escalateStage(r, 0, [ESCALATION_APPROVER.id], NOW)),
  scheduledStart: (d, from) => on(from, (r) => d.startScheduled(r, new Date('2026-03-09T00:00:00.000Z'))),
  'cancel.open': (d, from) => on(from, (r) => d.cancelRequest(r, REQUESTER.id, NOW)),
  'cancel.open.extension': (d, from) => on(from, (r) => d.cancelRequest(r, REQUESTER.id, NOW), extensionRequest),
  'deliver.retry': (d, from) => on(from, (r) => d.recordDelivery(r, grants(r, (key) => (key === '00' ? 'ok' : 'transient')), crmPolicy, NOW)),
  'deliver.all': (d, from) => on(from, (r) => d.recordDelivery(r, grants(r, () => 'ok'), crmPolicy, NOW)),
  'deliver.part': (d, from) => on(from, (r) => d.recordDelivery(r, grants(r, (key) => (key === '00' ? 'ok' : 'refused')), crmPolicy, NOW)),
  'deliver.none': (d, from) => on(from, (r) => d.recordDelivery(r, grants(r, () => 'refused'), crmPolicy, NOW)),
  reprocess: (d, from) => on(from, (r) => d.reprocess(r, true, NOW)),
  'deliver.all.afterPartial': (d, from) =>
    on(from, (r) => d.recordDelivery(r, grants(r, () => 'ok'), crmPolicy, NOW), () => reprocessed(partiallyDelivered())),
  'deliver.all.afterNone': (d, from) =>
    on(from, (r) => d.recordDelivery(r, grants(r, () => 'ok'), crmPolicy, NOW), () => reprocessed(deliveryFailed())),
  'deliver.part.again': (d, from) =>
    on(from, (r) => d.recordDelivery(r, grants(r, () => 'refused'), crmPolicy, NOW), () => reprocessed(partiallyDelivered())),
  'cancel.failed': (d, from) => on(from, (r) => d.cancelRequest(r, REQUESTER.id, NOW)),
  'cancel.partial': (d, from) => on(from, (r) => d.cancelRequest(r, REQUESTER.id, NOW)),
  expiryReminder: (d, from) =>
    on(from, (r) => d.remindExpiry(r, { kind: 'expiryReminder', requestId: r.id, dueAt: iso(ENDS - DAY), ref: 1 }, new Date(ENDS - DAY))),
  'extend.now': (d, from) => on(from, (r) => d.extendAccess(r, crmPolicy, extendInput).original),
  'extend.mark': (d, from) => on(from, (r) => d.extendAccess(r, withApproval, extendInput).original),
  'extend.request': (d) => ({ after: d.extendAccess(deepFreeze(deliveredRequest()), withApproval, extendInput).extension }),
  'extensionSettled.approved': (d, from) => on(from, (r) => d.settleExtension(r, extensionRequest('approved'), crmPolicy, NOW)),
  'extensionSettled.ended': (d, from) =>
    on(from, (r) => {
      // Denied, expired and canceled settle alike.
      const [denied, ...others] = (['denied', 'expired', 'canceled'] as const).map((state) => d.settleExtension(r, extensionRequest(state), crmPolicy, NOW));
      for (const other of others) assert.deepEqual(other, denied);
      return denied;
    }),
  extensionCompleted: (d, from) =>
    on(from, (r) => d.completeExtension(r, { ...deliveredRequest(), accessEndsAt: NEW_END }, NOW), () => extensionRequest('approved')),
  'extensionCompleted.late': (d, from) =>
    on(from, (r) => d.completeExtension(r, { ...deliveredRequest(), state: 'accessExpired' }, NOW), () => extensionRequest('approved')),
  accessExpiry: (d, from) => on(from, (r) => d.expireAccess(r, expiryItem(r, 0, ACCESS_ENDS_AT), new Date(ENDS))),
  release: (d, from) => on(from, (r) => d.releaseAccess(r, REQUESTER.id, NOW)),
  'revoke.retry': (d, from) => on(from, (r) => d.recordRemoval(r, removals(r, (key) => (key === '00' ? 'transient' : 'ok')), NOW)),
  'revoke.refused': (d, from) => on(from, (r) => d.recordRemoval(r, removals(r, (key) => (key === '00' ? 'refused' : 'ok')), NOW)),
  'revoke.refused.again': (d, from) =>
    on(from, (r) => d.recordRemoval(r, removals(r, (key) => (key === '00' ? 'refused' : 'ok')), NOW), (situation) => ({
      ...inSituation(situation),
      removalFailedAt: iso(NOW.getTime() - DAY),
    })),
  removalRetry: (d, from) => on(from, (r) => d.expireAccess(r, expiryItem(r, expiry.REMOVAL_RETRY_REF, iso(NOW.getTime() + DAY)), new Date(NOW.getTime() + DAY))),
  'revoke.done': (d, from) => on(from, (r) => d.recordRemoval(r, removals(r, (key) => (key === '01' ? 'kept' : 'ok')), NOW)),
  'revoke.done.partial': (d, from) => on(from, (r) => d.recordRemoval(r, removals(r, () => 'ok'), NOW)),
  'revoke.done.canceled': (d, from) =>
    on(from, (r) => d.recordRemoval(r, removals(r, () => 'ok'), NOW), (situation) => ({ ...inSituation(situation), canceledAt: NOW.toISOString() })),
};

/** `request` after a manager's Reprocess: delivering again, the failed resources pending with a fresh budget. */
function reprocessed(request: AccessRequest): AccessRequest {
  return {
    ...request,
    state: 'delivering',
    reprocessedAt: NOW.toISOString(),
    resources: request.resources.map((r) => (r.status === 'delivered' ? r : { ...r, status: 'pending', attempts: 0, lastError: undefined })),
  };
}

// ---------------------------------------------------------------------------------------------
// The transition functions of the domain, found by their return type (parsed, not imported)

function mentionsTransition(checker: ts.TypeChecker, type: ts.Type, depth: number): boolean {
  if (type.isUnion()) return type.types.some((t) => mentionsTransition(checker, t, depth));
  if ((type.aliasSymbol ?? type.getSymbol())?.getName() === 'Transition') return true;
  return depth > 0 && type.getProperties().some((p) => mentionsTransition(checker, checker.getTypeOfSymbol(p), depth - 1));
}

/** `module.function` for every exported function of src/domain that returns a Transition (or an object of them). */
function domainTransitionFunctions(): string[] {
  const dir = join(REPO_ROOT, 'src', 'domain');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
  // Only the domain's own files, without the standard library: what matters is where `Transition` appears.
  const program = ts.createProgram(files, { noResolve: true, noLib: true, types: [], noEmit: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!source || !module) continue;
    for (const symbol of checker.getExportsOfModule(module)) {
      const signatures = checker.getTypeOfSymbolAtLocation(symbol, source).getCallSignatures();
      if (signatures.some((s) => mentionsTransition(checker, checker.getReturnTypeOfSignature(s), 2))) {
        found.push(`${file.slice(dir.length + 1, -'.ts'.length)}.${symbol.getName()}`);
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

const sorted = <T>(values: Iterable<T>): T[] => [...new Set(values)].sort();

function label(row: TransitionRow, from: string | undefined): string {
  return `${row.id}: ${from ?? '(new)'} --${row.trigger}${row.when ? ` (${row.when})` : ''}--> ${targetOf(row, from)}`;
}

describe('domain/stateMachine: the table against the code', () => {
  describe('every row, from each of its situations, on the real function', () => {
    for (const row of STATE_MACHINE) {
      for (const from of row.from.length === 0 ? [undefined] : row.from) {
        it(label(row, from), () => {
          const scenario = SCENARIOS[row.id];
          assert.ok(scenario, `row ${row.id} has no scenario in this test: add one`);
          const called: string[] = [];
          const domain = new Proxy(DOMAIN, {
            get(target, key, receiver) {
              if (typeof key === 'string') called.push(key);
              return Reflect.get(target, key, receiver);
            },
          });
          const { before, after } = scenario(domain, from);
          assert.deepEqual(sorted(called), [row.via[0]], `row ${row.id} is made by ${row.via[0]}`);
          if (from !== undefined) {
            assert.ok(before);
            assert.equal(situationOf(before), from, 'the request is built in the row’s from situation');
          }
          assert.ok(after, `${row.via[0]} made no transition (the row says it does)`);
          assert.equal(situationOf(after.next), targetOf(row, from), 'the situation it leads to');
          assert.deepEqual(sorted(after.effects.map((e) => e.kind)), sorted(row.effects), 'the kinds of its effects');
          if (before) assert.equal(after.next.version, before.version + 1, 'a transition is a new version');
        });
      }
    }
  });

  describe('the table covers the code', () => {
    it('every exported transition function of src/domain is listed, and has a row', () => {
      const found = domainTransitionFunctions();
      const names = found.map((f) => f.slice(f.indexOf('.') + 1));
      const unlisted = found.filter((f) => !(TRANSITION_FUNCTIONS as readonly string[]).includes(f.slice(f.indexOf('.') + 1)));
      assert.deepEqual(unlisted, [], 'these return a Transition: add them to TRANSITION_FUNCTIONS and give them rows in STATE_MACHINE');
      assert.deepEqual(sorted(TRANSITION_FUNCTIONS.filter((name) => !names.includes(name))), [], 'listed but not found in src/domain');
      const withoutRow = TRANSITION_FUNCTIONS.filter((name) => !STATE_MACHINE.some((row) => row.via.includes(name)));
      assert.deepEqual(withoutRow, [], 'transition functions without a row in STATE_MACHINE');
    });

    it('this test reaches every transition function (a new domain module needs adding to DOMAIN)', () => {
      const missing = TRANSITION_FUNCTIONS.filter((name) => typeof (DOMAIN as Record<string, unknown>)[name] !== 'function');
      assert.deepEqual(missing, []);
    });

    it('every row has a scenario and every scenario a row; row ids are unique', () => {
      const ids = STATE_MACHINE.map((row) => row.id);
      assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate row ids');
      assert.deepEqual(sorted(Object.keys(SCENARIOS)), sorted(ids));
    });

    it('every due item kind and every trigger has a row', () => {
      for (const kind of DUE_KINDS) assert.ok(kind in TRIGGERS, `due item ${kind} is not a trigger`);
      const used = new Set(STATE_MACHINE.map((row) => row.trigger));
      assert.deepEqual(Object.keys(TRIGGERS).filter((trigger) => !used.has(trigger as TransitionRow['trigger'])), []);
    });

    it('every effect kind is written by some row, each named once per row', () => {
      const used = new Set([...STATE_MACHINE.flatMap((row) => row.effects), ...COMMIT_EFFECTS]);
      assert.deepEqual(Object.keys(EFFECT_KINDS).filter((kind) => !used.has(kind as EffectKind)), []);
      for (const row of STATE_MACHINE) assert.equal(new Set(row.effects).size, row.effects.length, `row ${row.id} names an effect twice`);
    });

    it('every state is reached by some row', () => {
      const reached = new Set(STATE_MACHINE.flatMap((row) => (row.from.length === 0 ? [undefined] : row.from).map((from) => targetOf(row, from).replace(/ \(.*\)$/, ''))));
      assert.deepEqual(REQUEST_STATES.filter((state) => !reached.has(state)), []);
    });
  });

  it('docs/lifecycle.md and docs/design.md show the table as it is', () => {
    const stale = staleLifecycleDocs(REPO_ROOT).map((doc) => doc.path);
    assert.deepEqual(stale, [], `the lifecycle section of ${stale.join(', ')} differs from src/domain/stateMachine.ts: run \`npm run docs:lifecycle\``);
    assert.equal(LIFECYCLE_DOCS.length, 2);
  });
});
