/**
 * The assignment (issue 12 item 1): one per person and package, derived from the request that holds it; written by
 * the outbox after every commit that changes it, never replaced by an older request or an older version.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { commitRequest } from '../../src/app/commitRequest';
import { runSyncAssignment } from '../../src/app/effects/assignments';
import { assignmentChanged, assignmentOf, supersedes } from '../../src/domain/assignment';
import { expireAccess, recordRemoval, releaseAccess } from '../../src/domain/expiry';
import type { AccessRequest } from '../../src/domain/request';
import { createTestContext } from '../support/fakes';
import { ACCESS_ENDS_AT, REQUESTER, buildRequest, deliveredRequest, withDecision, withDelivery } from '../support/requestFixtures';

const LATER = new Date('2026-03-20T00:00:00.000Z');

function removedAll(request: AccessRequest, now: Date): AccessRequest {
  return recordRemoval(request, request.resources.filter((r) => r.status === 'delivered').map((r) => ({ key: r.key, status: 'removed' })), now).next;
}

describe('assignment', () => {
  it('exists from approval on, with the state, start, end, policy, resources and the requests that made it', () => {
    assert.equal(assignmentOf(buildRequest()), undefined, 'pending approval: no assignment yet');
    assert.equal(assignmentOf(withDecision(buildRequest(), 'denied')), undefined);
    assert.equal(assignmentOf(buildRequest({ state: 'scheduled' })), undefined, 'waiting for its start date');
    assert.equal(assignmentOf(buildRequest({ state: 'canceled', canceledAt: '2026-03-03T00:00:00Z' })), undefined, 'canceled before anything was tried');
    assert.equal(assignmentOf(withDecision(buildRequest(), 'approved'))?.state, 'delivering');

    const delivered = { ...deliveredRequest(), extensionIds: ['req-2026-0077'] };
    const assignment = assignmentOf(delivered);
    assert.deepEqual(
      assignment && { ...assignment, resources: assignment.resources.map((r) => `${r.key}=${r.status}`) },
      {
        personId: REQUESTER.id.toLowerCase(),
        personName: REQUESTER.displayName,
        catalogId: 'sales',
        packageId: 'crm-users',
        packageName: 'CRM users',
        policyId: 'employees',
        state: 'delivered',
        requestIds: [delivered.id, 'req-2026-0077'],
        startedAt: delivered.completedAt,
        endsAt: ACCESS_ENDS_AT,
        removalStartedAt: undefined,
        resources: ['00=delivered', '01=delivered'],
        source: { requestId: delivered.id, version: delivered.version, submittedAt: delivered.submittedAt },
        updatedAt: delivered.updatedAt,
      },
    );
    const failed = withDelivery(withDecision(buildRequest(), 'approved'), 'failed', 'HTTP 403');
    assert.deepEqual([assignmentOf(failed)?.state, assignmentOf(failed)?.startedAt, assignmentOf(failed)?.resources[0].lastError], ['deliveryFailed', undefined, 'HTTP 403']);
    assert.equal(assignmentOf({ ...deliveredRequest(), extensionOf: { requestId: 'x', currentEndsAt: ACCESS_ENDS_AT, newEndsAt: ACCESS_ENDS_AT } }), undefined, 'an extension request changes one, it has none');
  });

  it('ends `expired` when its end date came and `removed` when the requester released it or canceled a failed delivery', () => {
    const expired = removedAll(expireAccess(deliveredRequest(), { kind: 'accessExpiry', requestId: 'req-2026-0001', dueAt: ACCESS_ENDS_AT, ref: 0 }, LATER)!.next, LATER);
    assert.deepEqual([expired.state, assignmentOf(expired)?.state], ['accessExpired', 'expired']);
    const released = removedAll(releaseAccess(deliveredRequest(), REQUESTER.id, LATER).next, LATER);
    assert.deepEqual([released.state, assignmentOf(released)?.state], ['accessExpired', 'removed']);
    const failedThenCanceled: AccessRequest = { ...withDelivery(withDecision(buildRequest(), 'approved'), 'failed'), state: 'canceled', canceledAt: LATER.toISOString() };
    assert.equal(assignmentOf(failedThenCanceled)?.state, 'removed');
  });

  it('changes only when what it says changes (not on a card or reminder mark)', () => {
    const delivered = deliveredRequest();
    assert.equal(assignmentChanged(delivered, { ...delivered, version: delivered.version + 1, lastExpiryReminderDueAt: '2026-03-12T09:00:00Z' }), false);
    assert.equal(assignmentChanged(delivered, { ...delivered, accessEndsAt: '2026-12-31T00:00:00Z' }), true);
    assert.equal(assignmentChanged(buildRequest(), withDecision(buildRequest(), 'approved')), true, 'created at approval');
    assert.equal(assignmentChanged(buildRequest(), withDecision(buildRequest(), 'denied')), false);
  });

  it('is replaced by a later version of its request or by a later request for the package, never by an older one', () => {
    const v1 = assignmentOf(withDecision(buildRequest(), 'approved'))!;
    const v2 = assignmentOf(deliveredRequest())!;
    assert.deepEqual([supersedes(v2, v1), supersedes(v1, v2), supersedes(v1, v1)], [true, false, false]);
    const again = assignmentOf({ ...deliveredRequest(), id: 'req-2026-0099', version: 2, submittedAt: '2026-04-01T00:00:00.000Z' })!;
    assert.deepEqual([supersedes(again, v2), supersedes(v2, again)], [true, false]);
  });

  describe('kept in step by the outbox', () => {
    it('a commit that changes the assignment stores syncAssignment with it, and the effect writes it', async () => {
      const ctx = createTestContext();
      const loaded = await ctx.store.create(buildRequest());
      const approved = await commitRequest(ctx.store, loaded, withDecision(loaded.request, 'approved'));
      assert.deepEqual(approved.effects.map((e) => e.effect.kind), ['syncApprovals', 'syncPackageIndex', 'syncAssignment']);
      await runSyncAssignment(ctx, approved);
      assert.equal((await ctx.assignments.get(REQUESTER.id, 'crm-users'))?.assignment.state, 'delivering');

      const reminded = await commitRequest(ctx.store, approved, { ...approved.request, version: approved.request.version + 1, lastExpiryReminderDueAt: 'x' });
      assert.deepEqual(reminded.effects.map((e) => e.effect.kind), ['syncApprovals', 'syncPackageIndex', 'syncAssignment'], 'nothing added for a change the assignment does not show');
    });

    it('no code stores a request transition except through commitRequest.ts (so none can skip the derived records)', () => {
      const src = join(__dirname, '..', '..', 'src');
      const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
      const committing = files.filter((f) => /store\.(commit|create)\(/.test(readFileSync(join(src, f), 'utf8'))).map((f) => relative(src, join(src, f)));
      assert.deepEqual(committing, [join('app', 'commitRequest.ts')]);
    });

    it('a late run of an older version, or of an older request, writes nothing', async () => {
      const ctx = createTestContext();
      const older = await ctx.store.create(withDecision(buildRequest(), 'approved'));
      const newer = await ctx.store.create({ ...deliveredRequest(), id: 'req-2026-0002', submittedAt: '2026-03-10T00:00:00.000Z' });
      await runSyncAssignment(ctx, newer);
      await runSyncAssignment(ctx, older);
      assert.equal((await ctx.assignments.get(REQUESTER.id, 'crm-users'))?.assignment.source.requestId, 'req-2026-0002');
      const stale = { ...newer, request: { ...newer.request, version: newer.request.version - 1, state: 'delivering' as const } };
      await runSyncAssignment(ctx, stale);
      assert.equal((await ctx.assignments.get(REQUESTER.id, 'crm-users'))?.assignment.state, 'delivered');
    });

    it('runs racing on two instances leave the newest version', async () => {
      const ctx = createTestContext();
      const approved = await ctx.store.create(withDecision(buildRequest(), 'approved'));
      const delivered = { ...approved, request: deliveredRequest() };
      await Promise.all([runSyncAssignment(ctx, delivered), runSyncAssignment(ctx, approved), runSyncAssignment(ctx, delivered)]);
      const stored = await ctx.assignments.get(REQUESTER.id, 'crm-users');
      assert.deepEqual([stored?.assignment.state, stored?.assignment.source.version], ['delivered', delivered.request.version]);
      assert.equal((await ctx.assignments.listForPerson(REQUESTER.id.toUpperCase())).length, 1);
    });
  });
});
