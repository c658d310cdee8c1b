/**
 * What a package's managers see of it (issue 13, `manage`): its requests that are not over, by state, and its
 * assignments. Derived from each request like the assignment (assignment.ts) and written to the package's index
 * by the outbox: a request's row by `syncPackageIndex` (added to every commit that changes it), an assignment's
 * row with the assignment (`syncAssignment`).
 */
import { isOpenFailure } from './reprocess';
import type { AccessRequest, RequestState } from './request';
import { isOver } from './requesterOverview';

/** A request of the package that is not over, as the package's index keeps it. */
export interface PackageRequestRow {
  requestId: string;
  state: RequestState;
  requesterId: string;
  requesterName: string;
  submittedAt: string;
  /** A delivery that failed in part or whole and is the managers' to reprocess or the requester's to cancel. */
  failed: boolean;
}

/** The request's row in its package's index; undefined once it is over (or for an extension request). */
export function packageRequestRow(request: AccessRequest): PackageRequestRow | undefined {
  if (request.extensionOf || isOver(request)) return undefined;
  return {
    requestId: request.id,
    state: request.state,
    requesterId: request.requester.id.toLowerCase(),
    requesterName: request.requester.displayName,
    submittedAt: request.submittedAt,
    failed: isOpenFailure(request),
  };
}

/** Whether a transition (from nothing, for a new request) changes the request's row in its package's index. */
export function packageRowChanged(before: AccessRequest | undefined, after: AccessRequest): boolean {
  return JSON.stringify(before && packageRequestRow(before)) !== JSON.stringify(packageRequestRow(after));
}

/** Waiting for a decision, a start date or a delivery. */
export const PENDING_STATES: readonly RequestState[] = ['submitted', 'pendingApproval', 'scheduled', 'approved', 'delivering'];
