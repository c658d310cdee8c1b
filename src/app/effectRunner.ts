/**
 * Runs the outbox: the effects each transition wrote beside it. Effects of one request run one at a
 * time, in order, from one read of its partition; requests run in parallel. A process runs the effects its
 * own commits added (the sweep: any), so two instances sharing storage never run one effect at once. An
 * effect that fails stays in the outbox and is retried by the next sweep, so a crash between a transition and
 * its effects loses nothing. Each effect kind's work is in effects/; the runner keeps the order, the deferral
 * (`notBefore`), the retries and the dead-lettering.
 */
import { ConcurrencyError, DomainError } from '../domain/errors';
import type { Effect } from '../domain/effects';
import type { AppContext } from './context';
import { describe } from './describe';
import { runSyncApprovals } from './effects/approvals';
import { runSyncAssignment } from './effects/assignments';
import { runSyncPackageIndex } from './effects/packageIndex';
import { runNotify, runRefreshCards } from './effects/cards';
import { runDeliver, runRevoke } from './effects/delivery';
import { runAlertManagers, runSyncFailedIndex } from './effects/managers';
import { runSchedule } from './effects/scheduling';
import { runStartStage } from './effects/stages';
import { runSettleExtension } from './extendAccess';
import type { LoadedRequest, PendingEffect } from './ports';
import { CatalogDriftError } from './requestPolicy';
import { RunHistory, type RunMark } from './runHistory';

export { describe } from './describe';
export { notifyOutcomeOf } from './effects/cards';
export { describeDelivery } from './effects/delivery';
export type { RunMark } from './runHistory';

/** How often one effect is re-tried within a run after losing an ETag race. */
const MAX_CONFLICT_RETRIES = 5;
/**
 * How long a run waits, at most, for another process to finish the effects it added before this process's
 * own (checking again after 250 ms, 500 ms, … 4 s); after that the outbox sweep takes over.
 */
const FOREIGN_WAIT_IN_MS = { first: 250, max: 4_000, total: 60_000 };

/**
 * Runs one effect and marks it done itself, with its commit or record: `done` lists the ids that write marks
 * done (its own first, then the repeatable effects run just before it). Returns the request as it then is.
 */
type CompletingHandler = (ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect, done: string[]) => Promise<LoadedRequest>;
/**
 * Runs an effect that is harmless to run again (cards re-rendered, index rows upserted): the runner marks it
 * done, in one write with the repeatable effects around it, so a crash before that write only repeats it.
 */
type RepeatableHandler = (ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect) => Promise<void>;
type EffectHandler = { completes: CompletingHandler } | { repeatable: RepeatableHandler };

/** Which effects a run may take: those this process added (after its own commits), or any (the sweep). */
type RunScope = 'own' | 'any';

/**
 * Errors no retry can fix: the request moved on (a domain rule refuses the effect) or the catalog lost
 * its policy. Such an effect is dropped, loudly, instead of blocking the request's outbox for ever.
 */
function isPermanent(err: unknown): boolean {
  return err instanceof DomainError || err instanceof CatalogDriftError;
}

export class EffectRunner {
  private readonly running = new Map<string, Promise<void>>();
  /** Requests kicked again while running, with the widest scope asked for. */
  private readonly rerun = new Map<string, RunScope>();
  /** Requests waiting for another process's effects: how long they have waited so far. */
  private readonly waitedInMs = new Map<string, number>();
  private readonly history = new RunHistory();
  /** Requests whose next effect waits for its backoff (`notBefore`): when it is due, by the clock. */
  private readonly deferred = new Map<string, { dueAt: number; scope: RunScope; timer: NodeJS.Timeout }>();

  /**
   * `soleOwner`: this process is the storage's only user (its own embedded Azurite), so every effect stored,
   * whoever wrote it (a process killed before this one), is its own to run.
   */
  constructor(
    private readonly ctx: AppContext,
    private readonly options: { soleOwner?: boolean } = {},
  ) {}

