import { strict as assert } from 'node:assert';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { LoadedRequest } from '../../src/app/ports';
import { ConcurrencyError } from '../../src/domain/errors';
import type { AccessRequest } from '../../src/domain/request';
import { MAX_TRANSACTION_OPERATIONS, TableRequestStore } from '../../src/storage/requestStore';
import { encodeKey, type Tables } from '../../src/storage/tables';
import { useTables } from '../support/azurite';
import { aRequest, aResource } from '../support/builders';
import { DIEGO } from '../support/demoTenant';

const ADELE = '11111111-1111-1111-1111-111111111111';

function next(loaded: LoadedRequest, changes: Partial<AccessRequest> = {}): AccessRequest {
  const version = loaded.request.version + 1;
  return { ...structuredClone(loaded.request), version, updatedAt: `2026-01-0${Math.min(version, 9)}T10:00:00.000Z`, ...changes };
}

/** Records the operations of every entity-group transaction (the $batch body), to see what went together. */
class BatchLog {
  bodies: string[] = [];
  readonly policy: PipelinePolicy = {
    name: 'recordBatches',
    sendRequest: (request, nextPolicy) => {
      if (new URL(request.url).pathname.endsWith('/$batch') && typeof request.body === 'string') this.bodies.push(request.body);
      return nextPolicy(request);
    },
  };
}

describe('TableRequestStore audit trail (Azurite)', function () {
  this.timeout(30_000);
  let tables: Tables;
  let store: TableRequestStore;
  const batches = new BatchLog();

  before(async () => {
    tables = await useTables({ clientOptions: { additionalPolicies: [{ policy: batches.policy, position: 'perCall' }] } });
  });
  beforeEach(() => {
    store = new TableRequestStore({ tables });
    batches.bodies = [];
  });

  it('writes a transition row with each create and commit, plus one row per note, in the same transaction', async () => {
    const request = aRequest({ state: 'submitted', stages: [] });
    const created = await store.create(request, { actorId: ADELE });
    const approved = await store.commit(created, next(created, { state: 'approved' }), {
      actorId: DIEGO,
      audit: [
        { action: 'graphWrite', detail: 'group A', outcome: 'delivered' },
        { action: 'graphWrite', detail: 'group B', outcome: 'failed: HTTP 403' },
      ],
    });
    // The requester index (history and live rows, another table) has its own transaction at create.
    const requestBatches = batches.bodies.filter((body) => !/requesterIndex/.test(body));
    assert.equal(requestBatches.length, 2, 'one transaction per write of the request');
    for (const body of requestBatches) {
      assert.match(body, /RowKey='audit%7C|"RowKey":"audit\|/, 'the audit rows travel in the write’s own transaction');
    }
    const trail = await store.listAudit(request.id);
    assert.deepEqual(trail, [
      { version: 1, at: request.updatedAt, action: 'transition', actorId: ADELE, outcome: '→ submitted', detail: 'request for CRM users submitted by Adele Vance' },
      { version: 2, at: approved.request.updatedAt, action: 'transition', actorId: DIEGO, outcome: 'submitted → approved' },
      { version: 2, at: approved.request.updatedAt, action: 'graphWrite', actorId: DIEGO, detail: 'group A', outcome: 'delivered' },
      { version: 2, at: approved.request.updatedAt, action: 'graphWrite', actorId: DIEGO, detail: 'group B', outcome: 'failed: HTTP 403' },
    ]);
  });

  it('get() does not read the audit rows; listAudit() reads them oldest first', async () => {
    const request = aRequest({ state: 'submitted', stages: [] });
    let loaded = await store.create(request);
    for (let i = 0; i < 11; i++) loaded = await store.commit(loaded, next(loaded), { audit: [{ action: 'note', detail: `#${i}` }] });
    const rowKeys: string[] = [];
    for await (const row of tables.client('requests').listEntities({ queryOptions: { filter: `PartitionKey eq '${encodeKey(request.id)}'` } })) {
      rowKeys.push(row.rowKey ?? '');
    }
    assert.equal(rowKeys.filter((k) => k.startsWith('audit|')).length, 1 + 11 * 2);
    const got = await store.get(request.id);
    assert.deepEqual(got?.request, loaded.request);
    assert.deepEqual(got?.cards, []);
    assert.deepEqual(got?.effects, []);
    const trail = await store.listAudit(request.id);
    assert.deepEqual(trail.map((e) => e.version), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12]);
    assert.deepEqual(trail.filter((e) => e.action === 'note').map((e) => e.detail), Array.from({ length: 11 }, (_, i) => `#${i}`));
    assert.ok(trail.every((e) => e.actorId === undefined), 'the bot’s own writes have no actor');
  });

  it('a commit that fails (stale ETag) writes no audit row', async () => {
    const created = await store.create(aRequest({ state: 'submitted', stages: [] }));
    await store.commit(created, next(created, { state: 'pendingApproval' }), { actorId: DIEGO });
    await assert.rejects(
      store.commit(created, next(created, { state: 'canceled' }), { actorId: ADELE, audit: [{ action: 'cancel' }] }),
      ConcurrencyError,
    );
    const trail = await store.listAudit(created.request.id);
    assert.deepEqual(trail.map((e) => [e.version, e.action, e.actorId]), [
      [1, 'transition', undefined],
      [2, 'transition', DIEGO],
    ]);
  });

  it('folds notes that would pass 100 operations into one row instead of failing the write', async () => {
    const resources = Array.from({ length: 60 }, (_, i) => aResource({ key: String(i).padStart(2, '0') }));
    const created = await store.create(aRequest({ state: 'delivering', stages: [], resources }));
    const delivered = resources.map((r) => ({ ...r, status: 'delivered' as const, attempts: 1 }));
    const notes = resources.map((r) => ({ action: 'graphWrite', detail: `resource ${r.key}`, outcome: 'delivered' }));
    await store.commit(created, next(created, { state: 'delivered', resources: delivered }), { audit: notes });
    const rows = (await store.listAudit(created.request.id)).filter((e) => e.version === 2);
    // 1 request row + 60 resource rows leave 39 audit rows: the transition, 37 notes and one folded row.
    assert.equal(rows.length, MAX_TRANSACTION_OPERATIONS - 61);
    assert.equal(rows.at(-1)?.outcome, '23 entries folded into one');
    assert.match(rows.at(-1)?.detail ?? '', /resource 37: delivered \| .* \| resource 59: delivered$/);
  });

  it('listAudit of an unknown request is empty', async () => {
    assert.deepEqual(await store.listAudit('no-such-request'), []);
  });
});
