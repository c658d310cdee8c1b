import { NotFoundError } from '../domain/errors';
import { releaseAccess as releaseTransition } from '../domain/expiry';
import type { AppContext } from './context';
import { cancelRequest } from './cancelRequest';
import type { LoadedRequest } from './ports';
import { transact } from './transact';

/** The requester gives their access back early from `status`: removal starts now (#8 once it is done). */
export async function releaseAccess(ctx: AppContext, input: { requestId: string; actorId: string }): Promise<LoadedRequest> {
  const committed = await transact(
    ctx.store,
    input.requestId,
    (loaded) => {
      if (!loaded) throw new NotFoundError('error.unknownRequest');
      return releaseTransition(loaded.request, input.actorId, ctx.clock.now());
    },
    { actorId: input.actorId },
  );
  if (!committed) throw new NotFoundError('error.unknownRequest');
  ctx.logger.info({ requestId: input.requestId, actorId: input.actorId }, 'access released');
  // An extension still waiting for approval has nothing left to extend: withdraw it (its cancel drops the mark).
  const extensionId = committed.request.pendingExtension?.requestId;
  if (extensionId) {
    try {
      await cancelRequest(ctx, { requestId: extensionId, actorId: input.actorId });
    } catch (err) {
      ctx.logger.warn({ requestId: input.requestId, extensionId, err: String(err) }, 'pending extension not withdrawn');
    }
  }
  return committed;
}
