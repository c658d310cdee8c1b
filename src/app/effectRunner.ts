/**
 * Runs the outbox: the effects each transition wrote beside it. Effects of one request run one at a
 * time, in order; requests run in parallel. An effect that fails stays in the outbox and is retried by
 * the next sweep, so a crash between a transition and its effects loses nothing.
 */
import { ConcurrencyError, DomainError } from '../domain/errors';
import type { Effect } from '../domain/effects';
import type { ResourceDelivery } from '../domain/request';
import { recordRemoval, type RemovalResult } from '../domain/expiry';
import { recordDelivery, startStage, undeliveredResources, type GrantResult } from '../domain/transitions';
import { resolveStageApprovers } from './approvers';
import type { AppContext } from './context';
import { runSettleExtension } from './extendAccess';
import type { LoadedRequest, NotifyOutcome, PendingEffect, SendOutcome } from './ports';
import { CatalogDriftError, policyOf, stagePolicyOf } from './requestPolicy';

/** How often one effect is re-tried within a run after losing an ETag race. */
const MAX_CONFLICT_RETRIES = 5;

type EffectHandler = (loaded: LoadedRequest, pending: PendingEffect) => Promise<void>;

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
        await this.handlers[pending.effect.kind](loaded, pending);
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
    startStage: (loaded, pending) => this.startStage(loaded, pending),
    notify: (loaded, pending) => this.notify(loaded, pending),
    refreshCards: (loaded, pending) => this.refreshCards(loaded, pending),
    deliver: (loaded, pending) => this.deliver(loaded, pending),
    schedule: (loaded, pending) => this.schedule(loaded, pending),
    revoke: (loaded, pending) => this.revoke(loaded, pending),
    settleExtension: (loaded, pending) => runSettleExtension(this.ctx, loaded, pending, (id) => this.kick(id)),
    alertManagers: (loaded, pending) => this.alertManagers(loaded, pending),
    syncFailedIndex: (loaded, pending) => this.syncFailedIndex(loaded, pending),
  };

  private async revoke(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { request } = loaded;
    const todo = request.resources.filter((r) => r.status === 'delivered');
    const outcomes = await this.ctx.provisioner.revoke(request.requester.id, todo);
    const results: RemovalResult[] = todo.map((r, i) => ({ key: r.key, ...outcomes[i] }));
    const { next, effects } = recordRemoval(request, results, this.ctx.clock.now());
    const audit = results.map((r, i) => ({
      action: 'graphRemove',
      detail: describeDelivery(todo[i]),
      outcome: r.status === 'removed' ? 'removed' : `failed${r.transient ? ' (will retry)' : ''}: ${r.error}`,
    }));
    await this.ctx.store.commit(loaded, next, { effects, completedEffectIds: [pending.id], audit });
    this.ctx.logger.info({ requestId: request.id, state: next.state }, 'removal recorded');
  }

  private async alertManagers(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const channel = this.ctx.catalog.findPackage(loaded.request.packageId)?.catalog.notificationChannel;
    const existing = loaded.cards.find((c) => c.postedBy === pending.id);
    if (channel && existing) await this.ctx.notifier.update(existing, loaded.request);
    if (channel && !existing) {
      const outcome = await this.ctx.notifier.postToChannel(channel, 'deliveryFailedAlert', loaded.request);
      const audit = [
        {
          action: 'notify',
          detail: `deliveryFailedAlert → channel ${channel.channelId}`,
          outcome: outcome.status === 'sent' ? notifyOutcomeOf(outcome) : `${notifyOutcomeOf(outcome)}: ${outcome.reason}`,
        },
      ];
      const at = this.ctx.clock.now().toISOString();
      if (outcome.status === 'sent') {
        await this.ctx.store.record(loaded.request.id, { cards: [{ ...outcome.card, postedBy: pending.id }], completedEffectIds: [pending.id], audit, at });
        return;
      }
      this.ctx.logger.warn({ requestId: loaded.request.id, channelId: channel.channelId, outcome: outcome.status, reason: outcome.reason }, 'managers not alerted: channel unreachable');
      await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id], audit, at });
      return;
    }
    if (!channel) this.ctx.logger.warn({ requestId: loaded.request.id, catalogId: loaded.request.catalogId }, 'no notificationChannel: managers not alerted');
    await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id] });
  }

  private async syncFailedIndex(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { request } = loaded;
    const failed = request.state === 'partiallyDelivered' || request.state === 'deliveryFailed';
    if (failed) await this.ctx.failedRequests.add(request.catalogId, request.id);
    else await this.ctx.failedRequests.remove(request.catalogId, request.id);
    await this.ctx.store.record(request.id, { completedEffectIds: [pending.id] });
  }

  private async schedule(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { items } = pending.effect as Extract<Effect, { kind: 'schedule' }>;
    await this.ctx.schedule.add(items);
    await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id] });
  }

  private async startStage(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { request } = loaded;
    const { stage } = stagePolicyOf(this.ctx.catalog, request, request.stages.length);
    const approvers = await resolveStageApprovers(this.ctx.directory, stage, request.requester.id, this.ctx.catalog.administrators);
    if (approvers.approverIds.length === 0) {
      this.ctx.logger.error({ requestId: request.id }, 'no approver resolves for this stage, not even an administrator; fix the catalog');
    }
    const { next, effects } = startStage(request, stage, approvers, this.ctx.clock.now());
    await this.ctx.store.commit(loaded, next, { effects, completedEffectIds: [pending.id] });
    this.ctx.logger.info({ requestId: request.id, stage: next.stages.length, approvers: approvers.approverIds.length }, 'approval stage started');
  }

  private async notify(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const effect = pending.effect as Extract<Effect, { kind: 'notify' }>;
    const existing = loaded.cards.find((c) => c.postedBy === pending.id);
    if (existing) {
      // Already posted (a retry after a crash): bring it up to date instead of posting twice.
      await this.ctx.notifier.update(existing, loaded.request);
      await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id] });
      return;
    }
    const outcome = await this.ctx.notifier.post(effect.recipientId, effect.card, loaded.request);
    const log = { requestId: loaded.request.id, recipientId: effect.recipientId, card: effect.card, outcome: notifyOutcomeOf(outcome) };
    // Every notification's outcome joins the audit trail, in the same write that completes the effect.
    const audit = [
      {
        action: 'notify',
        detail: `${effect.card} → ${await this.recipientName(loaded.request, effect.recipientId)}`,
        outcome: outcome.status === 'sent' ? notifyOutcomeOf(outcome) : `${notifyOutcomeOf(outcome)}: ${outcome.reason}`,
      },
    ];
    const at = this.ctx.clock.now().toISOString();
    if (outcome.status === 'sent') {
      await this.ctx.store.record(loaded.request.id, { cards: [{ ...outcome.card, postedBy: pending.id }], completedEffectIds: [pending.id], audit, at });
      this.ctx.logger.info(log, 'card sent');
    } else {
      await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id], audit, at });
      this.ctx.logger.warn({ ...log, reason: outcome.reason }, 'card not sent');
    }
  }

  /** "Name (object id)" for the audit trail: from the request when the person is on it, else the directory. */
  private async recipientName(request: LoadedRequest['request'], recipientId: string): Promise<string> {
    const known =
      request.requester.id === recipientId
        ? request.requester.displayName
        : request.stages.map((s) => s.decision?.by).find((by) => by?.id === recipientId)?.displayName;
    const name = known ?? (await this.ctx.directory.getUser(recipientId).catch(() => undefined))?.displayName;
    return name ? `${name} (${recipientId})` : recipientId;
  }

  private async refreshCards(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { cards: kinds } = pending.effect as Extract<Effect, { kind: 'refreshCards' }>;
    const cards = loaded.cards.filter((card) => kinds.includes(card.card));
    const results = await Promise.allSettled(cards.map((card) => this.ctx.notifier.update(card, loaded.request)));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const card = cards[i];
        this.ctx.logger.warn({ requestId: loaded.request.id, recipientId: card.recipientId, err: describe(result.reason) }, 'card update failed');
      }
    });
    await this.ctx.store.record(loaded.request.id, { completedEffectIds: [pending.id] });
  }

  private async deliver(loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
    const { request } = loaded;
    const todo = undeliveredResources(request);
    const outcomes = await this.ctx.provisioner.grant(request.requester.id, todo.map((r) => r.resource));
    const results: GrantResult[] = todo.map((r, i) => ({ key: r.key, ...outcomes[i] }));
    for (const result of results) {
      this.ctx.logger.info({ requestId: request.id, resource: result.key, status: result.status, error: result.status === 'failed' ? result.error : undefined }, 'graph write');
    }
    const { next, effects } = recordDelivery(request, results, policyOf(this.ctx.catalog, request), this.ctx.clock.now());
    const audit = results.map((r, i) => ({
      action: 'graphWrite',
      detail: describeDelivery(todo[i]),
      outcome: r.status === 'delivered' ? 'delivered' : `failed${r.transient ? ' (will retry)' : ''}: ${r.error}`,
    }));
    await this.ctx.store.commit(loaded, next, { effects, completedEffectIds: [pending.id], audit });
    this.ctx.logger.info({ requestId: request.id, state: next.state }, 'delivery recorded');
  }
}

/** The word the audit trail records for a notification's outcome. */
export function notifyOutcomeOf(outcome: SendOutcome): NotifyOutcome {
  if (outcome.status === 'sent') return outcome.throttled ? 'throttledThenSent' : 'sent';
  return outcome.status;
}

/** A resource in plain words for the audit trail: its display names when the request has them, else its ids. */
export function describeDelivery({ resource, displayName, appDisplayName }: ResourceDelivery): string {
  return resource.type === 'group'
    ? `group ${displayName ?? resource.groupId} (${resource.role})`
    : `app role ${displayName ?? resource.appRoleId} of ${appDisplayName ?? resource.servicePrincipalId}`;
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
