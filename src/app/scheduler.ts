/**
 * Runs the work that has fallen due: reads the schedule index in batches of what is due now, runs
 * each item through `runDue` (which re-checks it against the request) and removes it once done or
 * stale. A lease makes sure only one bot instance on the same storage does this at a time.
 */
import { DUE_KINDS, dueItemKey, type DueItem, type DueKind } from '../domain/schedule';
import { describe } from './describe';
import type { Clock, Lease, Logger, ScheduleIndex } from './ports';

export const SCHEDULER_LEASE = 'scheduler';
const DEFAULT_LEASE_TTL_IN_MS = 5 * 60_000;
const DEFAULT_BATCH_SIZE = 100;
/** How many requests' items run at once within a batch. */
const PARALLEL_REQUESTS = 8;

export type DueOutcome = 'done' | 'stale';

export interface SchedulerOptions {
  index: ScheduleIndex;
  lease: Lease;
  clock: Clock;
  logger: Logger;
  /** Identifies this instance in the lease row: unique per process. */
  holderId: string;
  /** Re-checks the item against its request and does the work: 'stale' when the request moved on. Throws to retry later. */
  runDue: (item: DueItem) => Promise<DueOutcome>;
  leaseTtlInMs?: number;
  batchSize?: number;
}

export type TickSummary =
  | { ran: false; reason: string }
  | {
      ran: true;
      /** Items run this tick (done + stale + failed). */
      due: number;
      done: number;
      stale: number;
      /** Items whose run threw: they stay in the index for the next tick. */
      failed: number;
      /** Items not run because an earlier item of the same request failed (kept in order for the next tick). */
      deferred: number;
      byKind: Record<DueKind, number>;
    };

type RanSummary = Extract<TickSummary, { ran: true }>;

export class Scheduler {
  private readonly leaseTtlInMs: number;
  private readonly batchSize: number;
  /** The tick running (or queued) now, settled either way; undefined when idle. */
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.leaseTtlInMs = options.leaseTtlInMs ?? DEFAULT_LEASE_TTL_IN_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!(this.batchSize > 0)) throw new Error(`scheduler batchSize must be positive, not ${this.batchSize}`);
  }

  /** Runs everything due now. Ticks never overlap: a tick asked for while one runs starts after it. */
  tick(): Promise<TickSummary> {
    const run = (this.running ?? Promise.resolve()).then(() => this.runTick());
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return run;
  }

  /** Ticks every `intervalInMs` (skipping a beat while a tick still runs); the timer does not keep the process alive. */
  start(intervalInMs = 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.tick().catch((err) => this.options.logger.warn({ err: describe(err) }, 'scheduler tick failed'));
    }, intervalInMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running tick to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
  }

  private async runTick(): Promise<TickSummary> {
    const { lease, holderId, clock, logger } = this.options;
    if (!(await lease.acquire(SCHEDULER_LEASE, holderId, this.leaseTtlInMs, clock.now()))) {
      return { ran: false, reason: 'another instance holds the scheduler lease' };
    }
    const summary: RanSummary = {
      ran: true,
      due: 0,
      done: 0,
      stale: 0,
      failed: 0,
      deferred: 0,
      byKind: Object.fromEntries(DUE_KINDS.map((kind) => [kind, 0])) as Record<DueKind, number>,
    };
    try {
      await this.runBatches(summary);
    } finally {
      await lease.release(SCHEDULER_LEASE, holderId).catch((err) => logger.warn({ err: describe(err) }, 'releasing the scheduler lease failed'));
    }
    if (summary.due > 0 || summary.deferred > 0) logger.info({ ...summary }, 'scheduler tick');
    return summary;
  }

  private async runBatches(summary: RanSummary): Promise<void> {
    const { index, lease, holderId, clock, logger } = this.options;
    /** Keys of items left in the index this tick (failed, or behind a failure): not run again until the next tick. */
    const skipped = new Set<string>();
    /** Requests with a failed item this tick: their later items wait, so they still run in due order. */
    const blocked = new Set<string>();
    for (let batch = 0; ; batch++) {
      if (batch > 0 && !(await lease.acquire(SCHEDULER_LEASE, holderId, this.leaseTtlInMs, clock.now()))) {
        logger.warn({ holderId }, 'scheduler lease lost during a tick; the rest is left to its holder');
        return;
      }
      // Ask for the skipped items on top of a batch, so they can never crowd out items not yet run.
      const listed = await index.listDue(clock.now(), this.batchSize + skipped.size);
      const fresh = listed.filter((item) => !skipped.has(dueItemKey(item)));
      if (fresh.length === 0) return;

      const byRequest = new Map<string, DueItem[]>();
      for (const item of fresh) {
        const items = byRequest.get(item.requestId) ?? [];
        items.push(item);
        byRequest.set(item.requestId, items);
      }
      const queue = [...byRequest.values()];
      const worker = async (): Promise<void> => {
        for (let items = queue.shift(); items; items = queue.shift()) {
          for (const item of items) await this.runOne(item, summary, skipped, blocked);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, queue.length) }, worker));
    }
  }

  private async runOne(item: DueItem, summary: RanSummary, skipped: Set<string>, blocked: Set<string>): Promise<void> {
    const { index, logger, runDue } = this.options;
    const log = { requestId: item.requestId, kind: item.kind, dueAt: item.dueAt, ref: item.ref };
    if (blocked.has(item.requestId)) {
      skipped.add(dueItemKey(item));
      summary.deferred++;
      return;
    }
    summary.due++;
    summary.byKind[item.kind] = (summary.byKind[item.kind] ?? 0) + 1;
    try {
      const outcome = await runDue(item);
      await index.remove(item);
      summary[outcome]++;
      logger.info({ ...log, outcome }, outcome === 'done' ? 'due item done' : 'due item stale; dropped');
    } catch (err) {
      skipped.add(dueItemKey(item));
      blocked.add(item.requestId);
      summary.failed++;
      logger.warn({ ...log, err: describe(err) }, 'due item failed; it stays for the next tick');
    }
  }
}
