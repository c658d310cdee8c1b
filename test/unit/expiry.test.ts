import { strict as assert } from 'node:assert';
import { deepFreeze, domainError, rejects } from '../support/assertions';
import type { Policy } from '../../src/catalog/types';
import type { Effect } from '../../src/domain/effects';
import { ConflictError, ForbiddenError } from '../../src/domain/errors';
import {
  MAX_REMOVAL_ATTEMPTS,
  REFRESH_ACCESS_CARDS,
  REMOVAL_RETRY_DELAY_IN_MS,
  REMOVAL_RETRY_REF,
  completeExtension,
  expireAccess,
  extendAccess,
  extensionCheck,
  recordRemoval,
  releaseAccess,
  remindExpiry,
  settleExtension,
  type RemovalResult,
} from '../../src/domain/expiry';
import { cancelRequest, expireStage } from '../../src/domain/lifecycle';
import { REQUEST_STATES, type AccessRequest, type RequestState } from '../../src/domain/request';
import type { DueItem } from '../../src/domain/schedule';
import { DAY_IN_MS, decide, startStage } from '../../src/domain/transitions';
import { sampleCatalog } from '../support/fakes';
import { ACCESS_ENDS_AT, APPROVER, NOW, REQUESTER, deliveredRequest } from '../support/requestFixtures';

const crmPolicy: Policy = (() => {
  const policy = sampleCatalog().findPolicy('crm-users', 'employees');
  assert.ok(policy);
  return policy;
})();
const withApproval: Policy = { ...crmPolicy, extension: { allowed: true, approvalRequired: true } };
const ENDS = Date.parse(ACCESS_ENDS_AT);
const iso = (ms: number) => new Date(ms).toISOString();

function delivered(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return deepFreeze({ ...deliveredRequest(), ...overrides });
}

const expiryItem = (request: AccessRequest, ref = 0, dueAt = request.accessEndsAt ?? ACCESS_ENDS_AT): DueItem => ({
  kind: 'accessExpiry',
  requestId: request.id,
  dueAt,
  ref,
});
const reminderItem = (request: AccessRequest, days: number): DueItem => ({
  kind: 'expiryReminder',
  requestId: request.id,
  dueAt: iso(ENDS - days * DAY_IN_MS),
  ref: days,
});

const removed = (...keys: string[]): RemovalResult[] => keys.map((key) => ({ key, status: 'removed' }));
const failed = (key: string, transient: boolean, error = transient ? 'HTTP 503' : 'HTTP 403 Authorization_RequestDenied'): RemovalResult => ({
  key,
  status: 'failed',
  transient,
  error,
});

function scheduled(effects: Effect[]): DueItem[] {
  return effects.flatMap((e) => (e.kind === 'schedule' ? e.items : []));
}

/** A delivered request whose removal has begun at the end of its access. */
function removing(): AccessRequest {
  const transition = expireAccess(delivered(), expiryItem(delivered()), new Date(ENDS));
  assert.ok(transition);
  return deepFreeze(transition.next);
}

