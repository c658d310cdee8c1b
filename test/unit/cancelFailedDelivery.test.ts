/**
 * Issue 12 item 4, seed 000: the requester cancels a delivery that failed in part or whole. A partly delivered
 * request has what it delivered removed through the release path (revoke, removalFailed, the daily retry) and ends
 * `canceled`; one that delivered nothing is `canceled` at once. Either leaves the managers' failed list and can no
 * longer be reprocessed. Domain transitions first, then the use-case on the in-memory fakes.
 */
import { strict as assert } from 'node:assert';
import { cancelRequest as cancelUseCase } from '../../src/app/cancelRequest';
import { EffectRunner } from '../../src/app/effectRunner';
import { failedRequestsForChannel } from '../../src/app/failedRequests';
import { reprocessRequests } from '../../src/app/reprocess';
import { submitRequest } from '../../src/app/submitRequest';
import type { Effect } from '../../src/domain/effects';
import { ConflictError, ForbiddenError, NotFoundError } from '../../src/domain/errors';
import { expireAccess, recordRemoval, releaseAccess, REMOVAL_RETRY_REF } from '../../src/domain/expiry';
import { cancelRequest, isBeingCanceled, isCancelable } from '../../src/domain/lifecycle';
import { assertCanReprocess, isOpenFailure, isReprocessable, reprocess } from '../../src/domain/reprocess';
import type { AccessRequest, PersonSnapshot } from '../../src/domain/request';
import { createRequest, decide, recordDelivery, REFRESH_STATUS, startStage, type GrantResult } from '../../src/domain/transitions';
import { renderRequestCard } from '../../src/teams/views';
import { deepFreeze, domainError, rejects } from '../support/assertions';
import { at, crmEntry, crmPolicy, crmStage } from '../support/domainFixtures';
import { createTestContext, demo, type TestContext } from '../support/fakes';
import { cardText } from '../support/fakeConnector';
import { crmUsersInput, useCaseSteps } from '../support/useCaseSteps';

const adele: PersonSnapshot = { id: demo.users.adele, displayName: 'Adele Vance' };
const diego: PersonSnapshot = { id: demo.users.diego, displayName: 'Diego Siciliani' };
const HOUR = 3_600_000;

/** CRM users (a group and an app role), approved by Diego, delivered at T0 + 3 s with these outcomes. */
function deliveredWith(results: GrantResult[]): AccessRequest {
  const submitted = createRequest({ id: 'request-1', entry: crmEntry, policy: crmPolicy, requester: adele, fields: { justification: 'Pipeline review' }, now: at(0) }).next;
  const pending = startStage(submitted, crmStage, { approverIds: [diego.id], usedFallback: false }, at(1000)).next;
  const approved = decide(pending, crmStage, 1, { actor: diego, outcome: 'approved', justification: 'ok', now: at(2000) }).next;
  return recordDelivery(approved, results, crmPolicy, at(3000)).next;
}
const partlyDelivered = () => deliveredWith([{ key: '00', status: 'delivered' }, { key: '01', status: 'failed', transient: false, error: '403 Authorization_RequestDenied' }]);
const deliveryFailed = () =>
  deliveredWith([
    { key: '00', status: 'failed', transient: false, error: '403' },
    { key: '01', status: 'failed', transient: false, error: '403' },
  ]);

const CANCELED_CARDS: Effect = { kind: 'refreshCards', cards: ['requestStatus', 'accessEndingSoon', 'deliveryFailedAlert'] };

