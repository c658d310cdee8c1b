import { strict as assert } from 'node:assert';
import { domainError, rejects, deepFreeze } from '../support/assertions';
import type { ApprovalStage, Expiration, Policy } from '../../src/catalog/types';
import { ConflictError, ExpiredError, ForbiddenError } from '../../src/domain/errors';
import {
  CANCELABLE_STATES,
  cancelRequest,
  escalateStage,
  expireStage,
  isCancelable,
  remindStage,
  startScheduled,
} from '../../src/domain/lifecycle';
import { REQUEST_STATES, currentStage, type AccessRequest, type PersonSnapshot, type RequestState } from '../../src/domain/request';
import {
  DAY_IN_MS,
  REFRESH_APPROVALS,
  REFRESH_STATUS,
  REFRESH_STATUS_AND_APPROVALS,
  assertCanDecide,
  createRequest,
  decide,
  recordDelivery,
  startStage,
  type Transition,
} from '../../src/domain/transitions';
import { demo } from '../support/fakes';
import { T0, at, crmEntry, crmPolicy, crmStage, salesEntry, salesPolicy } from '../support/domainFixtures';

const stageTwo: ApprovalStage = { ...crmStage, approverJustificationRequired: false, timeoutDays: 7 };
const twoStagePolicy: Policy = { ...crmPolicy, approval: { required: true, stages: [crmStage, stageTwo] } };

const adele: PersonSnapshot = { id: demo.users.adele, displayName: 'Adele Vance' };
const diego: PersonSnapshot = { id: demo.users.diego, displayName: 'Diego Siciliani' };
const megan: PersonSnapshot = { id: demo.users.megan, displayName: 'Megan Bowen' };
const lee: PersonSnapshot = { id: demo.users.lee, displayName: 'Lee Gu' };
const patti: PersonSnapshot = { id: demo.users.patti, displayName: 'Patti Fernandez' };
const isaiah: PersonSnapshot = { id: demo.users.isaiah, displayName: 'Isaiah Langer' };

function applied(transition: Transition | undefined, what: string): Transition {
  assert.ok(transition, `${what} applies`);
  return transition;
}

// Requests in each state, built through the real transitions ------------------------------------

function submitted(policy: Policy = crmPolicy, startDate?: string): AccessRequest {
  return createRequest({
    id: 'request-1',
    entry: crmEntry,
    policy,
    requester: adele,
    fields: { justification: 'Pipeline review', ...(startDate ? { startDate } : {}) },
    now: T0,
  }).next;
}

/** Stage 1 (Diego, Megan) started at T0 + 1 s: due 14 days later. */
function pending(policy: Policy = crmPolicy, startDate?: string): AccessRequest {
  return startStage(submitted(policy, startDate), policy.approval.stages[0], { approverIds: [diego.id, megan.id], usedFallback: false }, at(1000)).next;
}
const stageOneDue = (): number => Date.parse(pending().stages[0].dueAt);

