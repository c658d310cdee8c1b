/**
 * A person holds or asks for an access package once at a time (CONTRACT §5, PRODUCT "Assignments"): a new request
 * is refused while their latest request for the package is still open, holds the access, or ended in a failed
 * delivery that is still theirs to end. The refusal says what exists and what to do about it.
 */
import { ConflictError } from './errors';
import type { AccessRequest, RequestState } from './request';

/** Not decided or not delivered yet: the person follows it with `status` or withdraws it with `cancel`. */
const OPEN: readonly RequestState[] = ['submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering'];
/** A delivery that failed in part or whole: a manager may reprocess it, or the requester cancels it and asks again. */
const FAILED: readonly RequestState[] = ['partiallyDelivered', 'deliveryFailed'];

/** Why `latest` (the person's latest request for the package) stops a new one, or undefined when nothing does. */
export function refusalOfNewRequest(latest: AccessRequest | undefined, packageName: string): ConflictError | undefined {
  if (!latest) return undefined;
  const { state } = latest;
  // Released, expired or canceled, and its removal still running: the person may ask again once it is done.
  if (latest.removalStartedAt && (state === 'delivered' || FAILED.includes(state))) {
    return new ConflictError('error.removalUnderway', { package: packageName });
  }
  if (OPEN.includes(state)) return new ConflictError('error.alreadyRequested', { package: packageName, state });
  if (FAILED.includes(state)) return new ConflictError('error.earlierRequestFailed', { package: packageName, state });
  if (state === 'delivered') {
    return latest.accessEndsAt
      ? new ConflictError('error.alreadyHeldUntil', { package: packageName, date: latest.accessEndsAt.slice(0, 10) })
      : new ConflictError('error.alreadyHeld', { package: packageName });
  }
  return undefined;
}
