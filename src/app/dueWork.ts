/**
 * What the scheduler does with one due item: re-read the request, let the domain decide whether the item
 * still applies, and commit the transition. Stale items (the request moved on) are reported, not errors.
 */
import { escalateStage, expireStage, isStageOpen, remindStage, startScheduled } from '../domain/lifecycle';
import { expireAccess, remindExpiry } from '../domain/expiry';
import type { AccessRequest } from '../domain/request';
import type { DueItem, DueKind } from '../domain/schedule';
import type { Transition } from '../domain/transitions';
import { resolveApproverRefs } from './approvers';
import type { AppContext } from './context';
import type { EffectRunner } from './effectRunner';
import { stagePolicyOf } from './requestPolicy';
import { transact } from './transact';

type DueTransition = (ctx: AppContext, request: AccessRequest, item: DueItem, now: Date) => Promise<Transition | undefined>;

const TRANSITIONS: Record<DueKind, DueTransition> = {
  stageTimeout: async (_ctx, request, item, now) => expireStage(request, item.ref, now),
  approvalReminder: async (_ctx, request, item, now) => remindStage(request, item.ref, now),
  escalation: async (ctx, request, item, now) => {
    // Only a stage still open needs its policy (which may have left the catalog since a request ended).
    if (!isStageOpen(request, item.ref)) return undefined;
    const escalation = stagePolicyOf(ctx.catalog, request, item.ref).stage.escalation;
    if (!escalation) return undefined;
    const alternates = await resolveApproverRefs(ctx.directory, escalation.approvers, request.requester.id);
    return escalateStage(request, item.ref, alternates, now);
  },
  scheduledStart: async (_ctx, request, _item, now) => startScheduled(request, now),
  accessExpiry: async (_ctx, request, item, now) => {
    // A reprocess is delivering: removal waits for it (thrown, the item stays for the next tick).
    if (request.state === 'delivering' && request.accessEndsAt === item.dueAt) throw new Error('delivery under way; access expiry retried next tick');
    return expireAccess(request, item, now);
  },
  expiryReminder: async (_ctx, request, item, now) => remindExpiry(request, item, now),
};

export async function runDueItem(ctx: AppContext, effects: EffectRunner, item: DueItem): Promise<'done' | 'stale'> {
  const committed = await transact(ctx.store, item.requestId, (loaded) =>
    loaded ? TRANSITIONS[item.kind](ctx, loaded.request, item, ctx.clock.now()) : undefined,
  );
  if (!committed) return 'stale';
  ctx.logger.info({ requestId: item.requestId, due: item.kind, state: committed.request.state }, 'due work done');
  effects.kick(item.requestId);
  return 'done';
}