/** Stage 1 approved by Diego; stage 2 (Lee) started at T0 + 3 s, due 7 days later. */
function inStageTwo(): AccessRequest {
  const first = decide(pending(twoStagePolicy), crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
  return startStage(first, stageTwo, { approverIds: [lee.id], usedFallback: false }, at(3000)).next;
}

/** Stage 1 of 2 approved, stage 2 not yet started (state pendingApproval, last stage decided). */
function betweenStages(): AccessRequest {
  return decide(pending(twoStagePolicy), crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
}

function approved(): AccessRequest {
  return decide(pending(), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
}

/** Approved, with a start date (10 March 2026) still to come. */
function scheduled(): AccessRequest {
  const request = decide(pending(crmPolicy, '2026-03-10'), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
  assert.equal(request.state, 'scheduled', 'test setup');
  return request;
}

function denied(): AccessRequest {
  return decide(pending(), crmStage, 1, { actor: megan, outcome: 'denied', justification: 'no', now: at(2000) }).next;
}

function delivered(): AccessRequest {
  return recordDelivery(approved(), [{ key: '00', status: 'delivered' }, { key: '01', status: 'delivered', assignmentId: 'a-1' }], crmPolicy, at(3000)).next;
}

function expired(): AccessRequest {
  return applied(expireStage(pending(), 0, new Date(stageOneDue())), 'expiry').next;
}

/** A request in every state, each built the way it would really come about (where a transition leads there). */
const inState: Record<RequestState, () => AccessRequest> = {
  submitted: () => submitted(),
  pendingApproval: () => pending(),
  approved,
  scheduled,
  delivering: () => recordDelivery(approved(), [{ key: '00', status: 'delivered' }, { key: '01', status: 'failed', transient: true, error: '503' }], crmPolicy, at(3000)).next,
  delivered,
  partiallyDelivered: () =>
    recordDelivery(approved(), [{ key: '00', status: 'delivered' }, { key: '01', status: 'failed', transient: false, error: '403' }], crmPolicy, at(3000)).next,
  deliveryFailed: () =>
    recordDelivery(approved(), [{ key: '00', status: 'failed', transient: false, error: '403' }, { key: '01', status: 'failed', transient: false, error: '403' }], crmPolicy, at(3000)).next,
  denied,
  expired,
  canceled: () => cancelRequest(pending(), adele.id, at(2000)).next,
  accessExpired: () => ({ ...delivered(), state: 'accessExpired', version: delivered().version + 1 }),
  // An approved extension request, once applied to the access it extends.
  extended: () => ({ ...approved(), state: 'extended', version: approved().version + 1 }),
};

/** A policy with this expiration and no expiry reminders, for recordDelivery. */
const expiring = (expiration: Expiration) => ({ expiration, expiryReminderDays: [] as number[] });

describe('domain/lifecycle', () => {
  it('the request builders really give each state', () => {
    for (const state of REQUEST_STATES) assert.equal(inState[state]().state, state);
  });

  describe('expireStage', () => {
    it('before dueAt: nothing to do (the item is early or the clock is behind)', () => {
      assert.equal(expireStage(pending(), 0, new Date(stageOneDue() - 1)), undefined);
      assert.equal(expireStage(pending(), 0, at(2000)), undefined);
    });

    for (const [name, offset] of [
      ['exactly at dueAt', 0],
      ['a minute after dueAt', 60_000],
      ['days after dueAt (the scheduler was down)', 3 * DAY_IN_MS],
    ] as Array<[string, number]>) {
      it(`${name}: expired, completed, every card refreshed and the requester told (#3)`, () => {
        const request = pending();
        const now = new Date(stageOneDue() + offset);
        const { next, effects } = applied(expireStage(request, 0, now), 'expiry');
        assert.equal(next.state, 'expired');
        assert.equal(next.completedAt, now.toISOString());
        assert.equal(next.updatedAt, now.toISOString());
        assert.equal(next.version, request.version + 1);
        assert.deepEqual(next.stages, request.stages, 'the stage keeps no decision');
        assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'notify', recipientId: adele.id, card: 'requestExpired' }]);
        assert.equal(currentStage(next), undefined);
      });
    }

    it('only the open stage the item names: another index is stale', () => {
      const due = new Date(stageOneDue());
      assert.equal(expireStage(pending(), 1, due), undefined);
      assert.equal(expireStage(pending(), -1, due), undefined);
      const stage2 = inStageTwo();
      const stage2Due = Date.parse(stage2.stages[1].dueAt);
      assert.equal(expireStage(stage2, 0, new Date(stage2Due + DAY_IN_MS)), undefined, "stage 1's timeout after stage 1 was approved");
      const { next, effects } = applied(expireStage(stage2, 1, new Date(stage2Due)), 'stage 2 expiry');
      assert.equal(next.state, 'expired');
      assert.equal(next.stages[0].decision?.by.id, diego.id, 'the stage-1 decision is kept');
      assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'notify', recipientId: adele.id, card: 'requestExpired' }]);
    });

    it('a decided stage is stale: approved, denied, or approved and waiting for stage 2', () => {
      const late = new Date(stageOneDue() + DAY_IN_MS);
      for (const request of [approved(), denied(), betweenStages()]) {
        assert.equal(expireStage(request, 0, late), undefined, request.state);
      }
    });

    for (const state of REQUEST_STATES.filter((s) => s !== 'pendingApproval')) {
      it(`a ${state} request is stale`, () => {
        const request = inState[state]();
        for (const ref of [0, 1]) assert.equal(expireStage(request, ref, new Date(stageOneDue() + 30 * DAY_IN_MS)), undefined);
      });
    }

    it('after expiry a click is refused with ExpiredError 412 for every approver, and decide changes nothing', async () => {
      const request = expired();
      const copy = structuredClone(request);
      for (const actor of [diego, megan]) {
        await rejects(() => assertCanDecide(request, actor.id, new Date(stageOneDue() + 1)), domainError(ExpiredError, 'error.requestExpired'));
        await rejects(
          () => decide(request, crmStage, 1, { actor, outcome: 'approved', justification: 'late', now: new Date(stageOneDue() + 1) }),
          (err) => domainError(ExpiredError, 'error.requestExpired')(err) && (err as ExpiredError).status === 412,
        );
      }
      // Even a click carrying an earlier "now" (a clock skew) is refused: the state decides.
      await rejects(() => assertCanDecide(request, diego.id, at(2000)), domainError(ExpiredError, 'error.requestExpired'));
      assert.deepEqual(request, copy);
    });

    it('an expired request cannot expire again, be reminded, escalated or canceled', async () => {
      const request = expired();
      const later = new Date(stageOneDue() + DAY_IN_MS);
      assert.equal(expireStage(request, 0, later), undefined);
      assert.equal(remindStage(request, 0, at(2000)), undefined);
      assert.equal(escalateStage(request, 0, [lee.id], at(2000)), undefined);
      await rejects(() => cancelRequest(request, adele.id, later), domainError(ConflictError, 'error.cannotCancel', { state: 'expired' }));
    });
  });

  describe('remindStage', () => {
    it('before the timeout: remindedAt recorded, every approver of the stage gets the reminder (#2)', () => {
      const request = pending();
      const now = new Date(stageOneDue() - DAY_IN_MS);
      const { next, effects } = applied(remindStage(request, 0, now), 'reminder');
      assert.equal(next.state, 'pendingApproval');
      assert.equal(next.version, request.version + 1);
      assert.equal(next.updatedAt, now.toISOString());
      assert.equal(next.completedAt, undefined);
      assert.deepEqual(next.stages, [{ ...request.stages[0], remindedAt: now.toISOString() }]);
      assert.deepEqual(effects, [
        { kind: 'notify', recipientId: diego.id, card: 'approvalReminder' },
        { kind: 'notify', recipientId: megan.id, card: 'approvalReminder' },
      ]);
    });

    it('once per stage: a second reminder of the same stage is stale', () => {
      const reminded = applied(remindStage(pending(), 0, at(DAY_IN_MS)), 'reminder').next;
      assert.equal(remindStage(reminded, 0, at(2 * DAY_IN_MS)), undefined);
      assert.equal(remindStage(reminded, 0, at(DAY_IN_MS)), undefined, 'the same item run twice');
    });

    it('each stage has its own reminder', () => {
      const stage1Reminded = applied(remindStage(pending(twoStagePolicy), 0, at(DAY_IN_MS)), 'stage 1 reminder').next;
      const first = decide(stage1Reminded, crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(DAY_IN_MS + 1) }).next;
      const stage2 = startStage(first, stageTwo, { approverIds: [lee.id], usedFallback: false }, at(DAY_IN_MS + 2)).next;
      const { next, effects } = applied(remindStage(stage2, 1, at(2 * DAY_IN_MS)), 'stage 2 reminder');
      assert.deepEqual(effects, [{ kind: 'notify', recipientId: lee.id, card: 'approvalReminder' }]);
      assert.equal(next.stages[1].remindedAt, at(2 * DAY_IN_MS).toISOString());
      assert.equal(next.stages[0].remindedAt, at(DAY_IN_MS).toISOString());
    });

    it('at or after the timeout it is too late to remind', () => {
      assert.equal(remindStage(pending(), 0, new Date(stageOneDue())), undefined);
      assert.equal(remindStage(pending(), 0, new Date(stageOneDue() + 1)), undefined);
      assert.ok(remindStage(pending(), 0, new Date(stageOneDue() - 1)));
    });

    it('reminds the forwarded approvers too, after an escalation', () => {
      const escalated = applied(escalateStage(pending(), 0, [lee.id], at(DAY_IN_MS)), 'escalation').next;
      const { effects } = applied(remindStage(escalated, 0, at(2 * DAY_IN_MS)), 'reminder');
      assert.deepEqual(effects, [
        { kind: 'notify', recipientId: diego.id, card: 'approvalReminder' },
        { kind: 'notify', recipientId: megan.id, card: 'approvalReminder' },
        { kind: 'notify', recipientId: lee.id, card: 'approvalReminder' },
      ]);
    });

    it('another stage index, a decided stage or any other state is stale', () => {
      const now = at(DAY_IN_MS);
      assert.equal(remindStage(pending(), 1, now), undefined);
      assert.equal(remindStage(inStageTwo(), 0, at(DAY_IN_MS)), undefined);
      for (const request of [approved(), denied(), betweenStages()]) assert.equal(remindStage(request, 0, now), undefined, request.state);
      for (const state of REQUEST_STATES.filter((s) => s !== 'pendingApproval')) {
        assert.equal(remindStage(inState[state](), 0, now), undefined, state);
      }
    });
  });

  describe('escalateStage', () => {
    it('forwards the stage: alternates join the approvers, the forwarded ones get the approval card, every approval card is refreshed', () => {
      const request = pending();
      const now = at(4 * DAY_IN_MS);
      const { next, effects } = applied(escalateStage(request, 0, [lee.id, patti.id], now), 'escalation');
      assert.equal(next.state, 'pendingApproval');
      assert.equal(next.version, request.version + 1);
      assert.equal(next.updatedAt, now.toISOString());
      assert.deepEqual(next.stages, [
        { ...request.stages[0], approverIds: [diego.id, megan.id, lee.id, patti.id], escalatedAt: now.toISOString(), forwardedTo: [lee.id, patti.id] },
      ]);
      assert.equal(next.stages[0].dueAt, request.stages[0].dueAt, 'the timeout does not move');
      assert.deepEqual(effects, [
        REFRESH_APPROVALS,
        { kind: 'notify', recipientId: lee.id, card: 'approvalRequest' },
        { kind: 'notify', recipientId: patti.id, card: 'approvalRequest' },
      ]);
    });

    it('never adds a duplicate, a present approver or the requester, and notifies only the new ones', () => {
      const { next, effects } = applied(escalateStage(pending(), 0, [lee.id, diego.id, lee.id, adele.id, patti.id, megan.id, patti.id], at(DAY_IN_MS)), 'escalation');
      assert.deepEqual(next.stages[0].approverIds, [diego.id, megan.id, lee.id, patti.id]);
      assert.deepEqual(next.stages[0].forwardedTo, [lee.id, patti.id]);
      assert.equal(new Set(next.stages[0].approverIds).size, next.stages[0].approverIds.length);
      assert.deepEqual(effects, [
        REFRESH_APPROVALS,
        { kind: 'notify', recipientId: lee.id, card: 'approvalRequest' },
        { kind: 'notify', recipientId: patti.id, card: 'approvalRequest' },
      ]);
    });

    it('with no new alternate (all already approvers, or only the requester) it still records the escalation, notifies nobody', () => {
      for (const alternates of [[], [diego.id], [adele.id]]) {
        const request = pending();
        const { next, effects } = applied(escalateStage(request, 0, alternates, at(DAY_IN_MS)), `escalation to ${alternates.join()}`);
        assert.deepEqual(next.stages[0].approverIds, request.stages[0].approverIds);
        assert.deepEqual(next.stages[0].forwardedTo, []);
        assert.equal(next.stages[0].escalatedAt, at(DAY_IN_MS).toISOString());
        assert.deepEqual(effects, [REFRESH_APPROVALS]);
      }
    });

    it('once per stage: a second escalation is stale', () => {
      const escalated = applied(escalateStage(pending(), 0, [lee.id], at(DAY_IN_MS)), 'escalation').next;
      assert.equal(escalateStage(escalated, 0, [lee.id], at(DAY_IN_MS)), undefined);
      assert.equal(escalateStage(escalated, 0, [patti.id], at(2 * DAY_IN_MS)), undefined);
    });

    it('at or after the timeout it is too late to escalate', () => {
      assert.equal(escalateStage(pending(), 0, [lee.id], new Date(stageOneDue())), undefined);
      assert.equal(escalateStage(pending(), 0, [lee.id], new Date(stageOneDue() + DAY_IN_MS)), undefined);
      assert.ok(escalateStage(pending(), 0, [lee.id], new Date(stageOneDue() - 1)));
    });

    it('another stage index, a decided stage or any other state is stale', () => {
      const now = at(DAY_IN_MS);
      assert.equal(escalateStage(pending(), 1, [lee.id], now), undefined);
      assert.equal(escalateStage(inStageTwo(), 0, [patti.id], now), undefined);
      for (const request of [approved(), denied(), betweenStages()]) assert.equal(escalateStage(request, 0, [lee.id], now), undefined, request.state);
      for (const state of REQUEST_STATES.filter((s) => s !== 'pendingApproval')) {
        assert.equal(escalateStage(inState[state](), 0, [lee.id], now), undefined, state);
      }
    });

    it('the primary approvers can still decide after forwarding', () => {
      const escalated = applied(escalateStage(pending(), 0, [lee.id], at(DAY_IN_MS)), 'escalation').next;
      assert.doesNotThrow(() => assertCanDecide(escalated, diego.id, at(2 * DAY_IN_MS)));
      const { next } = decide(escalated, crmStage, 1, { actor: megan, outcome: 'denied', justification: 'no', now: at(2 * DAY_IN_MS) });
      assert.equal(next.state, 'denied');
      assert.equal(next.stages[0].decision?.by.id, megan.id);
    });

    it('a forwarded approver can decide, which closes the stage for everyone', async () => {
      const escalated = applied(escalateStage(pending(), 0, [lee.id], at(DAY_IN_MS)), 'escalation').next;
      const { next, effects } = decide(escalated, crmStage, 1, { actor: lee, outcome: 'approved', justification: 'covering for Diego', now: at(2 * DAY_IN_MS) });
      assert.equal(next.state, 'approved');
      assert.equal(next.stages[0].decision?.by.id, lee.id);
      assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'deliver' }]);
      await rejects(() => assertCanDecide(next, diego.id, at(2 * DAY_IN_MS)), domainError(ConflictError, 'error.alreadyDecided', { name: 'Lee Gu', outcome: 'approved' }));
    });

    it('someone who was not forwarded is still not an approver', async () => {
      const escalated = applied(escalateStage(pending(), 0, [lee.id], at(DAY_IN_MS)), 'escalation').next;
      await rejects(() => assertCanDecide(escalated, isaiah.id, at(2 * DAY_IN_MS)), domainError(ForbiddenError, 'error.notApprover'));
    });
  });

  describe('startScheduled', () => {
    const midnight = Date.parse('2026-03-10T00:00:00.000Z');

    it('before the start date: nothing to do', () => {
      assert.equal(startScheduled(scheduled(), new Date(midnight - 1)), undefined);
      assert.equal(startScheduled(scheduled(), at(3000)), undefined);
    });

    for (const [name, offset] of [
      ['at midnight (UTC) of the start date', 0],
      ['later that day', 9 * 3_600_000],
      ['days later (the scheduler was down)', 5 * DAY_IN_MS],
    ] as Array<[string, number]>) {
      it(`${name}: approved, the status card refreshed, delivery begins`, () => {
        const request = scheduled();
        const now = new Date(midnight + offset);
        const { next, effects } = applied(startScheduled(request, now), 'scheduled start');
        assert.equal(next.state, 'approved');
        assert.equal(next.version, request.version + 1);
        assert.equal(next.updatedAt, now.toISOString());
        assert.equal(next.completedAt, undefined);
        assert.deepEqual(next.stages, request.stages);
        assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'deliver' }]);
      });
    }

    it('then delivery is recorded as usual, with the access end counted from delivery', () => {
      const started = applied(startScheduled(scheduled(), new Date(midnight)), 'scheduled start').next;
      const deliveredAt = new Date(midnight + 60_000);
      const { next } = recordDelivery(started, [{ key: '00', status: 'delivered' }, { key: '01', status: 'delivered' }], expiring({ afterDays: 30 }), deliveredAt);
      assert.equal(next.state, 'delivered');
      assert.equal(next.accessEndsAt, new Date(deliveredAt.getTime() + 30 * DAY_IN_MS).toISOString());
    });

    it('a request with no approval scheduled at submit starts the same way', () => {
      const { next: request } = createRequest({ id: 'r', entry: salesEntry, policy: salesPolicy, requester: adele, fields: { startDate: '2026-03-10' }, now: T0 });
      assert.equal(request.state, 'scheduled');
      const { next, effects } = applied(startScheduled(request, new Date(midnight)), 'scheduled start');
      assert.equal(next.state, 'approved');
      assert.equal(next.version, 2);
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'deliver' }]);
    });

    it('every other state is stale (already started, canceled, ...)', () => {
      const later = new Date(midnight + DAY_IN_MS);
      for (const state of REQUEST_STATES.filter((s) => s !== 'scheduled')) {
        assert.equal(startScheduled(inState[state](), later), undefined, state);
      }
      const started = applied(startScheduled(scheduled(), later), 'start').next;
      assert.equal(startScheduled(started, later), undefined, 'the same item run twice');
    });

    it('a scheduled request without a start date is left alone', () => {
      const request: AccessRequest = { ...scheduled(), startDate: undefined };
      assert.equal(startScheduled(request, new Date(midnight + DAY_IN_MS)), undefined);
    });
  });

  describe('cancelRequest', () => {
    it('lists the states before anything is delivered, and the failed deliveries (seed 000), as cancelable', () => {
      assert.deepEqual([...CANCELABLE_STATES].sort(), ['pendingApproval', 'scheduled', 'submitted']);
      const cancelable = [...CANCELABLE_STATES, 'partiallyDelivered', 'deliveryFailed'];
      for (const state of REQUEST_STATES) assert.equal(isCancelable(inState[state]()), cancelable.includes(state), state);
    });

    for (const state of ['submitted', 'pendingApproval', 'scheduled'] as const) {
      it(`the requester cancels a ${state} request: canceled, completed, the status and approval cards refreshed`, () => {
        const request = inState[state]();
        const now = at(5 * DAY_IN_MS);
        const { next, effects } = cancelRequest(request, adele.id, now);
        assert.equal(next.state, 'canceled');
        assert.equal(next.completedAt, now.toISOString());
        assert.equal(next.canceledAt, now.toISOString());
        assert.equal(next.updatedAt, now.toISOString());
        assert.equal(next.version, request.version + 1);
        assert.deepEqual(next.stages, request.stages);
        assert.deepEqual(next.resources, request.resources);
        assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS]);
      });
    }

    it('nobody but the requester may cancel, whatever the state (403 before 409)', async () => {
      for (const actor of [diego, megan, lee, isaiah]) {
        for (const state of ['pendingApproval', 'delivered'] as const) {
          await rejects(() => cancelRequest(inState[state](), actor.id, at(5000)), domainError(ForbiddenError, 'error.notYourRequest'));
        }
      }
    });

    // Failed deliveries can be canceled (test/unit/cancelFailedDelivery.test.ts); a canceled one is already canceled.
    const neverCancelable = REQUEST_STATES.filter((s) => !CANCELABLE_STATES.includes(s) && !['partiallyDelivered', 'deliveryFailed', 'canceled'].includes(s));
    for (const state of neverCancelable) {
      it(`a ${state} request cannot be canceled: 409 naming the state`, async () => {
        await rejects(
          () => cancelRequest(inState[state](), adele.id, at(5000)),
          (err) => domainError(ConflictError, 'error.cannotCancel', { state })(err) && (err as ConflictError).status === 409,
        );
      });
    }

    it('a second cancel is refused: 409, already canceled', async () => {
      await rejects(() => cancelRequest(inState.canceled(), adele.id, at(5000)), domainError(ConflictError, 'error.alreadyCanceled'));
    });

    it('after a cancel no approver can decide, and no due item applies any more', async () => {
      const canceled = cancelRequest(pending(), adele.id, at(5000)).next;
      await rejects(() => assertCanDecide(canceled, diego.id, at(6000)), domainError(ConflictError, 'error.notPending', { state: 'canceled' }));
      const late = new Date(stageOneDue() + 1);
      assert.equal(expireStage(canceled, 0, late), undefined);
      assert.equal(remindStage(canceled, 0, at(6000)), undefined);
      assert.equal(escalateStage(canceled, 0, [lee.id], at(6000)), undefined);
      const canceledSchedule = cancelRequest(scheduled(), adele.id, at(5000)).next;
      assert.equal(startScheduled(canceledSchedule, new Date('2026-03-11T00:00:00.000Z')), undefined);
    });
  });

  describe('every lifecycle transition', () => {
    it('raises the version by exactly 1 and never mutates its input', () => {
      const cases: Array<[string, AccessRequest, (r: AccessRequest) => Transition | undefined]> = [
        ['expireStage', pending(), (r) => expireStage(r, 0, new Date(stageOneDue()))],
        ['remindStage', pending(), (r) => remindStage(r, 0, at(DAY_IN_MS))],
        ['escalateStage', pending(), (r) => escalateStage(r, 0, deepFreeze([lee.id, patti.id]), at(DAY_IN_MS))],
        ['startScheduled', scheduled(), (r) => startScheduled(r, new Date('2026-03-10T00:00:00.000Z'))],
        ['cancelRequest', pending(), (r) => cancelRequest(r, adele.id, at(5000))],
      ];
      for (const [name, request, step] of cases) {
        const original = structuredClone(request);
        const frozen = deepFreeze(structuredClone(request));
        const transition = step(frozen);
        assert.ok(transition, name);
        assert.equal(transition.next.version, original.version + 1, name);
        assert.deepEqual(frozen, original, name);
        // A new request object, never the input changed in place.
        assert.notEqual(transition.next, frozen, name);
      }
    });
  });
});
