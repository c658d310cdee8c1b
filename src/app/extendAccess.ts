import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors';
import { completeExtension, extendAccess as extendTransition, extensionCheck, settleExtension } from '../domain/expiry';
import type { AccessRequest } from '../domain/request';
import { commitRequest, createRequestRecord } from './commitRequest';
import type { AppContext } from './context';
import { isInPolicyScope } from './eligibility';
import type { LoadedRequest, PendingEffect } from './ports';
import { policyOf } from './requestPolicy';
import { snapshotOf } from './submitRequest';
import { transact } from './transact';

export interface ExtendAccessResult {
  /** The extended request (its new end, or its pending-extension mark). */
  extended: LoadedRequest;
  /** The extension request put to the approvers, when the policy wants the extension approved. */
  extension?: LoadedRequest;
}

/**
 * The requester extends their access from the #7 card. The cheap checks run before any directory call, so a
 * forged click costs nothing; the requester must still be in the policy's requestor scope.
 */
export async function extendAccess(ctx: AppContext, input: { requestId: string; actorId: string }): Promise<ExtendAccessResult> {
  const extensionId = ctx.newRequestId();
  let extension: AccessRequest | undefined;
  const committed = await transact(
    ctx.store,
    input.requestId,
    async (loaded) => {
      if (!loaded) throw new NotFoundError('error.unknownRequest');
      const policy = policyOf(ctx.catalog, loaded.request);
      const request = await withoutOrphanedMark(ctx, loaded.request);
      const check = extensionCheck(request, policy, input.actorId, ctx.clock.now());
      if (check.refusal) throw check.refusal;
      const user = await ctx.directory.getUser(input.actorId);
      if (!user) throw new ForbiddenError('error.unknownUser');
      if (!(await isInPolicyScope(ctx.directory, user, policy))) throw new ForbiddenError('error.extensionOutOfScope', { package: request.packageName });
      const result = extendTransition(request, policy, { requester: snapshotOf(user), extensionId, now: ctx.clock.now() });
      extension = result.extension?.next;
      return result.original;
    },
    { actorId: input.actorId },
  );
  if (!committed) throw new NotFoundError('error.unknownRequest');
  if (!extension) {
    ctx.logger.info({ requestId: input.requestId, accessEndsAt: committed.request.accessEndsAt }, 'access extended');
    return { extended: committed };
  }
  // After the mark: a crash in between leaves a mark without its request, which the next Extend overwrites.
  const created = await createRequestRecord(ctx.store, extension, { effects: [{ kind: 'startStage' }], actorId: input.actorId });
  ctx.logger.info({ requestId: input.requestId, extensionId: extension.id }, 'extension submitted for approval');
  return { extended: committed, extension: created };
}

/** A pending-extension mark whose request was never stored (a crash between the two writes) does not block. */
async function withoutOrphanedMark(ctx: AppContext, request: AccessRequest): Promise<AccessRequest> {
  const mark = request.pendingExtension;
  if (!mark || (await ctx.store.get(mark.requestId))) return request;
  ctx.logger.warn({ requestId: request.id, extensionId: mark.requestId }, 'pending extension without its request; ignored');
  return { ...request, pendingExtension: undefined };
}

/**
 * Effect settleExtension, on an extension request that ended: first the access it extends (new end date, or
 * the pending mark dropped), then the extension request itself (`extended`). Both steps are idempotent, so a
 * crash in between is repaired by the retry. `kick` runs the extended request's own effects.
 */
export async function runSettleExtension(
  ctx: AppContext,
  loaded: LoadedRequest,
  _pending: PendingEffect,
  done: string[],
  kick: (requestId: string) => void,
): Promise<LoadedRequest> {
  const extension = loaded.request;
  const target = extension.extensionOf;
  if (!target) throw new ConflictError('error.notPending', { state: extension.state });
  const settled = await transact(ctx.store, target.requestId, (original) =>
    original ? settleExtension(original.request, extension, policyOf(ctx.catalog, original.request), ctx.clock.now()) : undefined,
  );
  if (settled) kick(target.requestId);
  const original = settled ?? (await ctx.store.get(target.requestId));
  const completion = original ? completeExtension(extension, original.request, ctx.clock.now()) : undefined;
  if (!completion) return ctx.store.record(loaded, { completedEffectIds: done });
  const completed = await commitRequest(ctx.store, loaded, completion.next, { effects: completion.effects, completedEffectIds: done });
  ctx.logger.info({ requestId: extension.id, extends: target.requestId, state: completion.next.state }, 'extension settled');
  return completed;
}
