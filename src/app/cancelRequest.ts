import { NotFoundError } from '../domain/errors';
import { cancelRequest as cancelTransition } from '../domain/lifecycle';
import type { AppContext } from './context';
import type { LoadedRequest } from './ports';
import { transact } from './transact';

/** The requester cancels one of their requests that has not been delivered yet. */
export async function cancelRequest(ctx: AppContext, input: { requestId: string; actorId: string }): Promise<LoadedRequest> {
  const committed = await transact(ctx.store, input.requestId, (loaded) => {
    if (!loaded) throw new NotFoundError('error.unknownRequest');
    return cancelTransition(loaded.request, input.actorId, ctx.clock.now());
  }, { actorId: input.actorId });
  if (!committed) throw new NotFoundError('error.unknownRequest');
  ctx.logger.info({ requestId: input.requestId, actorId: input.actorId }, 'request canceled');
  return committed;
}
