/** The `startStage` effect: resolve the next stage's approvers and open it. */
import { startStage } from '../../domain/transitions';
import { resolveStageApprovers } from '../approvers';
import { commitRequest } from '../commitRequest';
import type { AppContext } from '../context';
import type { LoadedRequest, PendingEffect } from '../ports';
import { stagePolicyOf } from '../requestPolicy';

export async function runStartStage(ctx: AppContext, loaded: LoadedRequest, _pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const { request } = loaded;
  const { stage } = stagePolicyOf(ctx.catalog, request, request.stages.length);
  const approvers = await resolveStageApprovers(ctx.directory, stage, request.requester.id, ctx.catalog.administrators);
  if (approvers.approverIds.length === 0) {
    ctx.logger.error({ requestId: request.id }, 'no approver resolves for this stage, not even an administrator; fix the catalog');
  }
  const { next, effects } = startStage(request, stage, approvers, ctx.clock.now());
  const started = await commitRequest(ctx.store, loaded, next, { effects, completedEffectIds: done });
  ctx.logger.info({ requestId: request.id, stage: next.stages.length, approvers: approvers.approverIds.length }, 'approval stage started');
  return started;
}
