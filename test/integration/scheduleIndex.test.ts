import { strict as assert } from 'node:assert';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { DueItem } from '../../src/domain/schedule';
import { TableScheduleIndex } from '../../src/storage/scheduleIndex';
import type { Tables } from '../../src/storage/tables';
import { useTables } from '../support/azurite';

/** Counts the entities the Table service sends back to queries. */
class EntitiesRead {
  count = 0;
  readonly policy: PipelinePolicy = {
    name: 'countEntitiesRead',
    sendRequest: async (request, next) => {
      const response = await next(request);
      if (request.method === 'GET' && response.bodyAsText) {
        const body = JSON.parse(response.bodyAsText) as { value?: unknown[] };
        this.count += Array.isArray(body.value) ? body.value.length : 1;
      }
      return response;
    },
  };
}

function item(dueAt: string, requestId = 'request-1', kind: DueItem['kind'] = 'stageTimeout', ref = 1): DueItem {
  return { kind, requestId, dueAt, ref };
}

describe('TableScheduleIndex (Azurite)', function () {
  this.timeout(60_000);
  let tables: Tables;
  let index: TableScheduleIndex;
  const entitiesRead = new EntitiesRead();

  beforeEach(async () => {
    tables = await useTables({ clientOptions: { additionalPolicies: [{ policy: entitiesRead.policy, position: 'perCall' }] } });
    index = new TableScheduleIndex({ tables });
  });

  it('lists due items earliest first, whatever order they were added in', async () => {
    await index.add([
      item('2026-03-05T09:00:00.000Z', 'r3'),
      item('2026-03-02T09:00:00.000Z', 'r1'),
      item('2026-03-03T09:00:00.000Z', 'r2', 'approvalReminder'),
    ]);
    const due = await index.listDue(new Date('2026-03-10T00:00:00Z'), 10);
    assert.deepEqual(
      due.map((d) => d.requestId),
      ['r1', 'r2', 'r3'],
    );
    assert.deepEqual(due[1], item('2026-03-03T09:00:00.000Z', 'r2', 'approvalReminder'));
  });

  it('stores the same item once, even when its dueAt is written another way', async () => {
    await index.add([item('2026-03-02T09:00:00Z'), item('2026-03-02T09:00:00.000Z')]);
    await index.add([item('2026-03-02T18:00:00+09:00')]);
    const due = await index.listDue(new Date('2026-03-10T00:00:00Z'), 10);
    assert.deepEqual(due, [item('2026-03-02T09:00:00.000Z')]);
  });

  it('keeps items that differ only in kind or ref apart', async () => {
    await index.add([
      item('2026-03-02T09:00:00.000Z', 'r1', 'stageTimeout', 1),
      item('2026-03-02T09:00:00.000Z', 'r1', 'stageTimeout', 2),
      item('2026-03-02T09:00:00.000Z', 'r1', 'escalation', 1),
    ]);
    assert.equal((await index.listDue(new Date('2026-03-02T09:00:00.000Z'), 10)).length, 3);
  });

  it('lists items due exactly at now, and none due a millisecond later', async () => {
    const now = new Date('2026-03-02T09:00:00.000Z');
    await index.add([item('2026-03-02T09:00:00.000Z', 'at-now'), item('2026-03-02T09:00:00.001Z', 'later'), item('2026-03-02T08:59:59.999Z', 'before')]);
    const due = await index.listDue(now, 10);
    assert.deepEqual(
      due.map((d) => d.requestId),
      ['before', 'at-now'],
    );
  });

  it('keeps each item in the partition of the UTC day it falls due on', async () => {
    await index.add([
      item('2026-03-02T23:59:59.999Z', 'last-of-2nd'),
      item('2026-03-03T00:00:00.000Z', 'first-of-3rd'),
      item('2026-03-03T08:00:00+09:00', 'tokyo-morning'), // 2026-03-02T23:00Z
    ]);
    const partitions = new Map<string, string>();
    for await (const row of tables.client('work').listEntities<{ requestId: string }>()) partitions.set(row.requestId, row.partitionKey ?? '');
    assert.deepEqual(
      partitions,
      new Map([
        ['tokyo-morning', 'due-2026-03-02'],
        ['last-of-2nd', 'due-2026-03-02'],
        ['first-of-3rd', 'due-2026-03-03'],
      ]),
    );
  });

  it('lists the items of earlier days and of today up to now, across the day boundary', async () => {
    await index.add([
      item('2026-03-03T00:00:00.001Z', 'after-midnight'),
      item('2026-03-04T00:00:00.000Z', 'tomorrow'),
      item('2026-03-03T00:00:00.000Z', 'midnight'),
      item('2026-02-27T12:00:00.000Z', 'last-week'),
      item('2026-03-02T23:59:59.999Z', 'before-midnight'),
    ]);
    const dueAt = async (now: string) => (await index.listDue(new Date(now), 10)).map((d) => d.requestId);
    assert.deepEqual(await dueAt('2026-03-02T23:59:59.999Z'), ['last-week', 'before-midnight']);
    assert.deepEqual(await dueAt('2026-03-03T00:00:00.000Z'), ['last-week', 'before-midnight', 'midnight']);
    assert.deepEqual(await dueAt('2026-03-03T23:59:59.999Z'), ['last-week', 'before-midnight', 'midnight', 'after-midnight']);
  });

  it('lists items due at now whatever characters their request id has', async () => {
    const ids = ['~tilde', 'ünïcode', 'a/b#c?d%e', '日本'];
    await index.add(ids.map((id) => item('2026-03-02T09:00:00.000Z', id)));
    const due = await index.listDue(new Date('2026-03-02T09:00:00.000Z'), 10);
    assert.deepEqual(new Set(due.map((d) => d.requestId)), new Set(ids));
  });

  it('returns at most `limit` items, the earliest, across day partitions', async () => {
    await index.add(Array.from({ length: 5 }, (_, i) => item(`2026-03-0${5 - i}T09:00:00.000Z`, `r${4 - i}`)));
    const due = async (limit: number) => (await index.listDue(new Date('2026-04-01T00:00:00Z'), limit)).map((d) => d.requestId);
    assert.deepEqual(await due(2), ['r0', 'r1']);
    assert.deepEqual(await due(4), ['r0', 'r1', 'r2', 'r3']);
    assert.deepEqual(await due(0), []);
  });

  it('removes an item (by its normalised key, from its day partition), and removing a missing item is fine', async () => {
    await index.add([item('2026-03-02T09:00:00.000Z', 'r1'), item('2026-03-02T09:00:00.000Z', 'r2'), item('2026-03-02T23:00:00.000Z', 'r3')]);
    await index.remove(item('2026-03-02T09:00:00Z', 'r1'));
    await index.remove(item('2026-03-02T09:00:00Z', 'r1'));
    await index.remove(item('2026-03-03T08:00:00+09:00', 'r3')); // 2026-03-02T23:00Z, on the 2nd in UTC
    await index.remove(item('2027-01-01T00:00:00Z', 'never-added'));
    const due = await index.listDue(new Date('2026-03-10T00:00:00Z'), 10);
    assert.deepEqual(
      due.map((d) => d.requestId),
      ['r2'],
    );
  });

  it('adds more items than one transaction holds, on one day and on several, each once', async () => {
    const oneDay = Array.from({ length: 250 }, (_, i) => item(new Date(Date.UTC(2026, 2, 2, 0, i)).toISOString(), `day-${i}`));
    const severalDays = Array.from({ length: 250 }, (_, i) => item(new Date(Date.UTC(2026, 2, 3) + i * 17 * 60_000).toISOString(), `days-${i}`));
    await index.add([...oneDay, ...oneDay.slice(0, 120)]);
    await index.add([...severalDays, ...severalDays].reverse());
    const due = await index.listDue(new Date('2026-04-01T00:00:00Z'), 1000);
    assert.deepEqual(due, [...oneDay, ...severalDays]);
  });

  it('refuses an item whose dueAt is not an instant', async () => {
    await assert.rejects(index.add([item('next tuesday')]), /dueAt "next tuesday" is not an instant/);
  });

  it('does not see the other partitions of the work table', async () => {
    await tables.client('work').upsertEntity({ partitionKey: 'doctor', rowKey: 'probe', writtenBy: 'npm run doctor' });
    await tables.client('work').upsertEntity({ partitionKey: 'failed|hr', rowKey: 'r1', requestId: 'r1' });
    await tables.client('work').upsertEntity({ partitionKey: 'outbox', rowKey: '0000', requestId: 'x', version: 1 });
    await tables.client('work').upsertEntity({ partitionKey: 'lease', rowKey: 'scheduler', holder: 'h', expiresAt: '2026-01-01T00:00:00.000Z' });
    assert.deepEqual(await index.listDue(new Date('2099-01-01T00:00:00Z'), 10), []);
  });

  it('reads what is due, not what is stored: 10,000 items stored, 10 due → at most 20 entities read', async () => {
    this.slow(10_000);
    // One item every 5 minutes from June on: 35 day partitions of 288 rows.
    const later = Array.from({ length: 9_990 }, (_, i) => item(new Date(Date.UTC(2026, 5, 1) + i * 5 * 60_000).toISOString(), `later-${i}`));
    await index.add(later);
    await index.add(Array.from({ length: 10 }, (_, i) => item(new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(), `due-${i}`)));
    await index.add([later[0]]); // the same row again: stored once

    entitiesRead.count = 0;
    const due = await index.listDue(new Date('2026-04-01T00:00:00Z'), 100);
    assert.equal(due.length, 10);
    assert.ok(due.every((d) => d.requestId.startsWith('due-')));
    assert.ok(entitiesRead.count <= 20, `${entitiesRead.count} entities read`);

    entitiesRead.count = 0;
    const page = await index.listDue(new Date('2099-01-01T00:00:00Z'), 10);
    assert.deepEqual(
      page.map((d) => d.requestId),
      Array.from({ length: 10 }, (_, i) => `due-${i}`),
    );
    assert.ok(entitiesRead.count <= 20, `${entitiesRead.count} entities read with a limit of 10`);
  });
});
