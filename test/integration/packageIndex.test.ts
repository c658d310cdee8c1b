/** A package's index on Azurite: request rows come and go, assignment rows are replaced, packages stay apart. */
import { strict as assert } from 'node:assert';
import { assignmentOf, type Assignment } from '../../src/domain/assignment';
import { packageRequestRow } from '../../src/domain/packageIndex';
import { TablePackageIndex } from '../../src/storage/packageIndex';
import { useTables } from '../support/azurite';
import { buildRequest, deliveredRequest } from '../support/requestFixtures';

describe('package index on Azurite', () => {
  let index: TablePackageIndex;

  before(async () => {
    index = new TablePackageIndex({ tables: await useTables() });
  });

  it('keeps the requests not over and removes a request once it is', async () => {
    const pending = buildRequest();
    await index.setRequest('crm-users', pending.id, packageRequestRow(pending));
    await index.setRequest('sales/team#1', 'other', packageRequestRow({ ...pending, id: 'other', packageId: 'sales/team#1' }));
    assert.deepEqual(await index.requests('crm-users'), [packageRequestRow(pending)]);
    await index.setRequest('crm-users', pending.id, undefined);
    await index.setRequest('crm-users', 'never-there', undefined);
    assert.deepEqual(await index.requests('crm-users'), []);
    assert.equal((await index.requests('sales/team#1')).length, 1);
  });

  it('keeps one row per person and package, the latest written', async () => {
    const delivered = assignmentOf(deliveredRequest()) as Assignment;
    await index.setAssignment(delivered);
    await index.setAssignment({ ...delivered, state: 'expired' });
    assert.deepEqual((await index.assignments('crm-users')).map((a) => [a.personId, a.state]), [[delivered.personId, 'expired']]);
    assert.deepEqual(await index.requests('crm-users'), [], 'assignments are not requests');
  });
});
