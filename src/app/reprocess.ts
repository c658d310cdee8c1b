/**
 * A manager reprocesses one or several failed deliveries in one click. Each request is its own transaction
 * with its own outcome, so one refused request does not hold the others back.
 */
import { DomainError, ForbiddenError, NotFoundError, type MessageParams } from '../domain/errors';
import { isRequestManager, reprocess as reprocessTransition } from '../domain/reprocess';
import type { AccessRequest } from '../domain/request';
import type { CatalogIndex } from '../catalog/loader';
import type { AppContext } from './context';
import type { LoadedRequest } from './ports';
import { transact } from './transact';

export type ReprocessOutcome =
  | { requestId: string; status: 'queued'; request: AccessRequest }
  | { requestId: string; status: 'refused'; request?: AccessRequest; messageKey: string; params: MessageParams };

export interface ReprocessInput {
  requestIds: string[];
  actorId: string;
}

/** Whether `actorId` manages the request's package (an administrator manages every one, even a removed package). */
export function managesRequest(catalog: CatalogIndex, request: AccessRequest, actorId: string): boolean {
  const entry = catalog.findPackage(request.packageId);
  return entry ? isRequestManager(entry, catalog.administrators, actorId) : catalog.administrators.includes(actorId.toLowerCase());
}

async function reprocessOne(ctx: AppContext, requestId: string, actorId: string, batchSize: number): Promise<LoadedRequest> {
  const note = {
    action: 'reprocess',
    detail: batchSize > 1 ? `resources not delivered sent again (one of ${batchSize} requests reprocessed together)` : 'resources not delivered sent again',
    outcome: 'queued',
  };
  const committed = await transact(
    ctx.store,
    requestId,
    (loaded) => {
      if (!loaded) throw new NotFoundError('error.unknownRequest');
      return reprocessTransition(loaded.request, managesRequest(ctx.catalog, loaded.request, actorId), ctx.clock.now());
    },
    { actorId, audit: [note] },
  );
  if (!committed) throw new NotFoundError('error.unknownRequest');
  return committed;
}

/**
 * One request: its refusal is thrown (403/409/412 with its sentence). Several: each outcome is returned,
 * and only a click that may reprocess none of them (not a manager of any) is refused as a whole.
 */
export async function reprocessRequests(ctx: AppContext, input: ReprocessInput): Promise<ReprocessOutcome[]> {
  const requestIds = [...new Set(input.requestIds)];
  if (requestIds.length === 1) {
    const committed = await reprocessOne(ctx, requestIds[0], input.actorId, 1);
    ctx.logger.info({ requestId: requestIds[0], actorId: input.actorId }, 'delivery reprocessed');
    return [{ requestId: requestIds[0], status: 'queued', request: committed.request }];
  }
  const outcomes: ReprocessOutcome[] = [];
  for (const requestId of requestIds) {
    try {
      const committed = await reprocessOne(ctx, requestId, input.actorId, requestIds.length);
      outcomes.push({ requestId, status: 'queued', request: committed.request });
    } catch (err) {
      if (!(err instanceof DomainError)) ctx.logger.error({ requestId, err: err instanceof Error ? err.message : String(err) }, 'reprocess failed');
      const request = (await ctx.store.get(requestId).catch(() => undefined))?.request;
      const refusal = err instanceof DomainError ? { messageKey: err.messageKey, params: err.params } : { messageKey: 'error.tryAgain', params: {} };
      outcomes.push({ requestId, status: 'refused', ...(request ? { request } : {}), ...refusal });
    }
  }
  const queued = outcomes.filter((o) => o.status === 'queued').length;
  ctx.logger.info({ actorId: input.actorId, requests: requestIds.length, queued }, 'deliveries reprocessed');
  if (queued === 0 && outcomes.every((o) => o.status === 'refused' && o.messageKey === 'error.notRequestManager')) {
    throw new ForbiddenError('error.notRequestManager');
  }
  return outcomes;
}
