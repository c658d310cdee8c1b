/**
 * Reprocess (seed 000): a manager re-runs the delivery of a request that ended partly or wholly failed,
 * within 14 days of its completion. Only the resources not delivered are tried again.
 */
import type { PackageEntry } from '../catalog/types';
import { ConflictError, ExpiredError, ForbiddenError } from './errors';
import type { AccessRequest, RequestState, ResourceDelivery } from './request';
import { advance, DAY_IN_MS, REFRESH_STATUS, type Transition } from './transitions';

export const REPROCESS_WINDOW_DAYS = 14;
export const REPROCESSABLE_STATES: readonly RequestState[] = ['partiallyDelivered', 'deliveryFailed'];
/** How many requests one Reprocess click may carry (the manager card's multi-select). */
export const MAX_REPROCESS_BATCH = 20;

/**
 * Who may manage a package's requests (CONTRACT §4): the catalog's owners, the package's managers and
 * assignment managers, and the top-level administrators.
 */
export function isRequestManager(entry: PackageEntry, administrators: readonly string[], actorId: string): boolean {
  const id = actorId.toLowerCase();
  return [entry.catalog.owners, entry.accessPackage.managers, entry.accessPackage.assignmentManagers, administrators].some((ids) =>
    ids.includes(id),
  );
}

/** The last instant a request may be reprocessed: 14 days after it completed; undefined before completion. */
export function reprocessDeadline(request: Pick<AccessRequest, 'completedAt'>): Date | undefined {
  if (!request.completedAt) return undefined;
  return new Date(Date.parse(request.completedAt) + REPROCESS_WINDOW_DAYS * DAY_IN_MS);
}

/**
 * A delivery that failed in part or whole and is still one: not canceled by the requester, its access not being
 * removed (released, expired). What the managers' `failed` list and its index hold, and what the requester may cancel.
 */
export function isOpenFailure(request: AccessRequest): boolean {
  return REPROCESSABLE_STATES.includes(request.state) && !request.removalStartedAt && !request.canceledAt;
}

/** Whether the request is in a failed state and still inside its window (what the cards' buttons follow). */
export function isReprocessable(request: AccessRequest, now: Date): boolean {
  const deadline = reprocessDeadline(request);
  return isOpenFailure(request) && deadline !== undefined && now.getTime() <= deadline.getTime();
}

/** Role first (a stranger learns nothing about the request), then state, then the 14-day window. */
export function assertCanReprocess(request: AccessRequest, isManager: boolean, now: Date): void {
  if (!isManager) throw new ForbiddenError('error.notRequestManager');
  // The requester ended it (seed 000: cancel, then request again); what it delivered is removed or being removed.
  if (request.canceledAt) throw new ConflictError('error.reprocessCanceled', { requester: request.requester.displayName });
  // Once the access is being removed (it expired or was released) there is nothing left to deliver.
  if (!REPROCESSABLE_STATES.includes(request.state) || request.removalStartedAt) {
    throw new ConflictError('error.notReprocessable', { state: request.state });
  }
  const deadline = reprocessDeadline(request);
  if (!deadline || now.getTime() > deadline.getTime()) {
    throw new ExpiredError('error.reprocessWindowOver', { days: REPROCESS_WINDOW_DAYS });
  }
}

/**
 * The failed resources go back to pending with a fresh attempt budget; delivered ones are left alone.
 * The request is `delivering` again, and recordDelivery ends it as usual (#6 when all are delivered).
 */
export function reprocess(request: AccessRequest, isManager: boolean, now: Date): Transition {
  assertCanReprocess(request, isManager, now);
  const at = now.toISOString();
  const resources = request.resources.map(
    (r): ResourceDelivery => (r.status === 'delivered' ? r : { ...r, status: 'pending', attempts: 0, lastError: undefined, updatedAt: at }),
  );
  return {
    next: advance(request, { state: 'delivering', resources, reprocessedAt: at }, now),
    // REFRESH_STATUS covers the requester's status card and the managers' alert card.
    effects: [REFRESH_STATUS, { kind: 'deliver' }],
  };
}
