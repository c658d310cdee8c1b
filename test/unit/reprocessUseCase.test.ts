import { strict as assert } from 'node:assert';
import { decideRequest } from '../../src/app/decide';
import { EffectRunner } from '../../src/app/effectRunner';
import { failedRequestsForChannel } from '../../src/app/failedRequests';
import { reprocessRequests } from '../../src/app/reprocess';
import { requestHistory } from '../../src/app/requestHistory';
import { submitRequest } from '../../src/app/submitRequest';
import { ExpiredError, ForbiddenError } from '../../src/domain/errors';
import { domainError } from '../support/assertions';
import { createTestContext, demo, formCard, type TestContext } from '../support/fakes';

const { adele, isaiah, diego, patti, lee, megan } = demo.users;
const CHANNEL = { teamId: '19:sales-team@thread.tacv2', channelId: '19:sales-access-requests@thread.tacv2' };

describe('use-cases: reprocess, the failed index, the alert and the audit trail (in-memory fakes)', () => {
  let t: TestContext;
  let runner: EffectRunner;

  beforeEach(() => {
    t = createTestContext();
    runner = new EffectRunner(t);
  });

  async function run(requestId: string): Promise<void> {
    runner.kick(requestId);
    await runner.idle();
  }

  /** Adele (or another requester) gets CRM users approved by Diego; the CRM app role fails for good. */
  async function partlyDelivered(requesterId: string = adele): Promise<string> {
    t.provisioner.failPermanently(demo.appRoles.crmReader);
    const created = await submitRequest(t, { requesterId, packageId: 'crm-users', justification: 'Pipeline review', formCard: formCard(requesterId) });
    await run(created.request.id);
    await decideRequest(t, { requestId: created.request.id, actorId: diego, outcome: 'approved', justification: 'ok' });
    await run(created.request.id);
    assert.equal(t.store.peek(created.request.id)?.request.state, 'partiallyDelivered');
    return created.request.id;
  }

  it('a partial delivery is indexed and alerts the catalog channel with a card recorded for refreshes', async () => {
    const id = await partlyDelivered();
    assert.deepEqual(await t.failedRequests.list('sales', 10), [id]);
    assert.deepEqual(
      t.notifier.channelPosts.map((p) => [p.channel, p.card, p.request.id]),
      [[CHANNEL, 'deliveryFailedAlert', id]],
    );
    const alert = t.store.peek(id)?.cards.find((c) => c.card === 'deliveryFailedAlert');
    assert.equal(alert?.recipientId, `channel:${CHANNEL.channelId}`);
    const listed = await failedRequestsForChannel(t, CHANNEL.channelId);
    assert.deepEqual([listed.catalogIds, listed.requests.map((r) => r.id)], [['sales'], [id]]);
    assert.deepEqual(await failedRequestsForChannel(t, '19:another@thread.tacv2'), { catalogIds: [], requests: [] });
  });

  it('a non-manager is refused (403) and nothing changes', async () => {
    const id = await partlyDelivered();
    const before = t.store.peek(id);
    await assert.rejects(reprocessRequests(t, { requestIds: [id], actorId: isaiah }), domainError(ForbiddenError, 'error.notRequestManager'));
    assert.deepEqual(t.store.peek(id), before);
  });

  it('a manager reprocesses: only the failed resource is retried, the request ends delivered, #6 goes out, the index and alert follow', async () => {
    const id = await partlyDelivered();
    const groupGrants = t.provisioner.attemptsFor(demo.groups.crmUsers);
    t.provisioner.heal(demo.appRoles.crmReader);

    const [outcome] = await reprocessRequests(t, { requestIds: [id], actorId: diego });
    assert.equal(outcome.status, 'queued');
    assert.equal(outcome.request?.state, 'delivering');
    await run(id);

    const { request, cards } = t.store.peek(id)!;
    assert.equal(request.state, 'delivered');
    assert.equal(t.provisioner.attemptsFor(demo.groups.crmUsers), groupGrants, 'the delivered group is not written again');
    assert.equal(t.notifier.postsTo(adele, 'accessDelivered').length, 1);
    assert.deepEqual(await t.failedRequests.list('sales', 10), []);
    const alert = cards.find((c) => c.card === 'deliveryFailedAlert')!;
    const alertUpdates = t.notifier.updates.filter((u) => u.posted.activityId === alert.activityId).map((u) => u.request.state);
    assert.deepEqual(alertUpdates, ['delivering', 'delivered']);
    assert.equal(t.notifier.channelPosts.length, 1, 'no second alert');

    const trail = await t.store.listAudit(id);
    const reprocessRow = trail.find((e) => e.action === 'reprocess');
    assert.equal(reprocessRow?.actorId, diego);
    assert.ok(trail.some((e) => e.action === 'transition' && e.actorId === diego && e.outcome === 'partiallyDelivered → delivering'));
    assert.deepEqual(
      trail.filter((e) => e.action === 'graphWrite').map((e) => e.outcome),
      ['delivered', 'failed: HTTP 403 Authorization_RequestDenied', 'delivered'],
    );
  });

  it('the audit trail records who caused each write, oldest first; the bot writes without an actor', async () => {
    const id = await partlyDelivered();
    const trail = await t.store.listAudit(id);
    assert.deepEqual(trail.map((e) => e.version), [...trail.map((e) => e.version)].sort((a, b) => a - b));
    assert.equal(trail[0].action, 'transition');
    assert.equal(trail[0].actorId, adele);
    assert.ok(trail.some((e) => e.actorId === diego && /stage 1 approved by Diego/.test(e.detail ?? '')));
    assert.ok(trail.filter((e) => e.action === 'graphWrite').every((e) => e.actorId === undefined));
  });

  it('after 14 days the request can no longer be reprocessed (412)', async () => {
    const id = await partlyDelivered();
    t.clock.advanceDays(15);
    await assert.rejects(reprocessRequests(t, { requestIds: [id], actorId: diego }), domainError(ExpiredError, 'error.reprocessWindowOver'));
  });

  it('several requests in one click: each its own outcome; a click that may reprocess none is 403', async () => {
    const first = await partlyDelivered(adele);
    const second = await partlyDelivered(megan);
    t.provisioner.heal(demo.appRoles.crmReader);
    await reprocessRequests(t, { requestIds: [second], actorId: lee });
    await run(second);

    await assert.rejects(reprocessRequests(t, { requestIds: [first, second], actorId: isaiah }), domainError(ForbiddenError, 'error.notRequestManager'));
    const outcomes = await reprocessRequests(t, { requestIds: [first, second, '00000000-0000-4000-8000-000000000000'], actorId: patti });
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'queued' ? [o.requestId, 'queued'] : [o.requestId, o.messageKey, o.params])),
      [
        [first, 'queued'],
        [second, 'error.notReprocessable', { state: 'delivered' }],
        ['00000000-0000-4000-8000-000000000000', 'error.unknownRequest', {}],
      ],
    );
  });

  it('the history is for the manager roles only', async () => {
    const id = await partlyDelivered();
    await assert.rejects(requestHistory(t, { requestId: id, actorId: adele }), domainError(ForbiddenError, 'error.notRequestManagerHistory'));
    const { entries } = await requestHistory(t, { requestId: id, actorId: lee });
    assert.ok(entries.length >= 4);
  });

  it('a notification costs no directory call: its recipient is named when the history is read', async () => {
    const before = t.directory.calls.getUser;
    const id = await partlyDelivered();
    const notified = (await t.store.listAudit(id)).filter((a) => a.action === 'notify' && a.subjectId);
    assert.ok(notified.some((a) => a.detail === 'approvalRequest' && a.subjectId === megan));
    const lookups = t.directory.calls.getUser - before;
    assert.ok(lookups <= 2, `only the submit and the decision look people up (${lookups})`);
    const { names } = await requestHistory(t, { requestId: id, actorId: lee });
    assert.equal(names[megan], 'Megan Bowen');
  });
});
