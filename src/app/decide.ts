import { ConcurrencyError, ForbiddenError, NotFoundError } from '../domain/errors';
import type { DecisionOutcome } from '../domain/request';
import { assertCanDecide, decide as decideTransition } from '../domain/transitions';
import type { AppContext } from './context';
import type { LoadedRequest } from './ports';
import { snapshotOf } from './submitRequest';
import { stagePolicyOf } from './requestPolicy';

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
  for (let attempt = 0; ; attempt++) {
    const loaded = await ctx.store.get(input.requestId);
    if (!loaded) throw new NotFoundError('error.unknownRequest');
    const now = ctx.clock.now();
    assertCanDecide(loaded.request, input.actorId, now);

    const actor = await ctx.directory.getUser(input.actorId);
    if (!actor) throw new ForbiddenError('error.unknownUser');
    const { stage, stageCount } = stagePolicyOf(ctx.catalog, loaded.request);
    const { next, effects } = decideTransition(loaded.request, stage, stageCount, {
      actor: snapshotOf(actor),
      outcome: input.outcome,
      justification: input.justification,
      now,
    });
    try {
      const committed = await ctx.store.commit(loaded, next, { effects });
      ctx.logger.info({ requestId: next.id, outcome: input.outcome, actorId: input.actorId, state: next.state }, 'decision recorded');
      return committed;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= 2) throw err;
    }
  }
}
