import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { DecisionOutcome } from '../domain/request';
import { assertCanDecide, decide as decideTransition } from '../domain/transitions';
import type { AppContext } from './context';
import type { LoadedRequest } from './ports';
import { stagePolicyOf } from './requestPolicy';
import { snapshotOf } from './submitRequest';
import { transact } from './transact';

export interface DecideInput {
  requestId: string;
  actorId: string;
  outcome: DecisionOutcome;
  justification?: string;
}

/**
 * An approver's decision: one read, the checks, one ETag-guarded commit. When another decision wins the
 * race, the retry reads it back and answers "already decided by …" (409).
 */
export async function decideRequest(ctx: AppContext, input: DecideInput): Promise<LoadedRequest> {
  const committed = await transact(ctx.store, input.requestId, async (loaded) => {
    if (!loaded) throw new NotFoundError('error.unknownRequest');
    const now = ctx.clock.now();
    assertCanDecide(loaded.request, input.actorId, now);
    const actor = await ctx.directory.getUser(input.actorId);
    if (!actor) throw new ForbiddenError('error.unknownUser');
    const { stage, stageCount } = stagePolicyOf(ctx.catalog, loaded.request);
    return decideTransition(loaded.request, stage, stageCount, {
      actor: snapshotOf(actor),
      outcome: input.outcome,
      justification: input.justification,
      now,
    });
  }, { actorId: input.actorId });
  if (!committed) throw new NotFoundError('error.unknownRequest');
  ctx.logger.info({ requestId: input.requestId, outcome: input.outcome, actorId: input.actorId, state: committed.request.state }, 'decision recorded');
  return committed;
}