describe('domain/expiry', () => {
  describe('expireAccess', () => {
    it('at the end of the access: removal starts (revoke), the cards follow', () => {
      const transition = expireAccess(delivered(), expiryItem(delivered()), new Date(ENDS + 1000));
      assert.ok(transition);
      assert.equal(transition.next.state, 'delivered', 'the access is held until removal is recorded');
      assert.equal(transition.next.removalStartedAt, iso(ENDS + 1000));
      assert.deepEqual(transition.effects, [REFRESH_ACCESS_CARDS, { kind: 'revoke' }]);
    });

    it('a partly delivered request is expired too', () => {
      const partly = delivered({ state: 'partiallyDelivered' });
      assert.ok(expireAccess(partly, expiryItem(partly), new Date(ENDS)));
    });

    it('stale: early, extended (dueAt no longer the end), already removing, or no access any more', () => {
      assert.equal(expireAccess(delivered(), expiryItem(delivered()), new Date(ENDS - 1)), undefined, 'early');
      const extended = delivered({ accessEndsAt: iso(ENDS + 365 * DAY_IN_MS) });
      assert.equal(expireAccess(extended, expiryItem(extended, 0, ACCESS_ENDS_AT), new Date(ENDS)), undefined, 'extended');
      assert.equal(expireAccess(removing(), expiryItem(removing()), new Date(ENDS)), undefined, 'removing');
      const others = REQUEST_STATES.filter((s) => s !== 'delivered' && s !== 'partiallyDelivered');
      for (const state of others) {
        const request = delivered({ state });
        assert.equal(expireAccess(request, expiryItem(request), new Date(ENDS)), undefined, state);
      }
    });

    it('a retry item (ref 1) removes again what Graph refused, only when nothing else is under way', () => {
      const refused = recordRemoval(removing(), [removed('00')[0], failed('01', false)], new Date(ENDS)).next;
      const retry = expiryItem(refused, REMOVAL_RETRY_REF, iso(ENDS + REMOVAL_RETRY_DELAY_IN_MS));
      assert.equal(expireAccess(refused, retry, new Date(ENDS + REMOVAL_RETRY_DELAY_IN_MS - 1)), undefined, 'early');
      const transition = expireAccess(refused, retry, new Date(ENDS + REMOVAL_RETRY_DELAY_IN_MS));
      assert.ok(transition);
      assert.deepEqual(transition.effects, [{ kind: 'revoke' }]);
      assert.deepEqual(
        transition.next.resources.map((r) => [r.key, r.status, r.removalAttempts ?? 0]),
        [['00', 'removed', 0], ['01', 'delivered', 0]],
      );
      assert.equal(expireAccess(removing(), retry, new Date(ENDS + REMOVAL_RETRY_DELAY_IN_MS)), undefined, 'nothing refused');
      assert.equal(expireAccess(delivered(), retry, new Date(ENDS + REMOVAL_RETRY_DELAY_IN_MS)), undefined, 'not removing');
    });
  });

  describe('recordRemoval', () => {
    it('everything removed: accessExpired, the requester gets #8', () => {
      const { next, effects } = recordRemoval(removing(), removed('00', '01'), new Date(ENDS + 5000));
      assert.equal(next.state, 'accessExpired');
      assert.deepEqual(next.resources.map((r) => r.status), ['removed', 'removed']);
      assert.deepEqual(effects, [REFRESH_ACCESS_CARDS, { kind: 'notify', recipientId: REQUESTER.id, card: 'accessEnded' }]);
    });

    it('a partly delivered request also leaves the failed-deliveries index; its failed resource stays as it was', () => {
      const partly = removingFrom(
        delivered({ state: 'partiallyDelivered', resources: deliveredRequest().resources.map((r) => (r.key === '01' ? { ...r, status: 'failed', lastError: '403' } : r)) }),
      );
      const { next, effects } = recordRemoval(partly, removed('00'), new Date(ENDS));
      assert.equal(next.state, 'accessExpired');
      assert.deepEqual(next.resources.map((r) => r.status), ['removed', 'failed']);
      assert.ok(effects.some((e) => e.kind === 'syncFailedIndex'));
    });

    it('a transient failure is retried with backoff; the removed one stays removed', () => {
      const { next, effects } = recordRemoval(removing(), [removed('00')[0], failed('01', true)], new Date(ENDS));
      assert.equal(next.state, 'delivered');
      assert.deepEqual(next.resources.map((r) => [r.status, r.removalAttempts, r.lastError]), [['removed', undefined, undefined], ['delivered', 1, 'HTTP 503']]);
      assert.deepEqual(effects, [{ kind: 'revoke', notBefore: iso(ENDS + 5000) }]);
    });

    it(`after ${MAX_REMOVAL_ATTEMPTS} transient failures the resource counts as refused`, () => {
      let request = removing();
      for (let i = 1; i < MAX_REMOVAL_ATTEMPTS; i++) request = recordRemoval(request, [failed('00', true), failed('01', true)], new Date(ENDS)).next;
      assert.deepEqual(request.resources.map((r) => r.status), ['delivered', 'delivered']);
      const last = recordRemoval(request, [failed('00', true), failed('01', true)], new Date(ENDS));
      assert.deepEqual(last.next.resources.map((r) => r.status), ['removalFailed', 'removalFailed']);
    });

    it('a refused removal is not dropped: the access state stays, the error shows, a retry is scheduled a day later', () => {
      const { next, effects } = recordRemoval(removing(), [removed('00')[0], failed('01', false)], new Date(ENDS));
      assert.equal(next.state, 'delivered');
      assert.deepEqual(next.resources.map((r) => [r.status, r.lastError]), [['removed', undefined], ['removalFailed', 'HTTP 403 Authorization_RequestDenied']]);
      assert.deepEqual(scheduled(effects), [{ kind: 'accessExpiry', requestId: next.id, dueAt: iso(ENDS + REMOVAL_RETRY_DELAY_IN_MS), ref: REMOVAL_RETRY_REF }]);
      assert.ok(!effects.some((e) => e.kind === 'notify'), 'no #8 while access may still be held');
    });

    it('a refused removal alerts the catalog\'s managers once; the daily retry refused again does not; the alert follows until removed', () => {
      const first = recordRemoval(removing(), [removed('00')[0], failed('01', false)], new Date(ENDS));
      assert.equal(first.next.removalFailedAt, iso(ENDS));
      assert.deepEqual(first.effects.filter((e) => e.kind === 'alertManagers'), [{ kind: 'alertManagers', card: 'removalFailedAlert' }]);
      assert.deepEqual(first.effects[0], { kind: 'refreshCards', cards: ['requestStatus', 'deliveryFailedAlert', 'removalFailedAlert'] });

      const later = ENDS + REMOVAL_RETRY_DELAY_IN_MS;
      const retry = expireAccess(first.next, expiryItem(first.next, REMOVAL_RETRY_REF, iso(later)), new Date(later));
      assert.ok(retry);
      const again = recordRemoval(retry.next, [failed('01', false)], new Date(later));
      assert.deepEqual(again.next.resources.map((r) => r.status), ['removed', 'removalFailed']);
      assert.equal(again.next.removalFailedAt, iso(ENDS), 'the first failure is kept');
      assert.ok(!again.effects.some((e) => e.kind === 'alertManagers'), 'no second alert');
      assert.ok(again.effects.some((e) => e.kind === 'refreshCards' && e.cards.includes('removalFailedAlert')), 'the alert is brought up to date');

      const lastTry = expireAccess(again.next, expiryItem(again.next, REMOVAL_RETRY_REF, iso(later + DAY_IN_MS)), new Date(later + DAY_IN_MS));
      assert.ok(lastTry);
      const done = recordRemoval(lastTry.next, removed('01'), new Date(later + DAY_IN_MS));
      assert.equal(done.next.state, 'accessExpired');
      assert.deepEqual(done.effects.filter((e) => e.kind === 'refreshCards').flatMap((e) => (e.kind === 'refreshCards' ? e.cards : [])), [
        'requestStatus',
        'accessEndingSoon',
        'removalFailedAlert',
      ]);
      assert.ok(!done.effects.some((e) => e.kind === 'alertManagers'));
    });

    it('a group\'s last owner is refused for good at once: kept as the reason, no backoff, cleared once removed', () => {
      const lastOwner: RemovalResult = { key: '00', status: 'failed', transient: false, error: 'Graph refuses to remove the last owner of group g', refusal: 'lastOwner' };
      const { next, effects } = recordRemoval(removing(), [lastOwner, removed('01')[0]], new Date(ENDS));
      assert.deepEqual(next.resources.map((r) => [r.status, r.removalRefusal, r.removalAttempts]), [['removalFailed', 'lastOwner', 1], ['removed', undefined, undefined]]);
      assert.ok(!effects.some((e) => e.kind === 'revoke'), 'no retry with backoff');
      assert.ok(effects.some((e) => e.kind === 'alertManagers'));
      const later = ENDS + REMOVAL_RETRY_DELAY_IN_MS;
      const retry = expireAccess(next, expiryItem(next, REMOVAL_RETRY_REF, iso(later)), new Date(later));
      assert.ok(retry);
      const removedNow = recordRemoval(retry.next, removed('00'), new Date(later)).next;
      assert.deepEqual(removedNow.resources.map((r) => [r.status, r.removalRefusal, r.lastError]), [['removed', undefined, undefined], ['removed', undefined, undefined]]);
    });

    it('refused unless a removal is under way', async () => {
      await rejects(() => recordRemoval(delivered(), removed('00', '01'), NOW), domainError(ConflictError, 'error.notRemoving'));
      const ended = recordRemoval(removing(), removed('00', '01'), NOW).next;
      await rejects(() => recordRemoval(ended, removed('00', '01'), NOW), domainError(ConflictError, 'error.notRemoving', { state: 'accessExpired' }));
    });
  });

  describe('remindExpiry (#7)', () => {
    it('14 days before the end: the requester is reminded, once per item', () => {
      const item = reminderItem(delivered(), 14);
      const transition = remindExpiry(delivered(), item, new Date(item.dueAt));
      assert.ok(transition);
      assert.deepEqual(transition.effects, [{ kind: 'notify', recipientId: REQUESTER.id, card: 'accessEndingSoon' }]);
      assert.equal(remindExpiry(transition.next, item, new Date(item.dueAt)), undefined, 'a re-run item sends nothing');
      const dayBefore = reminderItem(delivered(), 1);
      assert.ok(remindExpiry(transition.next, dayBefore, new Date(dayBefore.dueAt)), 'the next reminder still goes');
    });

    it('stale when the end moved, the access is being removed or gone, or the item is early', () => {
      const item = reminderItem(delivered(), 14);
      const at = new Date(item.dueAt);
      assert.equal(remindExpiry(delivered({ accessEndsAt: iso(ENDS + DAY_IN_MS) }), item, at), undefined, 'extended');
      assert.equal(remindExpiry(delivered({ removalStartedAt: NOW.toISOString() }), item, at), undefined, 'removing');
      assert.equal(remindExpiry(delivered({ state: 'accessExpired' }), item, at), undefined, 'ended');
      assert.equal(remindExpiry(delivered({ accessEndsAt: undefined }), item, at), undefined, 'never ends');
      assert.equal(remindExpiry(delivered(), item, new Date(at.getTime() - 1)), undefined, 'early');
      assert.equal(remindExpiry(delivered(), item, new Date(ENDS)), undefined, 'already ended');
    });
  });

  describe('extendAccess', () => {
    const input = (now = NOW) => ({ requester: REQUESTER, extensionId: 'ext-1', now });

    it('without approval: the end moves one policy duration (365 days), new expiry and reminders are scheduled', () => {
      const { original, extension } = extendAccess(delivered(), crmPolicy, input());
      assert.equal(extension, undefined);
      const newEnd = iso(ENDS + 365 * DAY_IN_MS);
      assert.equal(original.next.accessEndsAt, newEnd);
      assert.equal(original.next.extendedAt, NOW.toISOString());
      assert.equal(original.next.state, 'delivered');
      assert.deepEqual(original.effects[0], REFRESH_ACCESS_CARDS);
      assert.deepEqual(scheduled(original.effects), [
        { kind: 'accessExpiry', requestId: original.next.id, dueAt: newEnd, ref: 0 },
        { kind: 'expiryReminder', requestId: original.next.id, dueAt: iso(ENDS + 351 * DAY_IN_MS), ref: 14 },
        { kind: 'expiryReminder', requestId: original.next.id, dueAt: iso(ENDS + 364 * DAY_IN_MS), ref: 1 },
      ]);
      // The old items are now stale.
      assert.equal(expireAccess(original.next, expiryItem(delivered()), new Date(ENDS)), undefined);
      const old = reminderItem(delivered(), 1);
      assert.equal(remindExpiry(original.next, old, new Date(old.dueAt)), undefined);
    });

    it('afterHours adds hours', () => {
      const policy: Policy = { ...crmPolicy, expiration: { afterHours: 8 } };
      assert.equal(extendAccess(delivered(), policy, input()).original.next.accessEndsAt, iso(ENDS + 8 * 3_600_000));
    });

    it('onDate: extends to the fixed date, never past it; at it, refused', async () => {
      const policy: Policy = { ...crmPolicy, expiration: { onDate: '2026-06-30' } };
      assert.equal(extendAccess(delivered(), policy, input()).original.next.accessEndsAt, '2026-07-01T00:00:00.000Z');
      const atCap = delivered({ accessEndsAt: '2026-07-01T00:00:00.000Z' });
      await rejects(() => extendAccess(atCap, policy, input()), domainError(ConflictError, 'error.extensionPastPolicyEnd', { date: '2026-06-30' }));
    });

    it('never: nothing to extend', async () => {
      const policy: Policy = { ...crmPolicy, expiration: { never: true } };
      await rejects(() => extendAccess(delivered(), policy, input()), domainError(ConflictError, 'error.extensionNeverEnds'));
      await rejects(() => extendAccess(delivered({ accessEndsAt: undefined }), crmPolicy, input()), domainError(ConflictError, 'error.extensionNeverEnds'));
    });

    it('refusals: not the requester, not allowed, no active access, already ended, already pending', async () => {
      await rejects(() => extendAccess(delivered(), crmPolicy, { ...input(), requester: APPROVER }), domainError(ForbiddenError, 'error.notYourAccess'));
      const notAllowed: Policy = { ...crmPolicy, extension: { allowed: false, approvalRequired: false } };
      await rejects(() => extendAccess(delivered(), notAllowed, input()), domainError(ConflictError, 'error.extensionNotAllowed'));
      for (const state of REQUEST_STATES.filter((s): s is RequestState => s !== 'delivered' && s !== 'partiallyDelivered')) {
        await rejects(() => extendAccess(delivered({ state }), crmPolicy, input()), domainError(ConflictError, 'error.noAccessToExtend', { state }));
      }
      await rejects(() => extendAccess(removing(), crmPolicy, input()), domainError(ConflictError, 'error.noAccessToExtend'));
      await rejects(() => extendAccess(delivered(), crmPolicy, input(new Date(ENDS))), domainError(ConflictError, 'error.accessAlreadyEnded'));
      const marked = delivered({ pendingExtension: { requestId: 'ext-0', requestedAt: NOW.toISOString(), newEndsAt: iso(ENDS + DAY_IN_MS) } });
      await rejects(() => extendAccess(marked, withApproval, input()), domainError(ConflictError, 'error.extensionPending'));
    });

    it('extensionCheck gives the same answer without throwing (the Extend button follows it)', () => {
      assert.equal(extensionCheck(delivered(), crmPolicy, REQUESTER.id, NOW).newEndsAt, iso(ENDS + 365 * DAY_IN_MS));
      assert.ok(extensionCheck(delivered(), crmPolicy, APPROVER.id, NOW).refusal instanceof ForbiddenError);
    });

    describe('with approval', () => {
      it('marks the access and creates an extension request that starts the approval stages', () => {
        const { original, extension } = extendAccess(delivered(), withApproval, input());
        assert.ok(extension);
        assert.equal(original.next.accessEndsAt, ACCESS_ENDS_AT, 'the end does not move yet');
        assert.deepEqual(original.next.pendingExtension, { requestId: 'ext-1', requestedAt: NOW.toISOString(), newEndsAt: iso(ENDS + 365 * DAY_IN_MS) });
        assert.deepEqual(original.effects, [REFRESH_ACCESS_CARDS]);
        const ext = extension.next;
        assert.equal(ext.id, 'ext-1');
        assert.equal(ext.state, 'submitted');
        assert.equal(ext.policyId, delivered().policyId);
        assert.deepEqual(ext.extensionOf, { requestId: delivered().id, currentEndsAt: ACCESS_ENDS_AT, newEndsAt: iso(ENDS + 365 * DAY_IN_MS) });
        assert.deepEqual(extension.effects, [{ kind: 'startStage' }]);
      });

      function approvedExtension(): { original: AccessRequest; extension: AccessRequest } {
        const { original, extension } = extendAccess(delivered(), withApproval, input());
        assert.ok(extension);
        const stage = withApproval.approval.stages[0];
        const started = startStage(extension.next, stage, { approverIds: [APPROVER.id], usedFallback: false }, NOW).next;
        const decided = decide(started, { ...stage, approverJustificationRequired: false }, 1, { actor: APPROVER, outcome: 'approved', now: NOW });
        assert.equal(decided.next.state, 'approved');
        assert.ok(decided.effects.some((e) => e.kind === 'settleExtension'), 'an approved extension settles, it delivers nothing');
        assert.ok(!decided.effects.some((e) => e.kind === 'deliver'));
        return { original: original.next, extension: decided.next };
      }

      it('approved: the access gets the new end, the mark goes, then the extension request is `extended`', () => {
        const { original, extension } = approvedExtension();
        const settled = settleExtension(original, extension, withApproval, NOW);
        assert.ok(settled);
        assert.equal(settled.next.accessEndsAt, iso(ENDS + 365 * DAY_IN_MS));
        assert.equal(settled.next.pendingExtension, undefined);
        assert.equal(scheduled(settled.effects).length, 3);
        assert.equal(settleExtension(settled.next, extension, withApproval, NOW), undefined, 'settling again changes nothing');
        const completed = completeExtension(extension, settled.next, NOW);
        assert.equal(completed?.next.state, 'extended');
      });

      it('approved after the access ended: nothing is extended, the extension request says access ended', () => {
        const { original, extension } = approvedExtension();
        const ended = { ...original, state: 'accessExpired' as const };
        const settled = settleExtension(ended, extension, withApproval, NOW);
        assert.equal(settled?.next.pendingExtension, undefined);
        assert.equal(settled?.next.accessEndsAt, ACCESS_ENDS_AT);
        assert.equal(completeExtension(extension, settled.next, NOW)?.next.state, 'accessExpired');
      });

      it('denied, expired or canceled: the mark goes, the end stays', () => {
        const { original, extension } = extendAccess(delivered(), withApproval, input());
        assert.ok(extension);
        const stage = withApproval.approval.stages[0];
        const started = startStage(extension.next, stage, { approverIds: [APPROVER.id], usedFallback: false }, NOW).next;
        const denied = decide(started, { ...stage, approverJustificationRequired: false }, 1, { actor: APPROVER, outcome: 'denied', now: NOW });
        const timedOut = expireStage(started, 0, new Date(Date.parse(started.stages[0].dueAt)));
        const canceled = cancelRequest(started, REQUESTER.id, NOW);
        for (const ended of [denied, timedOut, canceled]) {
          assert.ok(ended);
          assert.ok(ended.effects.some((e) => e.kind === 'settleExtension'), ended.next.state);
          const settled = settleExtension(original.next, ended.next, withApproval, NOW);
          assert.equal(settled?.next.pendingExtension, undefined, ended.next.state);
          assert.equal(settled?.next.accessEndsAt, ACCESS_ENDS_AT);
          assert.equal(completeExtension(ended.next, settled.next, NOW), undefined, 'only an approved one completes');
        }
      });

      it('an extension request of another access changes nothing', () => {
        const { extension } = approvedExtension();
        assert.equal(settleExtension(delivered({ id: 'another' }), extension, withApproval, NOW), undefined);
      });
    });
  });

  describe('releaseAccess', () => {
    it('the requester gives access back early: removal starts now and the end is now', () => {
      const { next, effects } = releaseAccess(delivered(), REQUESTER.id, NOW);
      assert.equal(next.releasedAt, NOW.toISOString());
      assert.equal(next.accessEndsAt, NOW.toISOString());
      assert.equal(next.removalStartedAt, NOW.toISOString());
      assert.deepEqual(effects, [REFRESH_ACCESS_CARDS, { kind: 'revoke' }]);
      assert.equal(expireAccess(next, expiryItem(delivered()), new Date(ENDS)), undefined, 'the scheduled expiry is stale');
      assert.equal(recordRemoval(next, removed('00', '01'), NOW).next.state, 'accessExpired');
    });

    it('refusals: not the requester, no access, already removing', async () => {
      await rejects(() => releaseAccess(delivered(), APPROVER.id, NOW), domainError(ForbiddenError, 'error.notYourAccess'));
      await rejects(() => releaseAccess(delivered({ state: 'accessExpired' }), REQUESTER.id, NOW), domainError(ConflictError, 'error.noAccessToRelease', { state: 'accessExpired' }));
      await rejects(() => releaseAccess(removing(), REQUESTER.id, NOW), domainError(ConflictError, 'error.alreadyRemoving'));
    });
  });
});

function removingFrom(request: AccessRequest): AccessRequest {
  const transition = expireAccess(request, expiryItem(request), new Date(ENDS));
  assert.ok(transition);
  return transition.next;
}
