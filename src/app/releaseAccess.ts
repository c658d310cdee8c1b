import { NotFoundError } from '../domain/errors';
import { releaseAccess as releaseTransition } from '../domain/expiry';
import type { AppContext } from './context';
import { withdrawPendingExtension } from './cancelRequest';
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
  await withdrawPendingExtension(ctx, committed, input.actorId);
  return committed;
}
