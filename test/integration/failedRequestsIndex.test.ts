import { strict as assert } from 'node:assert';
import { TableFailedRequestsIndex } from '../../src/storage/failedRequestsIndex';
import type { Tables } from '../../src/storage/tables';
import { useTables } from '../support/azurite';

describe('TableFailedRequestsIndex (Azurite)', function () {
  this.timeout(30_000);
  let tables: Tables;
  let index: TableFailedRequestsIndex;

  before(async () => {
    tables = await useTables();
  });
  beforeEach(() => {
    index = new TableFailedRequestsIndex({ tables });
  });

  it('lists the requests added to a catalog, once each, and forgets removed ones', async () => {
    await index.add('sales', 'b-request');
    await index.add('sales', 'a-request');
    await index.add('sales', 'a-request');
    await index.add('finance', 'c-request');
    assert.deepEqual(await index.list('sales', 10), ['a-request', 'b-request']);
    assert.deepEqual(await index.list('finance', 10), ['c-request']);
    await index.remove('sales', 'a-request');
    await index.remove('sales', 'a-request');
    assert.deepEqual(await index.list('sales', 10), ['b-request']);
  });

  it('honours the limit, and keeps catalog ids and request ids that keys cannot hold as they are', async () => {
    for (let i = 0; i < 5; i++) await index.add('odd/catalog#1', `req/${i}?`);
    assert.deepEqual(await index.list('odd/catalog#1', 3), ['req/0?', 'req/1?', 'req/2?']);
    assert.deepEqual(await index.list('odd/catalog#1', 0), []);
    assert.deepEqual(await index.list('unknown', 5), []);
  });

  it('lives in the work table, partition failed|<catalog>', async () => {
    await index.add('hr', 'x');
    const rows: string[] = [];
    for await (const row of tables.client('work').listEntities({ queryOptions: { filter: "PartitionKey eq 'failed|hr'" } })) rows.push(row.rowKey ?? '');
    assert.deepEqual(rows, ['x']);
  });
});