describe('cancel of a failed delivery (seed 000)', () => {
  describe('domain: partiallyDelivered → removal → canceled', () => {
    it('the cancel starts the removal of what it delivered, leaves the failed list and refreshes the channel alert', () => {
      const request = deepFreeze(partlyDelivered());
      const now = at(20 * 24 * HOUR); // after the 14-day reprocess window: cancel any time
      const { next, effects } = cancelRequest(request, adele.id, now);
      assert.equal(next.state, 'partiallyDelivered', 'it holds access until the removal is done');
      assert.equal(next.canceledAt, now.toISOString());
      assert.equal(next.removalStartedAt, now.toISOString());
      assert.equal(next.accessEndsAt, now.toISOString(), 'the scheduled expiry goes stale');
      assert.equal(next.completedAt, request.completedAt, 'the completion the 14-day window ran from stays');
      assert.equal(next.releasedAt, undefined);
      assert.equal(next.version, request.version + 1);
      assert.deepEqual(effects, [CANCELED_CARDS, { kind: 'syncFailedIndex' }, { kind: 'revoke' }]);
      assert.equal(isBeingCanceled(next), true);
      assert.equal(isOpenFailure(next), false, 'not on the managers\' failed list any more');
      assert.equal(isCancelable(next), false);
    });

    it('once Graph removed what it delivered it is canceled: #8, the alert refreshed, the failed index synced', () => {
      const canceling = cancelRequest(partlyDelivered(), adele.id, at(HOUR)).next;
      const { next, effects } = recordRemoval(canceling, [{ key: '00', status: 'removed' }], at(HOUR + 1000));
      assert.equal(next.state, 'canceled');
      assert.deepEqual(next.resources.map((r) => r.status), ['removed', 'failed'], 'the app role was never delivered');
      assert.equal(isBeingCanceled(next), false);
      assert.deepEqual(effects, [
        CANCELED_CARDS,
        { kind: 'notify', recipientId: adele.id, card: 'accessEnded' },
        { kind: 'syncFailedIndex' },
      ]);
    });

    it('a removal Graph refuses stays removalFailed, alerts the managers once and is retried daily; then canceled', () => {
      const canceling = cancelRequest(partlyDelivered(), adele.id, at(HOUR)).next;
      const refused = recordRemoval(canceling, [{ key: '00', status: 'failed', transient: false, error: '403' }], at(HOUR + 1000));
      assert.equal(refused.next.state, 'partiallyDelivered');
      assert.equal(refused.next.resources[0].status, 'removalFailed');
      assert.ok(isBeingCanceled(refused.next));
      assert.ok(refused.effects.some((e) => e.kind === 'alertManagers' && e.card === 'removalFailedAlert'));
      const retryItem = refused.effects.flatMap((e) => (e.kind === 'schedule' ? e.items : []))[0];
      assert.equal(retryItem.ref, REMOVAL_RETRY_REF);
      const retry = expireAccess(refused.next, retryItem, new Date(retryItem.dueAt));
      assert.ok(retry, 'the daily retry applies');
      assert.deepEqual(retry.effects, [{ kind: 'revoke' }]);
      const done = recordRemoval(retry.next, [{ key: '00', status: 'removed' }], new Date(Date.parse(retryItem.dueAt) + 1000));
      assert.equal(done.next.state, 'canceled');
    });

    it('while it is being removed: no release, no reprocess, no second cancel', async () => {
      const canceling = cancelRequest(partlyDelivered(), adele.id, at(HOUR)).next;
      await rejects(() => cancelRequest(canceling, adele.id, at(2 * HOUR)), domainError(ConflictError, 'error.alreadyCanceled'));
      await rejects(() => releaseAccess(canceling, adele.id, at(2 * HOUR)), domainError(ConflictError, 'error.alreadyRemoving'));
      await rejects(() => reprocess(canceling, true, at(2 * HOUR)), domainError(ConflictError, 'error.reprocessCanceled', { requester: 'Adele Vance' }));
      assert.equal(isReprocessable(canceling, at(2 * HOUR)), false, 'inside the window, still no Reprocess button');
    });
  });

  describe('domain: deliveryFailed → canceled at once', () => {
    it('nothing was delivered, so nothing is removed: canceled, off the failed list, the status card and alert refreshed', () => {
      const request = deepFreeze(deliveryFailed());
      const now = at(HOUR);
      const { next, effects } = cancelRequest(request, adele.id, now);
      assert.equal(next.state, 'canceled');
      assert.equal(next.canceledAt, now.toISOString());
      assert.equal(next.removalStartedAt, undefined);
      assert.equal(next.completedAt, request.completedAt);
      assert.deepEqual(next.resources, request.resources);
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'syncFailedIndex' }]);
      assert.equal(isOpenFailure(next), false);
    });

    it('then a second cancel is 409 and reprocess is refused with a sentence, after the role check', async () => {
      const canceled = cancelRequest(deliveryFailed(), adele.id, at(HOUR)).next;
      await rejects(() => cancelRequest(canceled, adele.id, at(2 * HOUR)), domainError(ConflictError, 'error.alreadyCanceled'));
      await rejects(() => assertCanReprocess(canceled, false, at(2 * HOUR)), domainError(ForbiddenError, 'error.notRequestManager'));
      await rejects(() => assertCanReprocess(canceled, true, at(2 * HOUR)), domainError(ConflictError, 'error.reprocessCanceled'));
    });
  });

  describe('domain: refusals', () => {
    it('nobody but the requester may cancel a failed delivery (403), and nothing changes', async () => {
      for (const request of [partlyDelivered(), deliveryFailed()]) {
        const frozen = deepFreeze(request);
        for (const actor of [diego.id, demo.users.patti, demo.users.lee]) {
          await rejects(() => cancelRequest(frozen, actor, at(HOUR)), domainError(ForbiddenError, 'error.notYourRequest'));
        }
      }
    });

    it('access the requester gave back (or that expired) is already being removed: 409', async () => {
      const released = releaseAccess(partlyDelivered(), adele.id, at(HOUR)).next;
      assert.equal(isCancelable(released), false);
      await rejects(() => cancelRequest(released, adele.id, at(2 * HOUR)), domainError(ConflictError, 'error.alreadyRemoving'));
    });

    it('a delivered request is not a failure: it is released, not canceled (409 naming the state)', async () => {
      const delivered = deliveredWith([{ key: '00', status: 'delivered' }, { key: '01', status: 'delivered', assignmentId: 'a-1' }]);
      await rejects(() => cancelRequest(delivered, adele.id, at(HOUR)), domainError(ConflictError, 'error.cannotCancel', { state: 'delivered' }));
    });
  });

  describe('cards', () => {
    const viewer = { id: 'channel:19:sales@thread.tacv2', locale: 'en' as const };
    const options = { now: at(2 * HOUR), stageCount: 1, approverJustificationRequired: true };
    const actionsOf = (card: unknown): string[] => [...JSON.stringify(card).matchAll(/"verb":"([^"]+)"/g)].map((m) => m[1]);

    it('the channel alert says the requester canceled it, without Reprocess, while removing and after', () => {
      const canceling = cancelRequest(partlyDelivered(), adele.id, at(HOUR)).next;
      const removing = renderRequestCard('deliveryFailedAlert', canceling, viewer, options);
      assert.match(cardText(removing), /Adele Vance canceled the request for CRM users/);
      assert.match(cardText(removing), /can no longer be reprocessed\. The access it delivered is being removed/);
      assert.deepEqual(actionsOf(removing), ['request.history']);
      const canceled = recordRemoval(canceling, [{ key: '00', status: 'removed' }], at(HOUR + 1000)).next;
      const after = renderRequestCard('deliveryFailedAlert', canceled, viewer, options);
      assert.match(cardText(after), /None of its access is held any more/);
      assert.deepEqual(actionsOf(after), ['request.history']);
      const ja = renderRequestCard('deliveryFailedAlert', canceled, { ...viewer, locale: 'ja' }, options);
      assert.match(cardText(ja), /Adele Vance さんが CRM users の要求をキャンセルしました/);
    });

    it('the requester\'s status card shows the removal running, then canceled with what was removed', () => {
      const me = { id: adele.id, locale: 'en' as const };
      const canceling = cancelRequest(partlyDelivered(), adele.id, at(HOUR)).next;
      assert.match(cardText(renderRequestCard('requestStatus', canceling, me, options)), /Canceled: the access it delivered is being removed/);
      const canceled = recordRemoval(canceling, [{ key: '00', status: 'removed' }], at(HOUR + 1000)).next;
      const text = cardText(renderRequestCard('requestStatus', canceled, me, options));
      assert.match(text, /Canceled/);
      assert.match(text, /Removed/);
    });
  });

  describe('use-case on the in-memory fakes', () => {
    let t: TestContext;
    let runner: EffectRunner;
    const { stored, submitAndRun, decideAndRun } = useCaseSteps(() => ({ t, runner }));

    beforeEach(() => {
      t = createTestContext();
      runner = new EffectRunner(t);
    });

    async function partlyDeliveredRequest(): Promise<string> {
      t.provisioner.failPermanently(demo.appRoles.crmReader, 'HTTP 403 Authorization_RequestDenied');
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: demo.users.diego, outcome: 'approved', justification: 'ok' });
      assert.equal(stored(id).request.state, 'partiallyDelivered', 'test setup');
      return id;
    }

    it('removes the group membership, leaves the failed list, audits the cancel; the package can be requested again', async () => {
      const id = await partlyDeliveredRequest();
      assert.deepEqual(await t.failedRequests.list('sales', 50), [id]);
      await assert.rejects(submitRequest(t, crmUsersInput()), domainError(ConflictError, 'error.earlierRequestFailed'));

      await cancelUseCase(t, { requestId: id, actorId: demo.users.adele });
      runner.kick(id);
      await runner.idle();

      const after = stored(id).request;
      assert.equal(after.state, 'canceled');
      assert.deepEqual(t.provisioner.removals.map((r) => r.resource.type), ['group']);
      assert.deepEqual(await t.failedRequests.list('sales', 50), []);
      const channel = t.catalog.file.catalogs[0].notificationChannel?.channelId ?? '';
      assert.deepEqual((await failedRequestsForChannel(t, channel)).requests, []);
      assert.ok((await t.store.listAudit(id)).some((a) => a.action === 'cancel' && a.actorId === demo.users.adele));

      await assert.rejects(
        reprocessRequests(t, { requestIds: [id], actorId: demo.users.patti }),
        domainError(ConflictError, 'error.reprocessCanceled', { requester: 'Adele Vance' }),
      );
      const again = await submitRequest(t, crmUsersInput());
      assert.notEqual(again.request.id, id);
    });

    it('refuses anyone but the requester and an unknown request, and changes nothing', async () => {
      const id = await partlyDeliveredRequest();
      const before = stored(id);
      await assert.rejects(cancelUseCase(t, { requestId: id, actorId: demo.users.patti }), domainError(ForbiddenError, 'error.notYourRequest'));
      await assert.rejects(cancelUseCase(t, { requestId: 'no-such-request', actorId: demo.users.adele }), domainError(NotFoundError, 'error.unknownRequest'));
      assert.deepEqual(stored(id), before);
    });
  });
});