  /**
   * Starts running a request's effects in the background (after the current invoke has been answered).
   * 'own' (after this process's commit) runs only the effects this process added, in order; 'any' (the
   * sweep, for work abandoned by a crashed or stopped instance) runs every one.
   */
  kick(requestId: string, scope: RunScope = 'own'): void {
    this.start(requestId, scope);
  }

  /** Now, for `runFrom`: take it before a use-case reads the request it will commit. */
  mark(): RunMark {
    return this.history.now();
  }

  /**
   * Runs the effects of a commit this process just made from the request as the commit returned it, without
   * reading it again — if no run of that request started or ended here since `readAfter` (a run could have
   * done effects that state still lists, or posted cards it lacks: then it is read, as `kick` does).
   */
  runFrom(committed: LoadedRequest, readAfter: RunMark): void {
    const requestId = committed.request.id;
    this.start(requestId, 'own', this.history.untouchedSince(requestId, readAfter) ? committed : undefined);
  }

  /**
   * Runs now every request whose backoff is over by the clock, and returns how many: the dev clock can jump past
   * a backoff whose timer still counts real time (`POST /api/dev/tick`).
   */
  wakeDue(): number {
    const now = this.ctx.clock.now().getTime();
    const due = [...this.deferred].filter(([, deferral]) => deferral.dueAt <= now);
    for (const [requestId, { scope }] of due) this.kick(requestId, scope);
    return due.length;
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
    for (const id of ids) this.kick(id, 'any');
    await this.idle();
    return ids.length;
  }

  private start(requestId: string, scope: RunScope, from?: LoadedRequest): void {
    if (this.running.has(requestId)) {
      if (this.rerun.get(requestId) !== 'any') this.rerun.set(requestId, scope);
      return;
    }
    this.history.note(requestId);
    this.forgetDeferral(requestId);
    const run = this.runUntilIdle(requestId, scope, from).finally(() => {
      this.running.delete(requestId);
      this.history.note(requestId);
    });
    this.running.set(requestId, run);
  }

  private async runUntilIdle(requestId: string, firstScope: RunScope, firstFrom?: LoadedRequest): Promise<void> {
    let from = firstFrom;
    for (let scope: RunScope | undefined = firstScope; scope; scope = this.rerun.get(requestId)) {
      this.rerun.delete(requestId);
      try {
        const idle = await this.runPending(requestId, scope, from);
        from = undefined;
        if (idle) await this.ctx.store.releaseIfIdle(requestId, idle);
      } catch (err) {
        this.ctx.logger.warn({ requestId, err: describe(err) }, 'effect failed; it stays in the outbox for the next sweep');
        return;
      }
    }
  }

