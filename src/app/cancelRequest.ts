import { NotFoundError } from '../domain/errors';
import { cancelRequest as cancelTransition } from '../domain/lifecycle';
import { isOpenFailure } from '../domain/reprocess';
import type { AppContext } from './context';
import type { AuditNote, LoadedRequest } from './ports';
import { transact } from './transact';

/**
 * The requester cancels one of their requests: one not delivered yet, or one whose delivery failed in part or whole
 * (seed 000), whose delivered access is then removed (`canceled` once nothing is held).
 */
export async function cancelRequest(ctx: AppContext, input: { requestId: string; actorId: string }): Promise<LoadedRequest> {
  // Filled by `build`, read when transact commits (built again after a lost race): History says why access goes.
  const audit: AuditNote[] = [];
  const committed = await transact(ctx.store, input.requestId, (loaded) => {
    if (!loaded) throw new NotFoundError('error.unknownRequest');
    audit.length = 0;
    if (isOpenFailure(loaded.request)) audit.push({ action: 'cancel', detail: 'canceled by the requester: what it delivered is removed', outcome: 'canceled' });
    return cancelTransition(loaded.request, input.actorId, ctx.clock.now());
  }, { actorId: input.actorId, audit });
  if (!committed) throw new NotFoundError('error.unknownRequest');
  ctx.logger.info({ requestId: input.requestId, actorId: input.actorId, state: committed.request.state }, 'request canceled');
  await withdrawPendingExtension(ctx, committed, input.actorId);
  return committed;
}

/**
 * Access being removed (released, or a failed delivery canceled) has nothing left to extend: an extension still
 * waiting for approval is withdrawn (its cancel drops the mark). Best effort: a failure is logged.
 */
export async function withdrawPendingExtension(ctx: AppContext, committed: LoadedRequest, actorId: string): Promise<void> {
  const { request } = committed;
  const extensionId = request.pendingExtension?.requestId;
  if (!extensionId || !request.removalStartedAt) return;
  try {
    await cancelRequest(ctx, { requestId: extensionId, actorId });
  } catch (err) {
    ctx.logger.warn({ requestId: request.id, extensionId, err: String(err) }, 'pending extension not withdrawn');
  }
}
