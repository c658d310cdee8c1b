/** Effects that post or refresh the request's cards: `notify` and `refreshCards`. */
import type { Effect } from '../../domain/effects';
import type { AppContext } from '../context';
import { describe } from '../describe';
import type { LoadedRequest, NotifyOutcome, PendingEffect, PostedCard, SendOutcome } from '../ports';

export async function runNotify(ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const effect = pending.effect as Extract<Effect, { kind: 'notify' }>;
  const existing = loaded.cards.find((c) => c.postedBy === pending.id);
  if (existing) {
    // Already posted (a retry after a crash): bring it up to date instead of posting twice.
    await updateCard(ctx, loaded, existing);
    return ctx.store.record(loaded, { completedEffectIds: done });
  }
  const outcome = await ctx.notifier.post(effect.recipientId, effect.card, loaded.request);
  const log = {
    requestId: loaded.request.id,
    recipientId: effect.recipientId,
    card: effect.card,
    outcome: notifyOutcomeOf(outcome),
    ...(outcome.status === 'sent' && outcome.healed ? { healed: outcome.healed } : {}),
  };
  // Every notification's outcome joins the audit trail, in the same write that completes the effect; History
  // looks up the recipient's name when someone reads it (no directory call per notification).
  const audit = [{ action: 'notify', detail: effect.card, subjectId: effect.recipientId, outcome: auditOutcomeOf(outcome) }];
  const at = ctx.clock.now().toISOString();
  if (outcome.status === 'sent') {
    ctx.logger.info(log, 'card sent');
    return ctx.store.record(loaded, { cards: [{ ...outcome.card, postedBy: pending.id }], completedEffectIds: done, audit, at });
  }
  ctx.logger.warn({ ...log, reason: outcome.reason }, 'card not sent');
  return ctx.store.record(loaded, { completedEffectIds: done, audit, at });
}

export async function runRefreshCards(ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
  const { cards: kinds } = pending.effect as Extract<Effect, { kind: 'refreshCards' }>;
  const cards = loaded.cards.filter((card) => kinds.includes(card.card));
  const results = await Promise.allSettled(cards.map((card) => updateCard(ctx, loaded, card)));
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      ctx.logger.warn({ requestId: loaded.request.id, recipientId: cards[i].recipientId, err: describe(result.reason) }, 'card update failed');
    }
  });
}

/** Re-renders one posted card in place. One Teams refuses for good is logged, not retried; transient failures throw. */
export async function updateCard(ctx: AppContext, loaded: LoadedRequest, card: PostedCard): Promise<void> {
  const updated = await ctx.notifier.update(card, loaded.request);
  if (updated.status === 'unreachable') {
    ctx.logger.warn({ requestId: loaded.request.id, recipientId: card.recipientId, card: card.card, reason: updated.reason }, 'card not updated');
  }
}

/** The word the audit trail records for a notification's outcome. */
export function notifyOutcomeOf(outcome: SendOutcome): NotifyOutcome {
  if (outcome.status === 'sent') return outcome.throttled ? 'throttledThenSent' : 'sent';
  return outcome.status;
}

/** The audit trail's outcome of a notification: the word, and the reason when it was not sent (or sent after healing). */
export function auditOutcomeOf(outcome: SendOutcome): string {
  if (outcome.status === 'sent') return outcome.healed ? `${notifyOutcomeOf(outcome)}: ${outcome.healed}` : notifyOutcomeOf(outcome);
  return `${notifyOutcomeOf(outcome)}: ${outcome.reason}`;
}
