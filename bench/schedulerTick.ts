/**
 * Scheduler tick over a large due-index: 100,000 items stored in the `work` table's `due` partition (10 due
 * now, the rest later), seeded by TableScheduleIndex.add (transactions of 100 entities, 4 at a time), then
 * one Scheduler tick whose runDue marks each item done. The pipeline policy counts the entities every GET
 * returned during the tick (the `value` of queries, 1 per point read). Target < 50 entities read.
 */
import { randomUUID } from 'node:crypto';
import { Scheduler } from '../src/app/scheduler';
import type { DueItem } from '../src/domain/schedule';
import { createLogger } from '../src/logger';
import { TableLease } from '../src/storage/lease';
import { TableScheduleIndex } from '../src/storage/scheduleIndex';
import { benchTables, progress, round, TableTraffic, verdict, type BenchEnv, type Measured } from './support';

const STORED = 100_000;
const DUE = 10;
/**
 * Azurite keeps a table in one LokiJS collection and finds an entity by filtering its partition row by row, so
 * each insert into the `due` partition costs more as it grows (≈1 ms per row at 5,000 rows, ≈10 ms at 70,000
 * on the 2-core machine of the README): 100,000 rows alone would take over 10 minutes. Seeding stops starting
 * new chunks after this long; `storedRequests` says how many rows were really there.
 */
const SEED_BUDGET_IN_MS = 150_000;
const SEED_CHUNK = 5_000;

export interface SchedulerTickResult {
  storedRequests: number;
  due: number;
  entitiesRead: number;
  ms: number;
  /** Table HTTP requests the tick made (lease, queries, deletes). */
  roundTrips: number;
  seedSeconds: number;
}

export async function measureSchedulerTick({ connectionString }: BenchEnv): Promise<Measured<SchedulerTickResult>> {
  const traffic = new TableTraffic();
  const tables = await benchTables(connectionString, traffic);
  traffic.enabled = false;
  const index = new TableScheduleIndex({ tables });
  const now = new Date();
  try {
    // One item per request, as a stored pending request has its timeout: 10 already due, the rest within the next weeks.
    const items: DueItem[] = Array.from({ length: STORED }, (_, i) => ({
      kind: 'stageTimeout',
      requestId: randomUUID(),
      dueAt: new Date(i < DUE ? now.getTime() - (i + 1) * 60_000 : now.getTime() + 3_600_000 + i * 10_000).toISOString(),
      ref: 0,
    }));
    const seedStart = Date.now();
    let stored = 0;
    while (stored < STORED && Date.now() - seedStart < SEED_BUDGET_IN_MS) {
      await index.add(items.slice(stored, stored + SEED_CHUNK));
      stored = Math.min(STORED, stored + SEED_CHUNK);
      if (stored % 20_000 === 0) progress(`scheduler: ${stored} due-index rows stored in ${round((Date.now() - seedStart) / 1000)} s`);
    }
    const seedSeconds = round((Date.now() - seedStart) / 1000, 1);
    progress(`scheduler: ${stored} due-index rows stored in ${seedSeconds} s`);

    const ran: DueItem[] = [];
    const scheduler = new Scheduler({
      index,
      lease: new TableLease({ tables }),
      clock: { now: () => now },
      logger: createLogger('silent'),
      holderId: randomUUID(),
      runDue: async (item) => {
        ran.push(item);
        return 'done';
      },
    });
    traffic.enabled = true;
    traffic.countEntities = true;
    const before = traffic.snapshot();
    const t0 = performance.now();
    const summary = await scheduler.tick();
    const ms = round(performance.now() - t0, 1);
    const counts = traffic.since(before);
    traffic.enabled = false;
    if (!summary.ran || summary.done !== DUE || ran.length !== DUE) throw new Error(`the tick ran ${JSON.stringify(summary)}, expected ${DUE} items done`);
    const left = await index.listDue(now, 100);
    if (left.length) throw new Error(`${left.length} due item(s) left after the tick`);

    return {
      result: { storedRequests: stored, due: DUE, entitiesRead: counts.entitiesRead, ms, roundTrips: counts.roundTrips, seedSeconds },
      rows: [
        { measure: `scheduler tick, ${stored.toLocaleString('en-US')} stored${stored < STORED ? ` (of ${STORED.toLocaleString('en-US')})` : ''} / ${DUE} due: entities read`, figure: String(counts.entitiesRead), target: '< 50', verdict: verdict(counts.entitiesRead < 50) },
        { measure: 'scheduler tick: time', figure: `${ms} ms`, target: '-', verdict: 'info' },
      ],
      notes: [
        `scheduler: ${stored} rows in work/due seeded in ${seedSeconds} s (transactions of 100, 4 at a time)${stored < STORED ? `: seeding stopped at the ${SEED_BUDGET_IN_MS / 1000} s budget, not ${STORED} — each Azurite insert scans the partition, so the time per row grows with its size` : ''}; one tick with runDue marking done: ${counts.roundTrips} Table requests (${counts.reads} reads: lease + due queries; ${counts.writes} writes: lease + deletes), ${counts.entitiesRead} entities returned, ${ms} ms`,
      ],
    };
  } finally {
    // 100,000 rows would otherwise stay in Azurite's memory for the measures after this one.
    await tables.client('work').deleteTable().catch(() => undefined);
  }
}
