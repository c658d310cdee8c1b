/**
 * Runs the outbox: the effects each transition wrote beside it. Effects of one request run one at a
 * time, in order; requests run in parallel. An effect that fails stays in the outbox and is retried by
 * the next sweep, so a crash between a transition and its effects loses nothing. Each effect kind's work is
 * in effects/; the runner keeps the order, the deferral (`notBefore`), the retries and the dead-lettering.
 */
import { ConcurrencyError, DomainError } from '../domain/errors';
import type { Effect } from '../domain/effects';
import type { AppContext } from './context';
import { describe } from './describe';
import { runNotify, runRefreshCards } from './effects/cards';
import { runDeliver, runRevoke } from './effects/delivery';
import { runAlertManagers, runSyncFailedIndex } from './effects/managers';
import { runSchedule } from './effects/scheduling';
import { runStartStage } from './effects/stages';
import { runSettleExtension } from './extendAccess';
import type { LoadedRequest, PendingEffect } from './ports';
import { CatalogDriftError } from './requestPolicy';

export { describe } from './describe';
export { notifyOutcomeOf } from './effects/cards';
export { describeDelivery } from './effects/delivery';

/** How often one effect is re-tried within a run after losing an ETag race. */
const MAX_CONFLICT_RETRIES = 5;

/** Runs one effect; it completes the effect (commit or record) when it succeeds. */
type EffectHandler = (ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect) => Promise<void>;

/**
 * Errors no retry can fix: the request moved on (a domain rule refuses the effect) or the catalog lost
 * its policy. Such an effect is dropped, loudly, instead of blocking the request's outbox for ever.
 */
function isPermanent(err: unknown): boolean {
  return err instanceof DomainError || err instanceof CatalogDriftError;
}

export class EffectRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();

  constructor(private readonly ctx: AppContext) {}

  /** Starts running a request's effects in the background (after the current invoke has been answered). */
  kick(requestId: string): void {
    if (this.running.has(requestId)) {
      this.rerun.add(requestId);
      return;
    }
    const run = this.runUntilIdle(requestId).finally(() => this.running.delete(requestId));
    this.running.set(requestId, run);
  }

  /** Resolves when every run started so far (and the re-runs they caused) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /**
   * Finds requests with unfinished effects abandoned for a while (after a crash, or effects that failed) and
   * runs them. Fresh ones are left to the instance that wrote them, so two instances do not run one
   * request's effects at the same time; callers also hold the sweep lease (see index.ts).
   */
  async sweep(limit = 200, abandonedAfterInMs = 60_000): Promise<number> {
    const ids = await this.ctx.store.listRequestsWithPendingEffects(limit, new Date(Date.now() - abandonedAfterInMs));
    for (const id of ids) this.kick(id);
    await this.idle();
    return ids.length;
  }

  private async runUntilIdle(requestId: string): Promise<void> {
    do {
      this.rerun.delete(requestId);
      try {
        await this.runPending(requestId);
        await this.ctx.store.releaseIfIdle(requestId);
      } catch (err) {
        this.ctx.logger.warn({ requestId, err: describe(err) }, 'effect failed; it stays in the outbox for the next sweep');
        return;
      }
    } while (this.rerun.has(requestId));
  }

  private async runPending(requestId: string): Promise<void> {
    let conflicts = 0;
    for (;;) {
      const loaded = await this.ctx.store.get(requestId);
      const pending = loaded?.effects[0];
      if (!loaded || !pending) return;
      if (this.deferredUntilDue(requestId, pending)) return;
      try {
        await this.handlers[pending.effect.kind](this.ctx, loaded, pending);
        conflicts = 0;
      } catch (err) {
        if (err instanceof ConcurrencyError && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
        if (!isPermanent(err)) throw err;
        this.ctx.logger.error({ requestId, effect: pending.effect, err: describe(err) }, 'effect can never succeed; dropped');
        await this.ctx.store.record(requestId, { completedEffectIds: [pending.id] });
      }
    }
  }

  /** An effect with a backoff not yet over waits; a timer runs the request again when it is due. */
  private deferredUntilDue(requestId: string, pending: PendingEffect): boolean {
    const notBefore = 'notBefore' in pending.effect && pending.effect.notBefore ? Date.parse(pending.effect.notBefore) : 0;
    const waitInMs = notBefore - this.ctx.clock.now().getTime();
    if (waitInMs <= 0) return false;
    setTimeout(() => this.kick(requestId), waitInMs).unref();
    return true;
  }

  private readonly handlers: Record<Effect['kind'], EffectHandler> = {
    startStage: runStartStage,
    notify: runNotify,
    refreshCards: runRefreshCards,
    deliver: runDeliver,
    schedule: runSchedule,
    revoke: runRevoke,
    settleExtension: (ctx, loaded, pending) => runSettleExtension(ctx, loaded, pending, (id) => this.kick(id)),
    alertManagers: runAlertManagers,
    syncFailedIndex: runSyncFailedIndex,
  };
}
