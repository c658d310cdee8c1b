/**
 * Effects for the catalog's managers: `alertManagers` (a thread in the catalog's notification channel: a failed
 * delivery, or a removal Graph refused) and `syncFailedIndex` (the per-catalog index that `failed` lists).
 */
import type { Effect } from '../../domain/effects';
import { isOpenFailure } from '../../domain/reprocess';
import type { AppContext } from '../context';
import type { LoadedRequest, PendingEffect } from '../ports';
import { auditOutcomeOf, updateCard } from './cards';

export async function runAlertManagers(ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const card = (pending.effect as Extract<Effect, { kind: 'alertManagers' }>).card ?? 'deliveryFailedAlert';
  const channel = ctx.catalog.findPackage(loaded.request.packageId)?.catalog.notificationChannel;
  const existing = loaded.cards.find((c) => c.postedBy === pending.id);
  if (channel && existing) await updateCard(ctx, loaded, existing);
  if (channel && !existing) {
    const outcome = await ctx.notifier.postToChannel(channel, card, loaded.request);
    const audit = [{ action: 'notify', detail: `${card} → channel ${channel.channelId}`, outcome: auditOutcomeOf(outcome) }];
    const at = ctx.clock.now().toISOString();
    if (outcome.status === 'sent') {
      return ctx.store.record(loaded, { cards: [{ ...outcome.card, postedBy: pending.id }], completedEffectIds: done, audit, at });
    }
    ctx.logger.warn({ requestId: loaded.request.id, channelId: channel.channelId, outcome: outcome.status, reason: outcome.reason }, 'managers not alerted: channel unreachable');
    return ctx.store.record(loaded, { completedEffectIds: done, audit, at });
  }
  if (!channel) ctx.logger.warn({ requestId: loaded.request.id, catalogId: loaded.request.catalogId }, 'no notificationChannel: managers not alerted');
  return ctx.store.record(loaded, { completedEffectIds: done });
}

export async function runSyncFailedIndex(ctx: AppContext, loaded: LoadedRequest): Promise<void> {
  const { request } = loaded;
  // Canceled by the requester, or being removed: no longer a failure for the managers to reprocess.
  if (isOpenFailure(request)) await ctx.failedRequests.add(request.catalogId, request.id);
  else await ctx.failedRequests.remove(request.catalogId, request.id);
}
