import type { Resource } from '../catalog/types';

/** The states users see (CONTRACT §5). */
export const REQUEST_STATES = [
  'submitted',
  'pendingApproval',
  'approved',
  'scheduled',
  'delivering',
  'delivered',
  'partiallyDelivered',
  'deliveryFailed',
  'denied',
  'expired',
  'canceled',
  'accessExpired',
  // An extension request (see `extensionOf`) whose new end date was applied to the access it extends.
  'extended',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/**
 * 'removed': taken away again when the access ended; 'removalFailed': Graph refused the removal (the person may
 * still hold it; retried daily and shown on the status card).
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'removed' | 'removalFailed';
/**
 * Why Graph refused a removal, when the bot can say it in words: 'lastOwner' = the person is the group's last
 * owner, which Graph never removes (another owner has to be added first).
 */
export type RemovalRefusal = 'lastOwner';
export type DecisionOutcome = 'approved' | 'denied';

/** A person as the request remembers them at submit/decision time. */
export interface PersonSnapshot {
  id: string;
  displayName: string;
  mail?: string;
  department?: string;
  jobTitle?: string;
}

export interface Decision {
  stageIndex: number;
  outcome: DecisionOutcome;
  by: PersonSnapshot;
  at: string; // ISO instant
  justification?: string;
}

/** One approval stage as it was put to its approvers. */
export interface StageState {
  index: number;
  approverIds: string[];
  /** True when the policy's approvers resolved to nobody (or only the requester) and fallbacks were used. */
  usedFallback: boolean;
  startedAt: string;
  dueAt: string; // the stage times out at this instant
  /** When the approvers were reminded (#2), if they were. */
  remindedAt?: string;
  /** When the stage was forwarded to its escalation approvers, and who they are (also in approverIds). */
  escalatedAt?: string;
  forwardedTo?: string[];
  decision?: Decision;
}

/**
 * What people call a resource, as the directory named it: the group's name, or the app role's name
 * (`displayName`) and its application's (`appDisplayName`). Either may be unknown.
 */
export interface ResourceName {
  displayName?: string;
  appDisplayName?: string;
}

export interface ResourceDelivery extends ResourceName {
  /** Stable key within the request: the index of the resource in the package, zero-padded ("00", "01", ...). */
  key: string;
  resource: Resource;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  /** Graph id of the app-role assignment, kept for removal. */
  assignmentId?: string;
  /** Failed removal attempts since the removal (or its daily retry) began. */
  removalAttempts?: number;
  /** Why the last removal attempt was refused, when known (the cards say it in the reader's language). */
  removalRefusal?: RemovalRefusal;
  /** Ended for this request but left with the person: this other access package of theirs still grants it. */
  keptBy?: string;
  /** The request of that package the resource was kept for (a delivery that takes it over without a Graph write). */
  keptFor?: string;
  updatedAt?: string;
  // displayName / appDisplayName (from ResourceName): the names at submit time, like the requester snapshot.
}

export interface PendingExtension {
  requestId: string;
  requestedAt: string;
  newEndsAt: string;
}

export interface ExtensionTarget {
  /** The delivered request whose access is to be extended. */
  requestId: string;
  /** Its end when the extension was asked for, and the end asked for (ISO instants). */
  currentEndsAt: string;
  newEndsAt: string;
}

export interface AccessRequest {
  id: string;
  /** Increments with every transition; carried in card data so a card can say which version it showed. */
  version: number;
  state: RequestState;
  catalogId: string;
  packageId: string;
  policyId: string;
  /** Display name of the package when requested (the catalog may change later). */
  packageName: string;
  requester: PersonSnapshot;
  justification?: string;
  startDate?: string; // YYYY-MM-DD
  endDate?: string; // YYYY-MM-DD
  submittedAt: string;
  updatedAt: string;
  /** When the request reached an end state (delivered or not, denied, expired, canceled). */
  completedAt?: string;
  /** When the access ends (ISO instant), once delivered; undefined = it never ends. */
  accessEndsAt?: string;
  /** When a manager last reprocessed the delivery. */
  reprocessedAt?: string;
  /** When removal of the delivered access began (the access ended, or the requester released it). */
  removalStartedAt?: string;
  /** When the requester gave the access back early. */
  releasedAt?: string;
  /**
   * When the requester canceled the request: before delivery (it is `canceled` at once), or after a delivery that
   * failed in part or whole (seed 000). A partly delivered one stays `partiallyDelivered`, with `removalStartedAt`,
   * while what it delivered is removed, and becomes `canceled` once nothing is held (lifecycle.ts cancelRequest).
   */
  canceledAt?: string;
  /** When a removal first failed for good: the catalog's managers were alerted then, once. */
  removalFailedAt?: string;
  /** dueAt of the last expiry reminder (#7) sent, so a re-run item does not send it twice. */
  lastExpiryReminderDueAt?: string;
  /** When the access was last extended (its accessEndsAt moved). */
  extendedAt?: string;
  /** The approved extension requests that moved accessEndsAt, oldest first (an extension without approval has none). */
  extensionIds?: string[];
  /** An extension waiting for approval: the extension request's id and the end date it asks for. */
  pendingExtension?: PendingExtension;
  /**
   * Set on an extension request: it goes through the policy's approval stages like any request, and once
   * approved moves the end of the access it extends instead of delivering anything.
   */
  extensionOf?: ExtensionTarget;
  /** Stages asked so far, in order; the last one is the current stage while pendingApproval. */
  stages: StageState[];
  resources: ResourceDelivery[];
}

export function currentStage(request: AccessRequest): StageState | undefined {
  if (request.state !== 'pendingApproval') return undefined;
  return request.stages[request.stages.length - 1];
}

/** The decision that ended the approval (the denial, or the last stage's approval), if any. */
export function finalDecision(request: AccessRequest): Decision | undefined {
  for (let i = request.stages.length - 1; i >= 0; i--) {
    const decision = request.stages[i].decision;
    if (decision) return decision;
  }
  return undefined;
}
