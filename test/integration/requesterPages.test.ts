/**
 * The pages of `status` on Table Storage (Azurite): the requester's requests that are not over come from their
 * `live|` rows (kept in step by create and commit), history pages go on from a position, a page costs a bounded
 * number of round trips, and the answers are the in-memory fake's.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { LoadedRequest, RequesterPage, RequesterPageQuery } from '../../src/app/ports';
import type { AccessRequest, RequestState } from '../../src/domain/request';
import { positionOf } from '../../src/domain/requesterOverview';
import { TableRequestStore } from '../../src/storage/requestStore';
import { encodeKey, type Tables } from '../../src/storage/tables';
import { useTables } from '../support/azurite';
import { aRequest } from '../support/builders';
import { InMemoryRequestStore } from '../support/fakes';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n, 8)).toISOString();

function moved(loaded: LoadedRequest, state: RequestState): AccessRequest {
  return { ...structuredClone(loaded.request), version: loaded.request.version + 1, state, updatedAt: day(99) };
}

/** The HTTP calls the Table clients make while `action` runs, as "METHOD table" (without the tables' prefix). */
const calls: string[] = [];
let tablePrefix = '';
const countingPolicy: PipelinePolicy = {
  name: 'requesterPagesCalls',
  sendRequest: (request, next) => {
    const table = new URL(request.url).pathname.split(/[/(]/)[2] ?? '';
    calls.push(`${request.method} ${table.startsWith(tablePrefix) ? table.slice(tablePrefix.length) : table}`);
    return next(request);
  },
};
async function callsOf(action: () => Promise<unknown>): Promise<string[]> {
  calls.length = 0;
  await action();
  return [...calls];
}

const ids = (page: RequesterPage) => ({ current: page.current.map((r) => r.id), finished: page.finished.map((r) => r.id), notShown: page.currentNotShown, currentNext: page.currentNext, historyNext: page.historyNext });

describe('status pages on Table Storage (Azurite)', function () {
  this.timeout(60_000);
  let tables: Tables;
  let store: TableRequestStore;

  before(async () => {
    tables = await useTables({ clientOptions: { additionalPolicies: [{ policy: countingPolicy, position: 'perCall' }] } });
    tablePrefix = tables.tableName('requests').slice(0, -'requests'.length);
  });
  beforeEach(() => {
    store = new TableRequestStore({ tables });
  });

  async function liveRows(requesterId: string): Promise<string[]> {
    const rows: string[] = [];
    for await (const row of tables.client('requesterIndex').listEntities({ queryOptions: { filter: `PartitionKey eq '${encodeKey(requesterId)}'` } })) {
      if (String(row.rowKey).startsWith('live')) rows.push(String(row.rowKey));
    }
    return rows;
  }

  it('a request has its live| row from its create (no extra call) until the commit that ends it', async () => {
    const requester = { id: randomUUID(), displayName: 'Adele Vance' };
    const request = aRequest({ requester, state: 'pendingApproval' });
    let loaded: LoadedRequest | undefined;
    const createCalls = await callsOf(async () => (loaded = await store.create(request)));
    assert.deepEqual(createCalls.sort(), ['POST $batch', 'POST $batch'], 'the index rows in one transaction, the request in another');
    assert.equal((await liveRows(requester.id)).length, 1);
    assert.ok(loaded);

    // Moving between states that are not over writes nothing beside the request's transaction.
    const deliverCalls = await callsOf(async () => (loaded = await store.commit(loaded!, moved(loaded!, 'delivered'))));
    assert.deepEqual(deliverCalls, ['POST $batch']);
    assert.equal((await liveRows(requester.id)).length, 1);

    // The commit that ends it deletes the row, after its transaction.
    const endCalls = await callsOf(async () => (loaded = await store.commit(loaded!, moved(loaded!, 'accessExpired'))));
    assert.deepEqual(endCalls, ['POST $batch', 'DELETE requesterIndex']);
    assert.deepEqual(await liveRows(requester.id), []);
    // A request created over has no live| row at all.
    await store.create(aRequest({ requester, state: 'denied' }));
    assert.deepEqual(await liveRows(requester.id), []);
  });

  it('pages as the in-memory fake does, within 2 queries and a point read per request shown', async () => {
    const requester = { id: randomUUID(), displayName: 'Adele Vance' };
    const fake = new InMemoryRequestStore();
    const both = async (request: AccessRequest) => Promise.all([store.create(request), fake.create(request)]);
    const access = aRequest({ requester, state: 'delivered', submittedAt: day(1) });
    await both(access);
    for (let i = 0; i < 12; i++) await both(aRequest({ requester, state: i % 2 ? 'denied' : 'canceled', submittedAt: day(10 + i) }));
    for (let i = 0; i < 4; i++) await both(aRequest({ requester, state: 'pendingApproval', submittedAt: day(30 + i) }));
    // Two requests submitted in the same millisecond keep an order (by id).
    await both(aRequest({ requester, state: 'denied', submittedAt: day(40) }));
    await both(aRequest({ requester, state: 'denied', submittedAt: day(40) }));
    await both(aRequest({ state: 'delivered', submittedAt: day(50) })); // someone else's

    const same = async (query: RequesterPageQuery): Promise<RequesterPage> => {
      const [table, memory] = await Promise.all([store.pageOfRequester(requester.id, query), fake.pageOfRequester(requester.id, query)]);
      assert.deepEqual(ids(table), ids(memory), JSON.stringify(query));
      return table;
    };
    // The first page also indexes the requests stored before (none here: it only writes the marker).
    await same({ current: { limit: 3 }, history: { limit: 5 } });

    let page: RequesterPage | undefined;
    const pageCalls = await callsOf(async () => (page = await same({ current: { limit: 3 }, history: { limit: 5 } })));
    assert.ok(page);
    assert.equal(page.current.length, 3);
    assert.equal(page.currentNotShown, 2);
    assert.equal(pageCalls.filter((c) => c === 'GET requesterIndex').length, 2, pageCalls.join(', '));
    // Point reads of the requests shown (the current ones among the history are read once).
    assert.ok(pageCalls.filter((c) => c === 'GET requests').length <= 3 + 5, pageCalls.join(', '));
    assert.deepEqual(pageCalls.filter((c) => !c.startsWith('GET')), [], 'reading writes nothing');

    // Page on, both ways, until nothing follows.
    const seenCurrent = [...page.current.map((r) => r.id)];
    const seenFinished = [...page.finished.map((r) => r.id)];
    while (page.currentNext || page.historyNext) {
      page = await same({
        current: page.currentNext ? { after: page.currentNext, limit: 3 } : undefined,
        history: page.historyNext ? { after: page.historyNext, limit: 5 } : undefined,
      });
      seenCurrent.push(...page.current.map((r) => r.id));
      seenFinished.push(...page.finished.map((r) => r.id));
    }
    assert.equal(seenCurrent.length, 5, 'each request not over once');
    assert.ok(seenCurrent.includes(access.id));
    assert.equal(new Set(seenFinished).size, 14, 'each finished request once');
  });

  it('indexes the requests stored before live| rows existed, once, on the first page', async () => {
    const requester = { id: randomUUID(), displayName: 'Lee Gu' };
    const held = aRequest({ requester, state: 'delivered', submittedAt: day(1) });
    const open = aRequest({ requester, state: 'pendingApproval', submittedAt: day(2) });
    for (const request of [held, open, aRequest({ requester, state: 'denied', submittedAt: day(3) })]) await store.create(request);
    // What the store looked like before: no live| rows, no marker.
    for (const rowKey of await liveRows(requester.id)) await tables.client('requesterIndex').deleteEntity(encodeKey(requester.id), rowKey);

    const first = await store.pageOfRequester(requester.id, { current: { limit: 10 } });
    assert.deepEqual(first.current.map((r) => r.id), [open.id, held.id]);
    assert.equal((await liveRows(requester.id)).length, 3, 'two live| rows and the marker');
    const again = await callsOf(() => store.pageOfRequester(requester.id, { current: { limit: 10 } }));
    assert.deepEqual(again.sort(), ['GET requesterIndex', 'GET requests', 'GET requests']);
  });

  it('drops a live| row left behind by a lost delete, and one of a duplicate create; keeps one whose create may be landing', async () => {
    const requester = { id: randomUUID(), displayName: 'Megan Bowen' };
    const index = tables.client('requesterIndex');
    const ended = aRequest({ requester, state: 'delivered', submittedAt: day(1) });
    const loaded = await store.create(ended);
    await store.pageOfRequester(requester.id, { current: { limit: 10 } }); // marker
    const keyOf = (request: AccessRequest) => `live|${String(253_402_300_799_999 - positionOf(request).time).padStart(15, '0')}|${request.id}`;
    // The commit that ended it landed; its delete did not.
    await store.commit(loaded, moved(loaded, 'accessExpired'));
    await index.upsertEntity({ partitionKey: encodeKey(requester.id), rowKey: keyOf(ended), requestId: ended.id }, 'Replace');
    // A second create of an existing id with another submit time: refused, but its index rows were written.
    const open = aRequest({ requester, state: 'pendingApproval', submittedAt: day(2) });
    await store.create(open);
    await assert.rejects(store.create({ ...open, submittedAt: day(3) }));
    // A create whose index rows are written and whose request is not (yet).
    const landing = aRequest({ requester, state: 'pendingApproval', submittedAt: day(4) });
    await index.upsertEntity({ partitionKey: encodeKey(requester.id), rowKey: keyOf(landing), requestId: landing.id }, 'Replace');

    const page = await store.pageOfRequester(requester.id, { current: { limit: 10 }, history: { limit: 10 } });
    assert.deepEqual(page.current.map((r) => r.id), [open.id]);
    assert.deepEqual(page.finished.map((r) => r.id), [ended.id]);
    assert.deepEqual((await liveRows(requester.id)).sort(), ['live', keyOf(landing), keyOf(open)].sort());
    assert.deepEqual((await store.listByRequester(requester.id, 10)).map((r) => r.id), [open.id, ended.id], 'history ignores live| rows');
  });
});
