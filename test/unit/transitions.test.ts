import { strict as assert } from 'node:assert';
import { domainError, rejects, deepFreeze } from '../support/assertions';
import type { ApprovalStage, Expiration, PackageEntry, Policy } from '../../src/catalog/types';
import type { Effect } from '../../src/domain/effects';
import { ConflictError, ExpiredError, ForbiddenError, ValidationError } from '../../src/domain/errors';
import { MAX_JUSTIFICATION_LENGTH } from '../../src/domain/policy';
import { currentStage, finalDecision, type AccessRequest, type PersonSnapshot } from '../../src/domain/request';
import type { DueItem } from '../../src/domain/schedule';
import {
  DAY_IN_MS,
  MAX_DELIVERY_ATTEMPTS,
  REFRESH_APPROVALS,
  REFRESH_STATUS,
  REFRESH_STATUS_AND_APPROVALS,
  retryDelayInMs,
  assertCanDecide,
  createRequest,
  decide,
  recordDelivery,
  startStage,
  undeliveredResources,
  type GrantResult,
  type Transition,
} from '../../src/domain/transitions';
import { demo } from '../support/fakes';
import { T0, at, crmEntry, crmPolicy, crmStage, salesEntry, salesPolicy } from '../support/domainFixtures';

const HOUR_IN_MS = 3_600_000;

const adele: PersonSnapshot = { id: demo.users.adele, displayName: 'Adele Vance', department: 'Sales', jobTitle: 'Account Executive' };
const diego: PersonSnapshot = { id: demo.users.diego, displayName: 'Diego Siciliani' };
const megan: PersonSnapshot = { id: demo.users.megan, displayName: 'Megan Bowen' };
const lee: PersonSnapshot = { id: demo.users.lee, displayName: 'Lee Gu' };

const iso = (ms: number): string => new Date(ms).toISOString();

/** The schedule effect of a stage started at `startedAt` under the sample CRM stage (14 days, reminder 1 day before). */
function crmStageSchedule(requestId: string, startedAt: Date, ref = 0, timeoutDays = 14): Effect {
  const due = startedAt.getTime() + timeoutDays * DAY_IN_MS;
  return {
    kind: 'schedule',
    items: [
      { kind: 'stageTimeout', requestId, dueAt: iso(due), ref },
      { kind: 'approvalReminder', requestId, dueAt: iso(due - 1 * DAY_IN_MS), ref },
    ],
  };
}

function scheduledStart(requestId: string, dueAt: string): Effect {
  return { kind: 'schedule', items: [{ kind: 'scheduledStart', requestId, dueAt, ref: 0 }] };
}

const approvers = { approverIds: [diego.id, megan.id], usedFallback: false };
const twoStagePolicy: Policy = {
  ...crmPolicy,
  approval: { required: true, stages: [crmStage, { ...crmStage, approverJustificationRequired: false, timeoutDays: 7 }] },
};

function submitted(policy: Policy = crmPolicy, entry: PackageEntry = crmEntry): AccessRequest {
  return createRequest({ id: 'request-1', entry, policy, requester: adele, fields: { justification: 'Pipeline review' }, now: T0 }).next;
}

function pending(policy: Policy = crmPolicy, stageApprovers = approvers): AccessRequest {
  return startStage(submitted(policy), policy.approval.stages[0], stageApprovers, at(1000)).next;
}

