/**
 * Scheduler tick over a large due-index: 100,000 items stored in the `work` table's day partitions (10 due now,
 * the rest one every 5 minutes over the coming year, so a day partition holds 288 rows), seeded by
 * TableScheduleIndex.add (transactions of 100 entities, 4 at a time), then one Scheduler tick whose runDue marks
 * each item done. The pipeline policy counts the entities every GET returned during the tick (the `value` of
 * queries, 1 per point read). Target < 50 entities read.
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
/** The gap between two items not due yet: 100,000 of them span about 347 days. */
const SPACING_IN_MS = 5 * 60_000;
/** Items per `add` call while seeding, for the progress lines. */
const SEED_CHUNK = 20_000;

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
    // One item per request, as a stored pending request has its timeout: 10 already due, the rest later.
    const items: DueItem[] = Array.from({ length: STORED }, (_, i) => ({
      kind: 'stageTimeout',
      requestId: randomUUID(),
      dueAt: new Date(i < DUE ? now.getTime() - (i + 1) * 60_000 : now.getTime() + 3_600_000 + i * SPACING_IN_MS).toISOString(),
      ref: 0,
    }));
    const seedStart = Date.now();
    for (let at = 0; at < STORED; at += SEED_CHUNK) {
      await index.add(items.slice(at, at + SEED_CHUNK));
      progress(`scheduler: ${Math.min(STORED, at + SEED_CHUNK)} due-index rows stored in ${round((Date.now() - seedStart) / 1000)} s`);
    }
    const seedSeconds = round((Date.now() - seedStart) / 1000, 1);

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
      result: { storedRequests: STORED, due: DUE, entitiesRead: counts.entitiesRead, ms, roundTrips: counts.roundTrips, seedSeconds },
      rows: [
        { measure: `scheduler tick, ${STORED.toLocaleString('en-US')} stored / ${DUE} due: entities read`, figure: String(counts.entitiesRead), target: '< 50', verdict: verdict(counts.entitiesRead < 50) },
        { measure: 'scheduler tick: time', figure: `${ms} ms`, target: '-', verdict: 'info' },
      ],
      notes: [
        `scheduler: ${STORED} rows in the work table's day partitions (due-YYYY-MM-DD; the items not due ${SPACING_IN_MS / 60_000} minutes apart) seeded in ${seedSeconds} s (transactions of 100, 4 at a time); one tick with runDue marking done: ${counts.roundTrips} Table requests (${counts.reads} reads: lease + due queries; ${counts.writes} writes: lease + deletes), ${counts.entitiesRead} entities returned, ${ms} ms`,
      ],
    };
  } finally {
    // 100,000 rows would otherwise stay in Azurite's memory for the measures after this one.
    await tables.client('work').deleteTable().catch(() => undefined);
  }
}
