/** The per-person, per-package claim on Azurite: created once, replaced only with the ETag read, racing claims → one wins. */
import { strict as assert } from 'node:assert';
import { TablePackageClaims } from '../../src/storage/packageClaims';
import { useTables } from '../support/azurite';

const AT = '2026-03-02T08:30:00.000Z';

describe('package claims on Azurite', () => {
  let claims: TablePackageClaims;
  const person = '11111111-0000-4000-8000-0000000000AA';

  before(async () => {
    claims = new TablePackageClaims({ tables: await useTables() });
  });

  it('creates the record once; a second create loses', async () => {
    assert.equal(await claims.latest(person, 'crm-users'), undefined);
    assert.equal(await claims.claim(person, 'crm-users', 'r1', AT, undefined), true);
    assert.equal(await claims.claim(person, 'crm-users', 'r2', AT, undefined), false);
    assert.deepEqual(await claims.latest(person.toLowerCase(), 'crm-users').then((c) => c && { requestId: c.requestId, claimedAt: c.claimedAt }), { requestId: 'r1', claimedAt: AT }, 'the person is matched case-insensitively');
  });

  it('replaces it only with the ETag that was read: of claims racing from one read, exactly one wins', async () => {
    const read = await claims.latest(person, 'crm-users');
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => claims.claim(person, 'crm-users', id, AT, read)));
    assert.equal(results.filter(Boolean).length, 1);
    const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
    assert.equal((await claims.latest(person, 'crm-users'))?.requestId, winner);
    assert.equal(await claims.claim(person, 'crm-users', 'late', AT, read), false, 'a stale ETag loses');
  });

  it('keeps packages apart, and ids with odd characters', async () => {
    assert.equal(await claims.claim(person, 'sales/team#1', 'r9', AT, undefined), true);
    assert.equal((await claims.latest(person, 'sales/team#1'))?.requestId, 'r9');
    assert.notEqual((await claims.latest(person, 'crm-users'))?.requestId, 'r9');
  });
});
