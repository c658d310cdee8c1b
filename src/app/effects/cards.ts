/** Effects that post or refresh the request's cards: `notify` and `refreshCards`. */
import type { Effect } from '../../domain/effects';
import type { AppContext } from '../context';
import { describe } from '../describe';
import type { LoadedRequest, NotifyOutcome, PendingEffect, SendOutcome } from '../ports';

export async function runNotify(ctx: AppContext, loaded: LoadedRequest, pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const effect = pending.effect as Extract<Effect, { kind: 'notify' }>;
  const existing = loaded.cards.find((c) => c.postedBy === pending.id);
  if (existing) {
    // Already posted (a retry after a crash): bring it up to date instead of posting twice.
    await ctx.notifier.update(existing, loaded.request);
    return ctx.store.record(loaded, { completedEffectIds: done });
  }
  const outcome = await ctx.notifier.post(effect.recipientId, effect.card, loaded.request);
  const log = { requestId: loaded.request.id, recipientId: effect.recipientId, card: effect.card, outcome: notifyOutcomeOf(outcome) };
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
  const results = await Promise.allSettled(cards.map((card) => ctx.notifier.update(card, loaded.request)));
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      const card = cards[i];
      ctx.logger.warn({ requestId: loaded.request.id, recipientId: card.recipientId, err: describe(result.reason) }, 'card update failed');
    }
  });
}

/** The word the audit trail records for a notification's outcome. */
export function notifyOutcomeOf(outcome: SendOutcome): NotifyOutcome {
  if (outcome.status === 'sent') return outcome.throttled ? 'throttledThenSent' : 'sent';
  return outcome.status;
}

/** The audit trail's outcome of a notification: the word, and the reason when it was not sent. */
export function auditOutcomeOf(outcome: SendOutcome): string {
  return outcome.status === 'sent' ? notifyOutcomeOf(outcome) : `${notifyOutcomeOf(outcome)}: ${outcome.reason}`;
}