  /**
   * Runs the request's effects in order, from one read (or the state `runFrom` vouched for): each handler
   * hands back the request as it left it (the run is the only one of this request in this process, and another
   * process runs only its own effects).
   * Returns the request when no effect is left; undefined when the run stopped early (an effect deferred,
   * another process's effect first in line) or there is no such request.
   */
  private async runPending(requestId: string, scope: RunScope, from?: LoadedRequest): Promise<LoadedRequest | undefined> {
    let conflicts = 0;
    let loaded = from ?? (await this.ctx.store.get(requestId));
    // Repeatable effects done but not marked done yet: the next effect's own write marks them too, or one
    // write when the run ends.
    let unmarked: string[] = [];
    // Repeatable effects derive everything from the request: one run again on the same version would redo the same
    // work (two commits in one run each adding syncAssignment, say), so it is only marked done.
    const ranAtVersion = new Map<string, number>();
    const markDone = async (state: LoadedRequest, also: string[] = []): Promise<LoadedRequest> => {
      const ids = [...unmarked, ...also];
      unmarked = [];
      return ids.length ? this.ctx.store.record(state, { completedEffectIds: ids }) : state;
    };
    while (loaded) {
      const pending = loaded.effects.find((e) => !unmarked.includes(e.id));
      if (!pending) {
        this.waitedInMs.delete(requestId);
        return markDone(loaded);
      }
      if ((scope === 'own' && !this.options.soleOwner && !this.mayRun(requestId, pending)) || this.deferredUntilDue(requestId, pending, scope)) {
        await markDone(loaded);
        return undefined;
      }
      const handler = this.handlers[pending.effect.kind];
      try {
        if ('repeatable' in handler) {
          const same = JSON.stringify(pending.effect);
          if (ranAtVersion.get(same) !== loaded.request.version) await handler.repeatable(this.ctx, loaded, pending);
          ranAtVersion.set(same, loaded.request.version);
          unmarked.push(pending.id);
        } else {
          loaded = await handler.completes(this.ctx, loaded, pending, [pending.id, ...unmarked]);
          unmarked = [];
        }
        conflicts = 0;
      } catch (err) {
        if (err instanceof ConcurrencyError && ++conflicts <= MAX_CONFLICT_RETRIES) {
          loaded = await this.ctx.store.get(requestId);
          continue;
        }
        if (!isPermanent(err)) throw err;
        this.ctx.logger.error({ requestId, effect: pending.effect, err: describe(err) }, 'effect can never succeed; dropped');
        loaded = await markDone(loaded, [pending.id]);
      }
    }
    return undefined;
  }

  /**
   * Another process's effect first in line is that process's to run (it may be running it now): this run
   * looks again a little later, and leaves it to the sweep if it never finishes.
   */
  private mayRun(requestId: string, pending: PendingEffect): boolean {
    if (pending.origin === undefined || pending.origin === this.ctx.store.origin) {
      this.waitedInMs.delete(requestId);
      return true;
    }
    const waited = this.waitedInMs.get(requestId) ?? 0;
    if (waited >= FOREIGN_WAIT_IN_MS.total) {
      this.waitedInMs.delete(requestId);
      return false;
    }
    const wait = Math.min(FOREIGN_WAIT_IN_MS.max, Math.max(FOREIGN_WAIT_IN_MS.first, waited));
    this.waitedInMs.set(requestId, waited + wait);
    setTimeout(() => this.kick(requestId), wait).unref();
    return false;
  }

  /**
   * An effect with a backoff not yet over waits; a timer runs the request again (in the same scope) when it is
   * due, or `wakeDue` does once the clock has passed it.
   */
  private deferredUntilDue(requestId: string, pending: PendingEffect, scope: RunScope): boolean {
    const dueAt = 'notBefore' in pending.effect && pending.effect.notBefore ? Date.parse(pending.effect.notBefore) : 0;
    const waitInMs = dueAt - this.ctx.clock.now().getTime();
    if (waitInMs <= 0) return false;
    this.forgetDeferral(requestId);
    const timer = setTimeout(() => this.kick(requestId, scope), waitInMs);
    timer.unref();
    this.deferred.set(requestId, { dueAt, scope, timer });
    return true;
  }

  private forgetDeferral(requestId: string): void {
    clearTimeout(this.deferred.get(requestId)?.timer);
    this.deferred.delete(requestId);
  }

  private readonly handlers: Record<Effect['kind'], EffectHandler> = {
    startStage: { completes: runStartStage },
    notify: { completes: runNotify },
    refreshCards: { repeatable: runRefreshCards },
    deliver: { completes: runDeliver },
    schedule: { repeatable: runSchedule },
    revoke: { completes: runRevoke },
    settleExtension: { completes: (ctx, loaded, pending, done) => runSettleExtension(ctx, loaded, pending, done, (id) => this.kick(id)) },
    alertManagers: { completes: runAlertManagers },
    syncFailedIndex: { repeatable: runSyncFailedIndex },
    syncAssignment: { repeatable: runSyncAssignment },
    syncApprovals: { repeatable: runSyncApprovals },
    syncPackageIndex: { repeatable: runSyncPackageIndex },
  };
}