function approvedSingleStage(): AccessRequest {
  return decide(pending(), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
}

/** The sample CRM policy's expiration: access ends 365 days after delivery. */
const YEAR: Expiration = crmPolicy.expiration;

const ok = (key: string, assignmentId?: string): GrantResult => ({ key, status: 'delivered', assignmentId });
const transient = (key: string, error = 'HTTP 503'): GrantResult => ({ key, status: 'failed', transient: true, error });
const permanent = (key: string, error = 'HTTP 403 Authorization_RequestDenied'): GrantResult => ({ key, status: 'failed', transient: false, error });

/** A policy with this expiration and no expiry reminders, for recordDelivery. */
const expiring = (expiration: Expiration) => ({ expiration, expiryReminderDays: [] as number[] });

describe('domain/transitions', () => {
  describe('createRequest', () => {
    it('a policy with approval gives a submitted request whose only effect is startStage', () => {
      const { next, effects } = createRequest({
        id: 'request-1',
        entry: crmEntry,
        policy: crmPolicy,
        requester: adele,
        fields: { justification: 'Pipeline review', startDate: '2026-03-05', endDate: '2026-04-01' },
        now: T0,
      });
      assert.deepEqual(effects, [{ kind: 'startStage' }]);
      assert.equal(next.state, 'submitted');
      assert.equal(next.version, 1);
      assert.equal(next.id, 'request-1');
      assert.equal(next.catalogId, 'sales');
      assert.equal(next.packageId, 'crm-users');
      assert.equal(next.policyId, 'employees');
      assert.equal(next.packageName, 'CRM users');
      assert.deepEqual(next.requester, adele);
      assert.equal(next.justification, 'Pipeline review');
      assert.equal(next.startDate, '2026-03-05');
      assert.equal(next.endDate, '2026-04-01');
      assert.equal(next.submittedAt, T0.toISOString());
      assert.equal(next.updatedAt, T0.toISOString());
      assert.equal(next.completedAt, undefined);
      assert.deepEqual(next.stages, []);
    });

    it('gives each resource of the package a stable zero-padded key, pending with no attempts', () => {
      const { next } = createRequest({ id: 'r', entry: crmEntry, policy: crmPolicy, requester: adele, fields: {}, now: T0 });
      assert.deepEqual(
        next.resources.map((r) => ({ key: r.key, status: r.status, attempts: r.attempts })),
        [
          { key: '00', status: 'pending', attempts: 0 },
          { key: '01', status: 'pending', attempts: 0 },
        ],
      );
      assert.deepEqual(next.resources.map((r) => r.resource), crmEntry.accessPackage.resources);
    });

    it('keys of many resources sort in package order', () => {
      const resources = Array.from({ length: 12 }, (_, i) => ({
        type: 'group' as const,
        groupId: `22222222-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
        role: 'member' as const,
      }));
      const entry: PackageEntry = { ...crmEntry, accessPackage: { ...crmEntry.accessPackage, resources } };
      const { next } = createRequest({ id: 'r', entry, policy: crmPolicy, requester: adele, fields: {}, now: T0 });
      const keys = next.resources.map((r) => r.key);
      assert.equal(keys[10], '10');
      assert.deepEqual([...keys].sort(), keys);
      assert.deepEqual(next.resources.map((r) => r.resource), resources);
    });

    it('a policy without approval gives an approved request whose only effect is deliver', () => {
      const { next, effects } = createRequest({ id: 'r', entry: salesEntry, policy: salesPolicy, requester: adele, fields: {}, now: T0 });
      assert.equal(next.state, 'approved');
      assert.deepEqual(effects, [{ kind: 'deliver' }]);
      assert.deepEqual(next.resources.map((r) => r.key), ['00']);
      assert.deepEqual(next.stages, []);
    });

    describe('scheduled start without approval', () => {
      const create = (startDate: string | undefined, now: Date = T0): Transition =>
        createRequest({ id: 'r', entry: salesEntry, policy: salesPolicy, requester: adele, fields: { startDate }, now });

      it('a start date in the future: scheduled, with a scheduledStart item at UTC midnight of that date and nothing delivered', () => {
        const { next, effects } = create('2026-03-05');
        assert.equal(next.state, 'scheduled');
        assert.equal(next.version, 1);
        assert.equal(next.startDate, '2026-03-05');
        assert.equal(next.completedAt, undefined);
        assert.deepEqual(effects, [scheduledStart('r', '2026-03-05T00:00:00.000Z')]);
        assert.deepEqual(next.resources.map((r) => r.status), ['pending']);
      });

      it('tomorrow (one ms before midnight) is still scheduled', () => {
        const { next, effects } = create('2026-03-05', new Date('2026-03-04T23:59:59.999Z'));
        assert.equal(next.state, 'scheduled');
        assert.deepEqual(effects, [scheduledStart('r', '2026-03-05T00:00:00.000Z')]);
      });

      for (const [name, startDate, now] of [
        ["today's date", '2026-03-02', T0],
        ['a past date', '2026-03-01', T0],
        ['the date whose midnight is exactly now', '2026-03-05', new Date('2026-03-05T00:00:00.000Z')],
        ['no date', undefined, T0],
      ] as Array<[string, string | undefined, Date]>) {
        it(`${name}: approved and delivered at once`, () => {
          const { next, effects } = create(startDate, now);
          assert.equal(next.state, 'approved');
          assert.deepEqual(effects, [{ kind: 'deliver' }]);
        });
      }
    });

    it('a policy with approval and a future start date still starts with its first stage', () => {
      const { next, effects } = createRequest({
        id: 'r',
        entry: crmEntry,
        policy: crmPolicy,
        requester: adele,
        fields: { justification: 'j', startDate: '2026-04-01' },
        now: T0,
      });
      assert.equal(next.state, 'submitted');
      assert.deepEqual(effects, [{ kind: 'startStage' }]);
    });

    it('approval.required false wins over listed stages', () => {
      const policy: Policy = { ...crmPolicy, approval: { required: false, stages: [crmStage] } };
      const { next, effects } = createRequest({ id: 'r', entry: crmEntry, policy, requester: adele, fields: {}, now: T0 });
      assert.equal(next.state, 'approved');
      assert.deepEqual(effects, [{ kind: 'deliver' }]);
    });
  });

  describe('startStage', () => {
    it('puts the first stage to its approvers: each gets an approval card, the cards are refreshed, the timeout and reminder scheduled', () => {
      const request = submitted();
      const now = at(5000);
      const { next, effects } = startStage(request, crmStage, approvers, now);
      assert.equal(next.state, 'pendingApproval');
      assert.equal(next.version, request.version + 1);
      assert.equal(next.updatedAt, now.toISOString());
      assert.deepEqual(next.stages, [
        {
          index: 0,
          approverIds: [diego.id, megan.id],
          usedFallback: false,
          startedAt: now.toISOString(),
          dueAt: new Date(now.getTime() + 14 * DAY_IN_MS).toISOString(),
        },
      ]);
      assert.deepEqual(effects, [
        { kind: 'notify', recipientId: diego.id, card: 'approvalRequest' },
        { kind: 'notify', recipientId: megan.id, card: 'approvalRequest' },
        REFRESH_STATUS,
        {
          kind: 'schedule',
          items: [
            { kind: 'stageTimeout', requestId: 'request-1', dueAt: iso(now.getTime() + 14 * DAY_IN_MS), ref: 0 },
            { kind: 'approvalReminder', requestId: 'request-1', dueAt: iso(now.getTime() + 13 * DAY_IN_MS), ref: 0 },
          ],
        },
      ]);
      assert.equal(currentStage(next), next.stages[0]);
    });

    it('dueAt is now + the stage timeoutDays', () => {
      const { next } = startStage(submitted(), { ...crmStage, timeoutDays: 3 }, approvers, T0);
      assert.equal(next.stages[0].dueAt, '2026-03-05T09:00:00.000Z');
    });

    it('records that fallback approvers were used', () => {
      const { next } = startStage(submitted(), crmStage, { approverIds: [lee.id], usedFallback: true }, T0);
      assert.equal(next.stages[0].usedFallback, true);
      assert.deepEqual(next.stages[0].approverIds, [lee.id]);
    });

    it('with nobody to ask, only refreshes the cards and schedules the timeout (so the request cannot hang for ever)', () => {
      const { next, effects } = startStage(submitted(), crmStage, { approverIds: [], usedFallback: true }, T0);
      assert.equal(next.state, 'pendingApproval');
      assert.deepEqual(effects, [REFRESH_STATUS, crmStageSchedule('request-1', T0)]);
    });

    it('starts the next stage after the previous one approved', () => {
      const stage1 = pending(twoStagePolicy);
      const afterApproval = decide(stage1, crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
      const { next, effects } = startStage(afterApproval, twoStagePolicy.approval.stages[1], { approverIds: [lee.id], usedFallback: false }, at(3000));
      assert.equal(next.state, 'pendingApproval');
      assert.equal(next.stages.length, 2);
      assert.equal(next.stages[1].index, 1);
      assert.equal(next.stages[1].dueAt, new Date(at(3000).getTime() + 7 * DAY_IN_MS).toISOString());
      assert.deepEqual(next.stages[0], afterApproval.stages[0]);
      assert.deepEqual(effects, [
        { kind: 'notify', recipientId: lee.id, card: 'approvalRequest' },
        REFRESH_STATUS,
        crmStageSchedule('request-1', at(3000), 1, 7),
      ]);
    });

    it('schedules the escalation afterDays after the stage started, beside the timeout and the reminder', () => {
      const stage: ApprovalStage = {
        ...crmStage,
        timeoutDays: 10,
        reminderDaysBeforeTimeout: 2,
        escalation: { afterDays: 4, approvers: [{ user: lee.id }] },
      };
      const now = at(5000);
      const { next, effects } = startStage(submitted(), stage, approvers, now);
      assert.equal(next.stages[0].dueAt, iso(now.getTime() + 10 * DAY_IN_MS));
      const schedule = effects.filter((e): e is Extract<Effect, { kind: 'schedule' }> => e.kind === 'schedule');
      assert.equal(schedule.length, 1);
      assert.deepEqual(schedule[0].items, [
        { kind: 'stageTimeout', requestId: 'request-1', dueAt: iso(now.getTime() + 10 * DAY_IN_MS), ref: 0 },
        { kind: 'approvalReminder', requestId: 'request-1', dueAt: iso(now.getTime() + 8 * DAY_IN_MS), ref: 0 },
        { kind: 'escalation', requestId: 'request-1', dueAt: iso(now.getTime() + 4 * DAY_IN_MS), ref: 0 },
      ]);
      assert.equal(effects[effects.length - 1], schedule[0], 'the schedule comes after the cards');
    });

    it('a stage without a reminder or an escalation schedules only its timeout; ref is the stage index', () => {
      const bare: ApprovalStage = { ...crmStage, reminderDaysBeforeTimeout: undefined, escalation: undefined, timeoutDays: 5 };
      const policy: Policy = { ...crmPolicy, approval: { required: true, stages: [crmStage, bare] } };
      const first = decide(pending(policy), crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
      const { effects } = startStage(first, bare, { approverIds: [lee.id], usedFallback: false }, at(3000));
      const items: DueItem[] = [{ kind: 'stageTimeout', requestId: 'request-1', dueAt: iso(at(3000).getTime() + 5 * DAY_IN_MS), ref: 1 }];
      assert.deepEqual(effects, [{ kind: 'notify', recipientId: lee.id, card: 'approvalRequest' }, REFRESH_STATUS, { kind: 'schedule', items }]);
    });

    const refusals: Array<[string, () => AccessRequest]> = [
      ['already pending (stage undecided)', () => pending()],
      ['approved', () => approvedSingleStage()],
      ['denied', () => decide(pending(twoStagePolicy), crmStage, 2, { actor: diego, outcome: 'denied', justification: 'no', now: at(2000) }).next],
      ['approved without approval', () => submitted(salesPolicy, salesEntry)],
      ['canceled', () => ({ ...submitted(), state: 'canceled' })],
    ];
    for (const [name, build] of refusals) {
      it(`refuses when the request is ${name}`, async () => {
        const request = build();
        await rejects(() => startStage(request, crmStage, approvers, at(9000)), domainError(ConflictError, 'error.notPending', { state: request.state }));
      });
    }
  });

  describe('refresh effects', () => {
    it('name the card kinds each one re-renders: the status card, the approval cards (reminders too), or both', () => {
      assert.deepEqual(REFRESH_STATUS, { kind: 'refreshCards', cards: ['requestStatus', 'deliveryFailedAlert'] });
      assert.deepEqual(REFRESH_APPROVALS, { kind: 'refreshCards', cards: ['approvalRequest', 'approvalReminder'] });
      assert.deepEqual(REFRESH_STATUS_AND_APPROVALS, { kind: 'refreshCards', cards: ['requestStatus', 'approvalRequest', 'approvalReminder'] });
    });
  });

  describe('decide', () => {
    it('approval of the only stage: approved, cards refreshed, then deliver', () => {
      const request = pending();
      const now = at(2000);
      const { next, effects } = decide(request, crmStage, 1, { actor: diego, outcome: 'approved', justification: '  fine  ', now });
      assert.equal(next.state, 'approved');
      assert.equal(next.version, request.version + 1);
      assert.equal(next.updatedAt, now.toISOString());
      assert.equal(next.completedAt, undefined);
      assert.deepEqual(next.stages[0].decision, { stageIndex: 0, outcome: 'approved', by: diego, at: now.toISOString(), justification: 'fine' });
      assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'deliver' }]);
      assert.deepEqual(finalDecision(next), next.stages[0].decision);
      assert.equal(currentStage(next), undefined);
    });

    it('denial: denied, completedAt set, cards refreshed and the requester told', () => {
      const now = at(2000);
      const { next, effects } = decide(pending(), crmStage, 1, { actor: megan, outcome: 'denied', justification: 'Not in sales', now });
      assert.equal(next.state, 'denied');
      assert.equal(next.completedAt, now.toISOString());
      assert.equal(next.stages[0].decision?.outcome, 'denied');
      assert.deepEqual(next.stages[0].decision?.by, megan);
      assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'notify', recipientId: adele.id, card: 'requestDenied' }]);
    });

    it('approval of stage 1 of 2 stays pending and starts the next stage; stage 2 approval approves', () => {
      const stage1 = pending(twoStagePolicy);
      const first = decide(stage1, crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) });
      assert.equal(first.next.state, 'pendingApproval');
      assert.equal(first.next.completedAt, undefined);
      assert.deepEqual(first.effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'startStage' }]);

      const stage2 = startStage(first.next, twoStagePolicy.approval.stages[1], { approverIds: [lee.id], usedFallback: false }, at(3000)).next;
      const second = decide(stage2, twoStagePolicy.approval.stages[1], 2, { actor: lee, outcome: 'approved', now: at(4000) });
      assert.equal(second.next.state, 'approved');
      assert.deepEqual(second.effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'deliver' }]);
      assert.equal(second.next.stages[1].decision?.stageIndex, 1);
      assert.equal(second.next.stages[0].decision?.by.id, diego.id);
    });

    it('a denial in stage 2 ends the request', () => {
      const first = decide(pending(twoStagePolicy), crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
      const stage2 = startStage(first, twoStagePolicy.approval.stages[1], { approverIds: [lee.id], usedFallback: false }, at(3000)).next;
      const { next, effects } = decide(stage2, twoStagePolicy.approval.stages[1], 2, { actor: lee, outcome: 'denied', now: at(4000) });
      assert.equal(next.state, 'denied');
      assert.equal(next.completedAt, at(4000).toISOString());
      assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'notify', recipientId: adele.id, card: 'requestDenied' }]);
    });

    it('the requester cannot approve their own request, even when listed as an approver', async () => {
      const request = pending(crmPolicy, { approverIds: [adele.id, diego.id], usedFallback: false });
      await rejects(
        () => decide(request, crmStage, 1, { actor: adele, outcome: 'approved', justification: 'me', now: at(2000) }),
        domainError(ForbiddenError, 'error.selfApproval'),
      );
    });

    it('someone who is not an approver of the stage is refused before any justification check', async () => {
      await rejects(
        () => decide(pending(), crmStage, 1, { actor: lee, outcome: 'approved', now: at(2000) }),
        domainError(ForbiddenError, 'error.notApprover'),
      );
    });

    it('a second decision is refused, naming who decided first', async () => {
      const approved = approvedSingleStage();
      await rejects(
        () => decide(approved, crmStage, 1, { actor: megan, outcome: 'denied', justification: 'no', now: at(3000) }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }),
      );
      const denied = decide(pending(), crmStage, 1, { actor: megan, outcome: 'denied', justification: 'no', now: at(2000) }).next;
      await rejects(
        () => decide(denied, crmStage, 1, { actor: diego, outcome: 'approved', justification: 'yes', now: at(3000) }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Megan Bowen', outcome: 'denied' }),
      );
    });

    it('a second approver of stage 1 clicking before stage 2 starts is told it was already decided', async () => {
      const first = decide(pending(twoStagePolicy), crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
      await rejects(
        () => decide(first, crmStage, 2, { actor: megan, outcome: 'approved', justification: 'ok', now: at(2500) }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }),
      );
    });

    describe('an approver of an earlier, decided stage', () => {
      const threeStagePolicy: Policy = {
        ...crmPolicy,
        approval: { required: true, stages: [crmStage, { ...crmStage, approverJustificationRequired: false }, { ...crmStage, approverJustificationRequired: false }] },
      };
      const patti: PersonSnapshot = { id: demo.users.patti, displayName: 'Patti Fernandez' };
      const isaiah: PersonSnapshot = { id: demo.users.isaiah, displayName: 'Isaiah Langer' };

      /** Stage 1 (Diego, Megan) approved by Diego; stage 2 asks Lee. */
      function inStageTwo(stageTwoApprovers: string[] = [lee.id], policy: Policy = twoStagePolicy): AccessRequest {
        const first = decide(pending(policy), crmStage, policy.approval.stages.length, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
        return startStage(first, policy.approval.stages[1], { approverIds: stageTwoApprovers, usedFallback: false }, at(3000)).next;
      }

      it('clicking their old card while stage 2 is open gets 409 alreadyDecided naming the stage-1 decider, and nothing changes', async () => {
        const request = inStageTwo();
        const copy = structuredClone(request);
        for (const actor of [megan, diego]) {
          await rejects(
            () => decide(request, twoStagePolicy.approval.stages[1], 2, { actor, outcome: 'denied', justification: 'late click', now: at(4000) }),
            domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }),
          );
          await rejects(() => assertCanDecide(request, actor.id, at(4000)), domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }));
        }
        assert.deepEqual(request, copy);
      });

      it('names the decider of the earliest decided stage the clicker belonged to (three stages)', async () => {
        const second = decide(inStageTwo([lee.id], threeStagePolicy), threeStagePolicy.approval.stages[1], 3, { actor: lee, outcome: 'approved', now: at(4000) }).next;
        const third = startStage(second, threeStagePolicy.approval.stages[2], { approverIds: [patti.id], usedFallback: false }, at(5000)).next;
        await rejects(() => assertCanDecide(third, megan.id, at(6000)), domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }));
        await rejects(() => assertCanDecide(third, lee.id, at(6000)), domainError(ConflictError, 'error.alreadyDecided', { name: 'Lee Gu', outcome: 'approved' }));
        assert.doesNotThrow(() => assertCanDecide(third, patti.id, at(6000)));
      });

      it('someone in no stage is still 403 notApprover; the requester is still 403 selfApproval', async () => {
        const request = inStageTwo();
        await rejects(() => assertCanDecide(request, isaiah.id, at(4000)), domainError(ForbiddenError, 'error.notApprover'));
        await rejects(() => assertCanDecide(request, adele.id, at(4000)), domainError(ForbiddenError, 'error.selfApproval'));
      });

      it('an approver of both stages decides stage 2 normally', () => {
        const request = inStageTwo([megan.id, lee.id]);
        const { next } = decide(request, twoStagePolicy.approval.stages[1], 2, { actor: megan, outcome: 'approved', now: at(4000) });
        assert.equal(next.state, 'approved');
        assert.deepEqual(next.stages.map((s) => s.decision?.by.id), [diego.id, megan.id]);
      });
    });

    describe('scheduled start after the final approval', () => {
      const withStart = (startDate: string): AccessRequest => ({ ...pending(), startDate });

      it('a future start date: scheduled, cards refreshed, a scheduledStart item at UTC midnight of that date, no delivery', () => {
        const request = withStart('2026-03-10');
        const now = at(2000);
        const { next, effects } = decide(request, crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now });
        assert.equal(next.state, 'scheduled');
        assert.equal(next.version, request.version + 1);
        assert.equal(next.completedAt, undefined);
        assert.equal(next.stages[0].decision?.outcome, 'approved');
        assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, scheduledStart('request-1', '2026-03-10T00:00:00.000Z')]);
      });

      for (const [name, startDate] of [
        ["today's date", '2026-03-02'],
        ['a date already past', '2026-02-20'],
      ]) {
        it(`${name}: approved and delivered at once`, () => {
          const { next, effects } = decide(withStart(startDate), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) });
          assert.equal(next.state, 'approved');
          assert.deepEqual(effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'deliver' }]);
        });
      }

      it('only the final stage schedules: stage 1 of 2 starts stage 2, and a denial is a denial', () => {
        const request: AccessRequest = { ...pending(twoStagePolicy), startDate: '2026-03-10' };
        const first = decide(request, crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) });
        assert.equal(first.next.state, 'pendingApproval');
        assert.deepEqual(first.effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'startStage' }]);
        const stage2 = startStage(first.next, twoStagePolicy.approval.stages[1], { approverIds: [lee.id], usedFallback: false }, at(3000)).next;
        const second = decide(stage2, twoStagePolicy.approval.stages[1], 2, { actor: lee, outcome: 'approved', now: at(4000) });
        assert.equal(second.next.state, 'scheduled');
        assert.deepEqual(second.effects, [REFRESH_STATUS_AND_APPROVALS, scheduledStart('request-1', '2026-03-10T00:00:00.000Z')]);

        const denied = decide(request, crmStage, 2, { actor: diego, outcome: 'denied', justification: 'no', now: at(2000) });
        assert.equal(denied.next.state, 'denied');
        assert.deepEqual(denied.effects, [REFRESH_STATUS_AND_APPROVALS, { kind: 'notify', recipientId: adele.id, card: 'requestDenied' }]);
      });

      it('a scheduled request cannot be decided again or delivered yet', async () => {
        const scheduled = decide(withStart('2026-03-10'), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
        await rejects(() => assertCanDecide(scheduled, megan.id, at(3000)), domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'approved' }));
        await rejects(() => recordDelivery(scheduled, [ok('00'), ok('01')], expiring(YEAR), at(3000)), domainError(ConflictError, 'error.notPending', { state: 'scheduled' }));
      });
    });

    it('a request not yet put to approvers cannot be decided', async () => {
      await rejects(
        () => decide(submitted(), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }),
        domainError(ConflictError, 'error.notPending', { state: 'submitted' }),
      );
    });

    it('at or after dueAt the request can no longer be decided; just before it can', async () => {
      const request = pending();
      const due = Date.parse(request.stages[0].dueAt);
      for (const when of [due, due + 1, due + 30 * DAY_IN_MS]) {
        await rejects(
          () => decide(request, crmStage, 1, { actor: diego, outcome: 'approved', justification: 'late', now: new Date(when) }),
          domainError(ExpiredError, 'error.requestExpired'),
        );
      }
      const { next } = decide(request, crmStage, 1, { actor: diego, outcome: 'approved', justification: 'just in time', now: new Date(due - 1) });
      assert.equal(next.state, 'approved');
    });

    it('an expired request answers requestExpired, not alreadyDecided', async () => {
      const expired: AccessRequest = { ...pending(), state: 'expired' };
      await rejects(() => assertCanDecide(expired, diego.id, at(2000)), domainError(ExpiredError, 'error.requestExpired'));
    });

    it('requires the approver justification when the stage says so (blank counts as missing)', async () => {
      for (const justification of [undefined, '', '   \n ']) {
        await rejects(
          () => decide(pending(), crmStage, 1, { actor: diego, outcome: 'approved', justification, now: at(2000) }),
          domainError(ValidationError, 'error.approverJustificationRequired'),
        );
      }
    });

    it('does not require it when the stage does not, and stores a blank one as absent', () => {
      const stage = { ...crmStage, approverJustificationRequired: false };
      const { next } = decide(pending(), stage, 1, { actor: diego, outcome: 'approved', justification: '   ', now: at(2000) });
      assert.equal(next.state, 'approved');
      assert.equal(next.stages[0].decision?.justification, undefined);
    });

    it('refuses a justification longer than the limit, accepts one exactly at it', async () => {
      await rejects(
        () => decide(pending(), crmStage, 1, { actor: diego, outcome: 'approved', justification: 'x'.repeat(MAX_JUSTIFICATION_LENGTH + 1), now: at(2000) }),
        domainError(ValidationError, 'error.justificationTooLong', { max: MAX_JUSTIFICATION_LENGTH }),
      );
      const { next } = decide(pending(), crmStage, 1, { actor: diego, outcome: 'denied', justification: 'x'.repeat(MAX_JUSTIFICATION_LENGTH), now: at(2000) });
      assert.equal(next.stages[0].decision?.justification?.length, MAX_JUSTIFICATION_LENGTH);
    });
  });

  describe('recordDelivery', () => {
    it('schedules the removal at the end of the access, and #7 at each reminder day still ahead', () => {
      const now = at(3000);
      const { next, effects } = recordDelivery(approvedSingleStage(), [ok('00'), ok('01')], { expiration: { afterDays: 10 }, expiryReminderDays: [14, 3, 1] }, now);
      const ends = Date.parse(next.accessEndsAt!);
      assert.equal(ends, now.getTime() + 10 * DAY_IN_MS);
      const schedule = effects.find((e) => e.kind === 'schedule');
      assert.deepEqual(schedule, {
        kind: 'schedule',
        items: [
          { kind: 'accessExpiry', requestId: next.id, dueAt: next.accessEndsAt, ref: 0 },
          { kind: 'expiryReminder', requestId: next.id, dueAt: iso(ends - 3 * DAY_IN_MS), ref: 3 },
          { kind: 'expiryReminder', requestId: next.id, dueAt: iso(ends - 1 * DAY_IN_MS), ref: 1 },
        ],
      }, 'the 14-day reminder would be in the past');
    });

    it('a never-ending access schedules nothing', () => {
      const { next, effects } = recordDelivery(approvedSingleStage(), [ok('00'), ok('01')], expiring({ never: true }), at(3000));
      assert.equal(next.accessEndsAt, undefined);
      assert.equal(effects.some((e) => e.kind === 'schedule'), false);
    });

    it('a reprocessed delivery keeps its first end date, schedules nothing new, and leaves the failed list', () => {
      const partial = recordDelivery(approvedSingleStage(), [ok('00'), permanent('01')], expiring(YEAR), at(3000)).next;
      const reprocessed: AccessRequest = {
        ...partial,
        state: 'delivering',
        reprocessedAt: at(5000).toISOString(),
        resources: partial.resources.map((r) => (r.status === 'failed' ? { ...r, status: 'pending', attempts: 0 } : r)),
      };
      const { next, effects } = recordDelivery(reprocessed, [ok('01')], expiring(YEAR), at(9000));
      assert.equal(next.state, 'delivered');
      assert.equal(next.accessEndsAt, partial.accessEndsAt);
      assert.deepEqual(effects.map((e) => e.kind), ['refreshCards', 'notify', 'syncFailedIndex']);
    });

    it('all delivered: delivered, completedAt, cards refreshed and the requester told; assignment id kept', () => {
      const request = approvedSingleStage();
      const now = at(3000);
      const { next, effects } = recordDelivery(request, [ok('00'), ok('01', 'assignment-7')], expiring(YEAR), now);
      assert.equal(next.state, 'delivered');
      assert.equal(next.completedAt, now.toISOString());
      assert.equal(next.version, request.version + 1);
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'notify', recipientId: adele.id, card: 'accessDelivered' }, { kind: 'schedule', items: [{ kind: 'accessExpiry', requestId: next.id, dueAt: next.accessEndsAt!, ref: 0 }] }]);
      assert.deepEqual(
        next.resources.map((r) => [r.key, r.status, r.attempts, r.assignmentId, r.updatedAt]),
        [
          ['00', 'delivered', 1, undefined, now.toISOString()],
          ['01', 'delivered', 1, 'assignment-7', now.toISOString()],
        ],
      );
      assert.deepEqual(undeliveredResources(next), []);
      assert.equal(next.accessEndsAt, iso(now.getTime() + 365 * DAY_IN_MS));
    });

    describe('accessEndsAt', () => {
      const now = at(3000);
      const deliverAll = (expiration: Expiration, endDate?: string): AccessRequest => {
        const request: AccessRequest = { ...approvedSingleStage(), ...(endDate ? { endDate } : {}) };
        return recordDelivery(request, [ok('00'), ok('01')], expiring(expiration), now).next;
      };
      const cases: Array<[string, Expiration, string | undefined, string | undefined]> = [
        ['afterDays: delivery + N days', { afterDays: 30 }, undefined, iso(now.getTime() + 30 * DAY_IN_MS)],
        ['afterHours: delivery + N hours', { afterHours: 8 }, undefined, iso(now.getTime() + 8 * HOUR_IN_MS)],
        ['onDate: the end of that date (UTC)', { onDate: '2026-12-31' }, undefined, '2027-01-01T00:00:00.000Z'],
        ['never: no end', { never: true }, undefined, undefined],
        ['a requester end date earlier than afterDays wins (inclusive: the day after, midnight)', { afterDays: 365 }, '2026-04-01', '2026-04-02T00:00:00.000Z'],
        ['a requester end date later than afterHours loses', { afterHours: 8 }, '2026-12-31', iso(now.getTime() + 8 * HOUR_IN_MS)],
        ['a requester end date earlier than onDate wins', { onDate: '2026-12-31' }, '2026-06-30', '2026-07-01T00:00:00.000Z'],
        ['a requester end date later than onDate loses', { onDate: '2026-06-30' }, '2026-12-31', '2026-07-01T00:00:00.000Z'],
        ['a requester end date with never: that date', { never: true }, '2026-05-15', '2026-05-16T00:00:00.000Z'],
      ];
      for (const [name, expiration, endDate, expected] of cases) {
        it(name, () => {
          const next = deliverAll(expiration, endDate);
          assert.equal(next.state, 'delivered');
          assert.equal(next.accessEndsAt, expected);
        });
      }

      it('counts from the attempt that finished the delivery, and is set for partial delivery but not for a failure or a retry', () => {
        const retrying = recordDelivery(approvedSingleStage(), [ok('00'), transient('01')], expiring({ afterDays: 1 }), at(3000)).next;
        assert.equal(retrying.accessEndsAt, undefined);
        const finished = recordDelivery(retrying, [ok('01')], expiring({ afterDays: 1 }), at(60_000)).next;
        assert.equal(finished.accessEndsAt, iso(at(60_000).getTime() + DAY_IN_MS));

        const partial = recordDelivery(approvedSingleStage(), [ok('00'), permanent('01')], expiring({ afterDays: 1 }), now).next;
        assert.equal(partial.state, 'partiallyDelivered');
        assert.equal(partial.accessEndsAt, iso(now.getTime() + DAY_IN_MS));

        const failed = recordDelivery(approvedSingleStage(), [permanent('00'), permanent('01')], expiring({ afterDays: 1 }), now).next;
        assert.equal(failed.state, 'deliveryFailed');
        assert.equal(failed.accessEndsAt, undefined);
      });
    });

    it('a transient failure keeps the request delivering with another deliver effect and counts the attempt', () => {
      const now = at(3000);
      const { next, effects } = recordDelivery(approvedSingleStage(), [ok('00'), transient('01', 'HTTP 503')], expiring(YEAR), now);
      assert.equal(next.state, 'delivering');
      assert.equal(next.completedAt, undefined);
      assert.deepEqual(effects, [{ kind: 'deliver', notBefore: new Date(now.getTime() + retryDelayInMs(1)).toISOString() }]);
      const [group, role] = next.resources;
      assert.equal(group.status, 'delivered');
      assert.deepEqual([role.status, role.attempts, role.lastError], ['pending', 1, 'HTTP 503']);
      assert.deepEqual(undeliveredResources(next).map((r) => r.key), ['01']);
    });

    it('a retry that succeeds clears the error, keeps counting, and never touches the delivered resource', () => {
      const first = recordDelivery(approvedSingleStage(), [ok('00'), transient('01')], expiring(YEAR), at(3000)).next;
      // A stray result for the delivered resource must not change it.
      const { next, effects } = recordDelivery(first, [permanent('00'), ok('01', 'assignment-9')], expiring(YEAR), at(4000));
      assert.equal(next.state, 'delivered');
      assert.deepEqual(effects.slice(0, 2), [REFRESH_STATUS, { kind: 'notify', recipientId: adele.id, card: 'accessDelivered' }]);
      assert.deepEqual(next.resources[0], first.resources[0]);
      assert.deepEqual([next.resources[1].attempts, next.resources[1].lastError, next.resources[1].assignmentId], [2, undefined, 'assignment-9']);
    });

    it('a permanent failure beside a delivery ends partiallyDelivered with the error kept', () => {
      const now = at(3000);
      const { next, effects } = recordDelivery(approvedSingleStage(), [ok('00'), permanent('01', 'HTTP 403 denied')], expiring(YEAR), now);
      assert.equal(next.state, 'partiallyDelivered');
      assert.equal(next.completedAt, now.toISOString());
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'schedule', items: [{ kind: 'accessExpiry', requestId: next.id, dueAt: next.accessEndsAt!, ref: 0 }] }, { kind: 'syncFailedIndex' }, { kind: 'alertManagers' }]);
      assert.deepEqual([next.resources[1].status, next.resources[1].lastError, next.resources[1].attempts], ['failed', 'HTTP 403 denied', 1]);
    });

    it('nothing delivered and nothing left to retry ends deliveryFailed', () => {
      const { next, effects } = recordDelivery(approvedSingleStage(), [permanent('00', 'gone'), permanent('01', 'denied')], expiring(YEAR), at(3000));
      assert.equal(next.state, 'deliveryFailed');
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'syncFailedIndex' }, { kind: 'alertManagers' }], 'no access, so no expiry');
      assert.deepEqual(next.resources.map((r) => r.lastError), ['gone', 'denied']);
    });

    it('waits for a transient retry before ending, even when another resource failed for good', () => {
      const { next, effects } = recordDelivery(approvedSingleStage(), [permanent('00'), transient('01')], expiring(YEAR), at(3000));
      assert.equal(next.state, 'delivering');
      assert.deepEqual(effects.map((e) => e.kind), ['deliver']);
      assert.deepEqual(next.resources.map((r) => r.status), ['failed', 'pending']);
    });

    it('backs off exponentially between attempts, at most 5 minutes', () => {
      assert.deepEqual([1, 2, 3, 4, 10].map(retryDelayInMs), [5_000, 10_000, 20_000, 40_000, 300_000]);
    });

    it(`gives up after ${MAX_DELIVERY_ATTEMPTS} transient failures`, () => {
      let request = recordDelivery(approvedSingleStage(), [ok('00', undefined)], expiring(YEAR), at(3000)).next;
      for (let attempt = 1; attempt < MAX_DELIVERY_ATTEMPTS; attempt++) {
        const now = at(3000 + attempt);
        const step = recordDelivery(request, [transient('01', `try ${attempt}`)], expiring(YEAR), now);
        assert.equal(step.next.state, 'delivering', `attempt ${attempt}`);
        assert.deepEqual(step.effects, [{ kind: 'deliver', notBefore: new Date(now.getTime() + retryDelayInMs(attempt)).toISOString() }]);
        assert.equal(step.next.resources[1].attempts, attempt);
        request = step.next;
      }
      const last = recordDelivery(request, [transient('01', 'still 503')], expiring(YEAR), at(9000));
      assert.equal(last.next.state, 'partiallyDelivered');
      assert.deepEqual([last.next.resources[1].status, last.next.resources[1].attempts, last.next.resources[1].lastError], ['failed', MAX_DELIVERY_ATTEMPTS, 'still 503']);
      assert.deepEqual(last.effects.map((e) => e.kind), ['refreshCards', 'schedule', 'syncFailedIndex', 'alertManagers']);
    });

    it('waits for another access to finish removing a resource without using up attempts', () => {
      let request = recordDelivery(approvedSingleStage(), [ok('00', undefined)], expiring(YEAR), at(3000)).next;
      for (let wait = 1; wait <= MAX_DELIVERY_ATTEMPTS + 2; wait++) {
        const now = at(3000 + wait);
        const step = recordDelivery(request, [{ key: '01', status: 'waiting', error: 'waiting until CRM users has removed it' }], expiring(YEAR), now);
        assert.equal(step.next.state, 'delivering', `wait ${wait}`);
        assert.deepEqual(step.effects, [{ kind: 'deliver', notBefore: new Date(now.getTime() + retryDelayInMs(0)).toISOString() }]);
        assert.deepEqual([step.next.resources[1].status, step.next.resources[1].attempts], ['pending', 0]);
        request = step.next;
      }
      assert.equal(recordDelivery(request, [ok('01')], expiring(YEAR), at(9000)).next.state, 'delivered');
    });

    it('keeps an earlier assignment id when a later result carries none', () => {
      const request = approvedSingleStage();
      const withId: AccessRequest = { ...request, state: 'delivering', resources: request.resources.map((r) => (r.key === '01' ? { ...r, assignmentId: 'assignment-1' } : r)) };
      const { next } = recordDelivery(withId, [ok('00'), ok('01')], expiring(YEAR), at(3000));
      assert.equal(next.resources[1].assignmentId, 'assignment-1');
    });

    for (const [name, build] of [
      ['pendingApproval', () => pending()],
      ['submitted', () => submitted()],
      ['denied', () => decide(pending(), crmStage, 1, { actor: diego, outcome: 'denied', justification: 'no', now: at(2000) }).next],
      ['delivered', () => recordDelivery(approvedSingleStage(), [ok('00'), ok('01')], expiring(YEAR), at(3000)).next],
    ] as Array<[string, () => AccessRequest]>) {
      it(`refuses to record a delivery for a ${name} request`, async () => {
        const request = build();
        await rejects(() => recordDelivery(request, [ok('00')], expiring(YEAR), at(5000)), domainError(ConflictError, 'error.notPending', { state: request.state }));
      });
    }
  });

  describe('every transition', () => {
    it('raises the version by exactly 1 along a whole lifecycle', () => {
      const steps: Array<(r: AccessRequest) => Transition> = [
        (r) => startStage(r, crmStage, approvers, at(1)),
        (r) => decide(r, crmStage, 2, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2) }),
        (r) => startStage(r, twoStagePolicy.approval.stages[1], { approverIds: [lee.id], usedFallback: false }, at(3)),
        (r) => decide(r, twoStagePolicy.approval.stages[1], 2, { actor: lee, outcome: 'approved', now: at(4) }),
        (r) => recordDelivery(r, [ok('00'), transient('01')], expiring(YEAR), at(5)),
        (r) => recordDelivery(r, [ok('01', 'a-1')], expiring(YEAR), at(6)),
      ];
      let request = submitted(twoStagePolicy);
      assert.equal(request.version, 1);
      for (const [i, step] of steps.entries()) {
        const { next } = step(request);
        assert.equal(next.version, request.version + 1, `step ${i}`);
        request = next;
      }
      assert.equal(request.state, 'delivered');
      assert.equal(request.version, 7);
    });

    it('never mutates its input', () => {
      const entry = deepFreeze(structuredClone(crmEntry));
      const policy = deepFreeze(structuredClone(twoStagePolicy));
      const fields = deepFreeze({ justification: 'j', startDate: '2026-03-05' });
      const created = createRequest({ id: 'r', entry, policy, requester: deepFreeze({ ...adele }), fields, now: T0 }).next;
      assert.deepEqual(entry, crmEntry);
      assert.deepEqual(policy, twoStagePolicy);
      created.resources[0].attempts = 99;
      assert.equal(entry.accessPackage.resources.length, 2, 'the request does not share the catalog arrays it was built from');

      const original = submitted(twoStagePolicy);
      const frozen = deepFreeze(structuredClone(original));
      const s1 = startStage(frozen, crmStage, deepFreeze({ approverIds: [diego.id], usedFallback: false }), at(1)).next;
      assert.deepEqual(frozen, original);

      const s1Copy = structuredClone(s1);
      const d1 = decide(deepFreeze(s1), crmStage, 2, { actor: deepFreeze({ ...diego }), outcome: 'approved', justification: 'ok', now: at(2) }).next;
      assert.deepEqual(s1, s1Copy);

      const s2 = startStage(deepFreeze(d1), crmStage, { approverIds: [lee.id], usedFallback: false }, at(3)).next;
      const d2 = decide(deepFreeze(s2), crmStage, 2, { actor: lee, outcome: 'approved', justification: 'ok', now: at(4) }).next;
      const d2Copy = structuredClone(d2);
      const results = deepFreeze([ok('00'), transient('01')]);
      recordDelivery(deepFreeze(d2), results, expiring(YEAR), at(5));
      assert.deepEqual(d2, d2Copy);

      const denyInput = structuredClone(s1Copy);
      decide(deepFreeze(denyInput), crmStage, 2, { actor: diego, outcome: 'denied', justification: 'no', now: at(2) });
      assert.deepEqual(denyInput, s1Copy);
    });
  });
});
