/** The approver's inbox entries (issue 13 item 1): derived from the request, mended on read when stale. */
import { strict as assert } from 'node:assert';
import { approvalsInbox, decidedByMe } from '../../src/app/approvalsInbox';
import { commitRequest } from '../../src/app/commitRequest';
import { runSyncApprovals } from '../../src/app/effects/approvals';
import { approvalEntries, approvalEntriesChanged } from '../../src/domain/approvalInbox';
import { createTestContext } from '../support/fakes';
import { APPROVER, OTHER_APPROVER, REQUESTER, STAGE_ONE_DUE_AT, buildRequest, buildStage, withDecision } from '../support/requestFixtures';

describe('approval inbox', () => {
  const pending = () => buildRequest({ stages: [buildStage({ approverIds: [APPROVER.id, OTHER_APPROVER.id, REQUESTER.id] })] });

  it('waits for every approver of the open stage but the requester, until someone decides', () => {
    assert.deepEqual([...approvalEntries(pending())], [
      [APPROVER.id, { kind: 'waiting', dueAt: STAGE_ONE_DUE_AT }],
      [OTHER_APPROVER.id, { kind: 'waiting', dueAt: STAGE_ONE_DUE_AT }],
      [REQUESTER.id, undefined],
    ]);
    const decided = withDecision(pending(), 'denied', APPROVER, 'no', '2026-03-04T10:15:00.000Z');
    assert.deepEqual([...approvalEntries(decided)], [
      [APPROVER.id, { kind: 'decided', at: '2026-03-04T10:15:00.000Z', outcome: 'denied' }],
      [OTHER_APPROVER.id, undefined],
      [REQUESTER.id, undefined],
    ]);
    assert.equal(approvalEntriesChanged(pending(), decided), true);
    assert.equal(approvalEntriesChanged(pending(), { ...pending(), version: 9, updatedAt: 'later' }), false);
  });

  it('a commit that changes who may decide stores syncApprovals; the inbox lists, then drops, the request', async () => {
    const ctx = createTestContext();
    const created = await ctx.store.create(buildRequest({ stages: [], state: 'submitted', version: 2 }));
    const started = await commitRequest(ctx.store, created, pending());
    assert.ok(started.effects.some((e) => e.effect.kind === 'syncApprovals'));
    await runSyncApprovals(ctx, started);
    assert.deepEqual((await approvalsInbox(ctx, APPROVER.id)).waiting.map((r) => r.id), [started.request.id]);

    const decided = await commitRequest(ctx.store, started, withDecision(started.request, 'approved', OTHER_APPROVER, 'ok'));
    await runSyncApprovals(ctx, decided);
    assert.deepEqual((await approvalsInbox(ctx, APPROVER.id)).waiting, []);
    assert.deepEqual((await decidedByMe(ctx, OTHER_APPROVER.id)).map(({ decision, request }) => [decision.outcome, request.id]), [['approved', decided.request.id]]);
  });

  it('a stale entry (a late sync wrote "waiting" back) is not listed, and is mended', async () => {
    const ctx = createTestContext();
    const loaded = await ctx.store.create(withDecision(pending(), 'approved', OTHER_APPROVER, 'ok'));
    await ctx.approvals.set(APPROVER.id, loaded.request.id, { kind: 'waiting', dueAt: STAGE_ONE_DUE_AT });
    await ctx.approvals.set(APPROVER.id, 'gone-request', { kind: 'waiting', dueAt: STAGE_ONE_DUE_AT });
    assert.deepEqual(await approvalsInbox(ctx, APPROVER.id), { waiting: [], more: 0 });
    assert.deepEqual(await ctx.approvals.waitingFor(APPROVER.id), []);
  });
});
