/**
 * Assignments on Azurite, in the person's partition beside the package claims: created once, replaced only with the
 * ETag read (of writers racing from one read exactly one wins), listed per person without the claims.
 */
import { strict as assert } from 'node:assert';
import { assignmentOf, type Assignment } from '../../src/domain/assignment';
import { TableAssignmentStore } from '../../src/storage/assignmentStore';
import { TablePackageClaims } from '../../src/storage/packageClaims';
import { useTables } from '../support/azurite';
import { REQUESTER, deliveredRequest, manyFailedResources } from '../support/requestFixtures';

describe('assignments on Azurite', () => {
  let assignments: TableAssignmentStore;
  let claims: TablePackageClaims;
  const delivered = assignmentOf(deliveredRequest()) as Assignment;

  before(async () => {
    const tables = await useTables();
    assignments = new TableAssignmentStore({ tables });
    claims = new TablePackageClaims({ tables });
  });

  it('creates the record once and reads it back whole, the person matched case-insensitively', async () => {
    assert.equal(await assignments.get(REQUESTER.id, 'crm-users'), undefined);
    assert.equal(await assignments.put(delivered, undefined), true);
    assert.equal(await assignments.put(delivered, undefined), false, 'a second create loses');
    assert.deepEqual((await assignments.get(REQUESTER.id.toUpperCase(), 'crm-users'))?.assignment, JSON.parse(JSON.stringify(delivered)));
  });

  it('replaces it only with the ETag that was read', async () => {
    const read = await assignments.get(REQUESTER.id, 'crm-users');
    const results = await Promise.all(['expired', 'removed', 'expired'].map((state) => assignments.put({ ...delivered, state } as Assignment, read)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await assignments.put(delivered, read), false, 'a stale ETag loses');
  });

  it('keeps a record larger than one column holds (90 resources with long errors)', async () => {
    const large = assignmentOf(manyFailedResources()) as Assignment;
    const big = { ...large, packageId: 'many/resources#1' };
    assert.equal(await assignments.put(big, undefined), true);
    assert.deepEqual((await assignments.get(REQUESTER.id, 'many/resources#1'))?.assignment.resources.length, 90);
  });

  it("lists the person's assignments, not their claims", async () => {
    assert.equal(await claims.claim(REQUESTER.id, 'crm-users', 'req-2026-0001', '2026-03-02T08:30:00.000Z', undefined), true);
    assert.deepEqual((await assignments.listForPerson(REQUESTER.id)).map((a) => a.packageId).sort(), ['crm-users', 'many/resources#1']);
    assert.deepEqual((await claims.listForPerson(REQUESTER.id)).map((c) => c.packageId), ['crm-users']);
  });
});
