import { strict as assert } from 'node:assert';
import { TableLease } from '../../src/storage/lease';
import type { Tables } from '../../src/storage/tables';
import { useTables } from '../support/azurite';

const T0 = new Date('2026-03-02T09:00:00.000Z');
const TTL = 60_000;

function at(offsetInMs: number): Date {
  return new Date(T0.getTime() + offsetInMs);
}

describe('TableLease (Azurite)', function () {
  this.timeout(30_000);
  let tables: Tables;
  let lease: TableLease;

  beforeEach(async () => {
    tables = await useTables();
    lease = new TableLease({ tables });
  });

  async function row(name: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await tables.client('work').getEntity<Record<string, unknown>>('lease', name);
    } catch {
      return undefined;
    }
  }

  it('is taken by the first holder, refused to a second while valid, and renewed by its holder', async () => {
    assert.equal(await lease.acquire('scheduler', 'a', TTL, T0), true);
    assert.equal(await lease.acquire('scheduler', 'b', TTL, at(TTL - 1)), false);
    assert.equal(await lease.acquire('scheduler', 'a', TTL, at(30_000)), true);
    assert.equal(await lease.acquire('scheduler', 'b', TTL, at(TTL + 1)), false, 'the renewal moved the expiry');
    const stored = await row('scheduler');
    assert.equal(stored?.holder, 'a');
    assert.equal(stored?.expiresAt, at(30_000 + TTL).toISOString());
  });

  it('is taken over by another holder once it has expired', async () => {
    assert.equal(await lease.acquire('scheduler', 'a', TTL, T0), true);
    assert.equal(await lease.acquire('scheduler', 'b', TTL, at(TTL)), true, 'expired exactly at expiresAt');
    assert.equal(await lease.acquire('scheduler', 'a', TTL, at(TTL + 1)), false);
    assert.equal((await row('scheduler'))?.holder, 'b');
  });

  it('goes to exactly one of many holders racing for it', async () => {
    const holders = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = await Promise.all(holders.map((h) => lease.acquire('race', h, TTL, T0)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await row('race'))?.holder, holders[results.indexOf(true)]);
  });

  it('goes to exactly one of many holders racing to take over an expired lease', async () => {
    assert.equal(await lease.acquire('race', 'old', TTL, T0), true);
    const holders = ['a', 'b', 'c', 'd'];
    const results = await Promise.all(holders.map((h) => lease.acquire('race', h, TTL, at(2 * TTL))));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('is released by its holder only, and can then be taken at once', async () => {
    assert.equal(await lease.acquire('scheduler', 'a', TTL, T0), true);
    await lease.release('scheduler', 'b');
    assert.equal(await lease.acquire('scheduler', 'b', TTL, T0), false, 'another holder cannot release it');
    await lease.release('scheduler', 'a');
    assert.equal(await row('scheduler'), undefined);
    assert.equal(await lease.acquire('scheduler', 'b', TTL, T0), true);
    await lease.release('nothing', 'a');
  });

  it('keeps leases of different names apart, whatever characters the name has', async () => {
    assert.equal(await lease.acquire('one/#?', 'a', TTL, T0), true);
    assert.equal(await lease.acquire('two', 'b', TTL, T0), true);
    assert.equal(await lease.acquire('one/#?', 'b', TTL, T0), false);
  });
});
