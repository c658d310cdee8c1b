/**
 * The access package assignment (PRODUCT "Assignments", CONTRACT §5): one person holding one package, with its
 * state, start, end and each resource's delivery status, apart from the requests that create, extend or end it.
 *
 * Requests stay the unit of change (one partition per request, ETag-guarded transitions). The assignment is what
 * the request that created it says about the access, written to the person's partition by the outbox
 * (`syncAssignment`) after every transition that changes it: derived by one pure function, never edited by hand,
 * so it cannot disagree with the request for longer than one effect run. A newer request for the same package (one
 * at a time: oneRequestPerPackage.ts) replaces the record; an older request's late write never does.
 */
import type { DeliveryStatus, AccessRequest, ResourceDelivery } from './request';

export const ASSIGNMENT_STATES = ['delivering', 'delivered', 'partiallyDelivered', 'deliveryFailed', 'expired', 'removed'] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

export type AssignmentResource = Pick<ResourceDelivery, 'key' | 'resource' | 'displayName' | 'appDisplayName' | 'lastError' | 'keptBy'> & {
  status: DeliveryStatus;
};

export interface Assignment {
  personId: string;
  /** The person's name when the request was made (as the request remembers them). */
  personName: string;
  catalogId: string;
  packageId: string;
  packageName: string;
  policyId: string;
  state: AssignmentState;
  /** The request that created the assignment, then the extension requests that moved its end, oldest first. */
  requestIds: string[];
  /** When the access was first delivered (in part or whole); undefined while delivering, or if nothing ever was. */
  startedAt?: string;
  /** When the access ends; undefined = it never ends (or nothing was delivered). */
  endsAt?: string;
  /** When its removal began (the end came, the requester released it or canceled a failed delivery). */
  removalStartedAt?: string;
  resources: AssignmentResource[];
  /** The request (and its version) this record was derived from: a write from an older one is never applied. */
  source: { requestId: string; version: number; submittedAt: string };
  updatedAt: string;
}

const STATE_OF: Partial<Record<AccessRequest['state'], AssignmentState>> = {
  approved: 'delivering',
  delivering: 'delivering',
  delivered: 'delivered',
  partiallyDelivered: 'partiallyDelivered',
  deliveryFailed: 'deliveryFailed',
};

/** The assignment state the request gives its access; undefined when the request has none (not approved, or an extension). */
function assignmentState(request: AccessRequest): AssignmentState | undefined {
  if (request.extensionOf) return undefined;
  const live = STATE_OF[request.state];
  if (live) return live;
  const ended = request.releasedAt !== undefined || request.canceledAt !== undefined ? 'removed' : 'expired';
  if (request.state === 'accessExpired') return ended;
  // Canceled after a delivery was tried (seed 000); canceled before approval or a scheduled start never had access.
  if (request.state === 'canceled' && request.resources.some((r) => r.status !== 'pending')) return 'removed';
  return undefined;
}

/** The assignment `request` creates or changes, as it stands now; undefined when the request has none. */
export function assignmentOf(request: AccessRequest): Assignment | undefined {
  const state = assignmentState(request);
  if (!state) return undefined;
  const delivered = request.resources.some((r) => r.status !== 'pending' && r.status !== 'failed');
  return {
    personId: request.requester.id.toLowerCase(),
    personName: request.requester.displayName,
    catalogId: request.catalogId,
    packageId: request.packageId,
    packageName: request.packageName,
    policyId: request.policyId,
    state,
    requestIds: [request.id, ...(request.extensionIds ?? [])],
    startedAt: delivered ? request.completedAt : undefined,
    endsAt: request.accessEndsAt,
    removalStartedAt: request.removalStartedAt,
    resources: request.resources.map(({ key, resource, displayName, appDisplayName, status, lastError, keptBy }) => ({ key, resource, displayName, appDisplayName, status, lastError, keptBy })),
    source: { requestId: request.id, version: request.version, submittedAt: request.submittedAt },
    updatedAt: request.updatedAt,
  };
}

/** Whether a transition from `before` (undefined: a new request) to `after` changes the assignment (then the outbox writes it again). */
export function assignmentChanged(before: AccessRequest | undefined, after: AccessRequest): boolean {
  const [was, is] = [before && assignmentOf(before), assignmentOf(after)];
  if (!is) return was !== undefined;
  return !was || JSON.stringify({ ...was, source: undefined, updatedAt: undefined }) !== JSON.stringify({ ...is, source: undefined, updatedAt: undefined });
}

/**
 * Whether `next` may replace `stored`: a later version from the same request, or the record of a request submitted
 * after the one `stored` came from (the person asked for the package again once the earlier access was over).
 */
export function supersedes(next: Assignment, stored: Assignment): boolean {
  if (next.source.requestId === stored.source.requestId) return next.source.version > stored.source.version;
  const [a, b] = [Date.parse(next.source.submittedAt), Date.parse(stored.source.submittedAt)];
  return a !== b ? a > b : next.source.requestId > stored.source.requestId;
}
