/** The approvers' inbox rows on Azurite: waiting rows come and go, decisions are listed newest first. */
import { strict as assert } from 'node:assert';
import { TableApprovalIndex } from '../../src/storage/approvalIndex';
import { TablePackageClaims } from '../../src/storage/packageClaims';
import { useTables } from '../support/azurite';

describe('approval index on Azurite', () => {
  let index: TableApprovalIndex;
  let claims: TablePackageClaims;
  const approver = '11111111-0000-4000-8000-0000000000BB';

  before(async () => {
    const tables = await useTables();
    index = new TableApprovalIndex({ tables });
    claims = new TablePackageClaims({ tables });
  });

  it('keeps what waits for the approver, case-insensitively, apart from their other records', async () => {
    await index.set(approver, 'r1', { kind: 'waiting', dueAt: '2026-03-16T08:30:00.000Z' });
    await index.set(approver.toLowerCase(), 'r2', { kind: 'waiting', dueAt: '2026-03-10T08:30:00.000Z' });
    await index.set(approver, 'r2', { kind: 'waiting', dueAt: '2026-03-11T08:30:00.000Z' });
    assert.equal(await claims.claim(approver, 'crm-users', 'r9', '2026-03-02T08:30:00.000Z', undefined), true);
    assert.deepEqual((await index.waitingFor(approver)).sort((a, b) => a.requestId.localeCompare(b.requestId)), [
      { requestId: 'r1', dueAt: '2026-03-16T08:30:00.000Z' },
      { requestId: 'r2', dueAt: '2026-03-11T08:30:00.000Z' },
    ]);
  });

  it('a decision leaves the waiting rows and is listed newest first; removing a missing entry is no error', async () => {
    await index.set(approver, 'r1', { kind: 'decided', at: '2026-03-04T10:00:00.000Z', outcome: 'approved' });
    await index.set(approver, 'r2', { kind: 'decided', at: '2026-03-05T10:00:00.000Z', outcome: 'denied' });
    await index.set(approver, 'r3', undefined);
    assert.deepEqual(await index.waitingFor(approver), []);
    assert.deepEqual(await index.decidedBy(approver, 10), [
      { requestId: 'r2', at: '2026-03-05T10:00:00.000Z', outcome: 'denied' },
      { requestId: 'r1', at: '2026-03-04T10:00:00.000Z', outcome: 'approved' },
    ]);
    assert.deepEqual((await index.decidedBy(approver, 1)).map((d) => d.requestId), ['r2']);
  });
});
