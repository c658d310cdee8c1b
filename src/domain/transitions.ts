/**
 * The request state machine. Each function takes the current request and returns the next one
 * with the effects the change causes; none does I/O, so they are tested exhaustively with plain data.
 */
import type { ApprovalStage, PackageEntry, Policy } from '../catalog/types';
import type { Effect } from './effects';
import { ConflictError, ExpiredError, ForbiddenError, ValidationError } from './errors';
import { accessEndsAt, MAX_JUSTIFICATION_LENGTH, type ValidRequestFields } from './policy';
import {
  currentStage,
  finalDecision,
  type AccessRequest,
  type DecisionOutcome,
  type PersonSnapshot,
  type RequestState,
  type ResourceDelivery,
  type ResourceName,
  type StageState,
} from './request';
import type { DueItem } from './schedule';

export interface Transition {
  next: AccessRequest;
  effects: Effect[];
}

export const DAY_IN_MS = 86_400_000;

/**
 * The requester's live status card follows every state, and so does the managers' delivery-failure alert
 * (posted only for failed deliveries, so it costs nothing otherwise); approval cards change only when a stage changes.
 */
export const REFRESH_STATUS: Effect = { kind: 'refreshCards', cards: ['requestStatus', 'deliveryFailedAlert'] };
export const REFRESH_APPROVALS: Effect = { kind: 'refreshCards', cards: ['approvalRequest', 'approvalReminder'] };
/** The catalog's index of failed deliveries follows the request's state (what `failed` lists). */
export const SYNC_FAILED_INDEX: Effect = { kind: 'syncFailedIndex' };
export const REFRESH_STATUS_AND_APPROVALS: Effect = {
  kind: 'refreshCards',
  cards: ['requestStatus', 'approvalRequest', 'approvalReminder'],
};

export function advance(request: AccessRequest, changes: Partial<AccessRequest>, now: Date): AccessRequest {
  return { ...request, ...changes, version: request.version + 1, updatedAt: now.toISOString() };
}

/** The instant a requested start date begins (UTC midnight), when it is still in the future. */
function futureStart(request: Pick<AccessRequest, 'startDate'>, now: Date): string | undefined {
  if (!request.startDate) return undefined;
  const startsAt = new Date(`${request.startDate}T00:00:00Z`);
  return startsAt.getTime() > now.getTime() ? startsAt.toISOString() : undefined;
}

/** An approved request: delivered now, or `scheduled` until its start date, when the scheduler starts delivery. */
function approvedOrScheduled(request: AccessRequest, now: Date): { state: RequestState; effects: Effect[] } {
  // An approved extension delivers nothing: it moves the end of the access it extends.
  if (request.extensionOf) return { state: 'approved', effects: [{ kind: 'settleExtension' }] };
  const startsAt = futureStart(request, now);
  if (!startsAt) return { state: 'approved', effects: [{ kind: 'deliver' }] };
  return {
    state: 'scheduled',
    effects: [{ kind: 'schedule', items: [{ kind: 'scheduledStart', requestId: request.id, dueAt: startsAt, ref: 0 }] }],
  };
}

/** The timeout, reminder and escalation of a stage that has just started. */
function stageSchedule(requestId: string, stage: StageState, stagePolicy: ApprovalStage): DueItem[] {
  const at = (ms: number) => new Date(ms).toISOString();
  const started = Date.parse(stage.startedAt);
  const due = Date.parse(stage.dueAt);
  const items: DueItem[] = [{ kind: 'stageTimeout', requestId, dueAt: stage.dueAt, ref: stage.index }];
  if (stagePolicy.reminderDaysBeforeTimeout !== undefined) {
    items.push({ kind: 'approvalReminder', requestId, dueAt: at(due - stagePolicy.reminderDaysBeforeTimeout * DAY_IN_MS), ref: stage.index });
  }
  if (stagePolicy.escalation) {
    items.push({ kind: 'escalation', requestId, dueAt: at(started + stagePolicy.escalation.afterDays * DAY_IN_MS), ref: stage.index });
  }
  return items;
}

export interface NewRequestInput {
  id: string;
  entry: PackageEntry;
  policy: Policy;
  requester: PersonSnapshot;
  fields: ValidRequestFields;
  now: Date;
  /** Names of the package's resources, in the same order (a snapshot for the cards); any may be missing. */
  resourceNames?: ResourceName[];
}

/** A new request: waiting for its first approval stage, or approved at once when the policy needs no approval. */
export function createRequest({ id, entry, policy, requester, fields, now, resourceNames }: NewRequestInput): Transition {
  const at = now.toISOString();
  const needsApproval = policy.approval.required && policy.approval.stages.length > 0;
  const resources: ResourceDelivery[] = entry.accessPackage.resources.map((resource, i) => {
    const name = resourceNames?.[i];
    return {
      key: String(i).padStart(2, '0'),
      resource,
      ...(name?.displayName ? { displayName: name.displayName } : {}),
      ...(name?.appDisplayName ? { appDisplayName: name.appDisplayName } : {}),
      status: 'pending',
      attempts: 0,
    };
  });
  const next: AccessRequest = {
    id,
    version: 1,
    state: needsApproval ? 'submitted' : 'approved',
    catalogId: entry.catalog.id,
    packageId: entry.accessPackage.id,
    policyId: policy.id,
    packageName: entry.accessPackage.displayName,
    requester,
    ...fields,
    submittedAt: at,
    updatedAt: at,
    stages: [],
    resources,
  };
  if (needsApproval) return { next, effects: [{ kind: 'startStage' }] };
  const { state, effects } = approvedOrScheduled(next, now);
  return { next: { ...next, state }, effects };
}

/** The next stage has been put to its approvers: each of them gets the approval card (#1). */
export function startStage(
  request: AccessRequest,
  stagePolicy: ApprovalStage,
  approvers: { approverIds: string[]; usedFallback: boolean },
  now: Date,
): Transition {
  const waitingForFirstStage = request.state === 'submitted' && request.stages.length === 0;
  const previous = request.stages[request.stages.length - 1];
  const previousApproved = request.state === 'pendingApproval' && previous?.decision?.outcome === 'approved';
  if (!waitingForFirstStage && !previousApproved) {
    throw new ConflictError('error.notPending', { state: request.state });
  }
  const stage: StageState = {
    index: request.stages.length,
    approverIds: approvers.approverIds,
    usedFallback: approvers.usedFallback,
    startedAt: now.toISOString(),
    dueAt: new Date(now.getTime() + stagePolicy.timeoutDays * DAY_IN_MS).toISOString(),
  };
  const next = advance(request, { state: 'pendingApproval', stages: [...request.stages, stage] }, now);
  const effects: Effect[] = [
    ...approvers.approverIds.map((recipientId): Effect => ({ kind: 'notify', recipientId, card: 'approvalRequest' })),
    REFRESH_STATUS,
    { kind: 'schedule', items: stageSchedule(request.id, stage, stagePolicy) },
  ];
  return { next, effects };
}

/**
 * Authorization and freshness checks for a decision, without the decider's details:
 * run before any further I/O so forged clicks cost nothing.
 */
export function assertCanDecide(request: AccessRequest, actorId: string, now: Date): void {
  const stage = currentStage(request);
  if (!stage || stage.decision) {
    if (request.state === 'expired') throw new ExpiredError('error.requestExpired');
    const last = finalDecision(request);
    if (last) throw new ConflictError('error.alreadyDecided', { name: last.by.displayName, outcome: last.outcome });
    throw new ConflictError('error.notPending', { state: request.state });
  }
  if (actorId === request.requester.id) throw new ForbiddenError('error.selfApproval');
  if (!stage.approverIds.includes(actorId)) {
    // An approver of an earlier stage clicking their old card: that stage is closed, say by whom.
    const earlier = request.stages.find((s) => s.index < stage.index && s.decision && s.approverIds.includes(actorId));
    if (earlier?.decision) {
      throw new ConflictError('error.alreadyDecided', { name: earlier.decision.by.displayName, outcome: earlier.decision.outcome });
    }
    throw new ForbiddenError('error.notApprover');
  }
  if (now.getTime() >= Date.parse(stage.dueAt)) throw new ExpiredError('error.requestExpired');
}

export interface DecisionInput {
  actor: PersonSnapshot;
  outcome: DecisionOutcome;
  justification?: string;
  now: Date;
}

/** First decision of the current stage: closes the stage for every approver (#4). */
export function decide(
  request: AccessRequest,
  stagePolicy: ApprovalStage,
  stageCount: number,
  { actor, outcome, justification, now }: DecisionInput,
): Transition {
  assertCanDecide(request, actor.id, now);
  const text = justification?.trim() || undefined;
  if (stagePolicy.approverJustificationRequired && !text) throw new ValidationError('error.approverJustificationRequired');
  if (text && text.length > MAX_JUSTIFICATION_LENGTH) {
    throw new ValidationError('error.justificationTooLong', { max: MAX_JUSTIFICATION_LENGTH });
  }
  const at = now.toISOString();
  const stages = request.stages.map((s, i) =>
    i === request.stages.length - 1 ? { ...s, decision: { stageIndex: i, outcome, by: actor, at, justification: text } } : s,
  );
  if (outcome === 'denied') {
    const next = advance(request, { state: 'denied', stages, completedAt: at }, now);
    return {
      next,
      effects: [
        REFRESH_STATUS_AND_APPROVALS,
        { kind: 'notify', recipientId: request.requester.id, card: 'requestDenied' },
        ...settleIfExtension(request),
      ],
    };
  }
  if (stages.length < stageCount) {
    return { next: advance(request, { stages }, now), effects: [REFRESH_STATUS_AND_APPROVALS, { kind: 'startStage' }] };
  }
  const { state, effects } = approvedOrScheduled(request, now);
  return { next: advance(request, { state, stages }, now), effects: [REFRESH_STATUS_AND_APPROVALS, ...effects] };
}

export type GrantResult =
  | { key: string; status: 'delivered'; assignmentId?: string }
  | { key: string; status: 'failed'; transient: boolean; error: string }
  /** Not tried: another access is removing the resource. Tried again later without counting an attempt. */
  | { key: string; status: 'waiting'; error: string };

export const MAX_DELIVERY_ATTEMPTS = 5;
const FIRST_RETRY_DELAY_IN_MS = 5_000;
const MAX_RETRY_DELAY_IN_MS = 300_000;

/** Exponential backoff after the `attempts`-th failed attempt: 5 s, 10 s, 20 s, ... at most 5 min. */
export function retryDelayInMs(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_IN_MS, FIRST_RETRY_DELAY_IN_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Records the outcome of one delivery attempt. Transient failures are retried (the request stays
 * `delivering` with another deliver effect) until MAX_DELIVERY_ATTEMPTS; then the request ends
 * delivered, partiallyDelivered or deliveryFailed.
 */
/** An extension request that has just ended (denied, expired, canceled) must release the access it would extend. */
export function settleIfExtension(request: AccessRequest): Effect[] {
  return request.extensionOf ? [{ kind: 'settleExtension' }] : [];
}

/** When the access ends, it is removed (accessExpiry); #7 goes out `expiryReminderDays` before, when still ahead. */
export function expirySchedule(requestId: string, endsAt: string | undefined, reminderDays: readonly number[], now: Date): Effect[] {
  if (!endsAt) return [];
  const ends = Date.parse(endsAt);
  const items: DueItem[] = [{ kind: 'accessExpiry', requestId, dueAt: endsAt, ref: 0 }];
  for (const days of reminderDays) {
    const at = ends - days * DAY_IN_MS;
    if (at > now.getTime()) items.push({ kind: 'expiryReminder', requestId, dueAt: new Date(at).toISOString(), ref: days });
  }
  return [{ kind: 'schedule', items }];
}

export function recordDelivery(
  request: AccessRequest,
  results: GrantResult[],
  policy: Pick<Policy, 'expiration' | 'expiryReminderDays'>,
  now: Date,
): Transition {
  if (request.state !== 'approved' && request.state !== 'delivering') {
    throw new ConflictError('error.notPending', { state: request.state });
  }
  const at = now.toISOString();
  const byKey = new Map(results.map((r) => [r.key, r]));
  const resources = request.resources.map((r): ResourceDelivery => {
    const result = byKey.get(r.key);
    if (!result || r.status === 'delivered') return r;
    if (result.status === 'waiting') return { ...r, status: 'pending', lastError: result.error, updatedAt: at };
    const attempts = r.attempts + 1;
    if (result.status === 'delivered') {
      return { ...r, status: 'delivered', attempts, assignmentId: result.assignmentId ?? r.assignmentId, lastError: undefined, updatedAt: at };
    }
    const retry = result.transient && attempts < MAX_DELIVERY_ATTEMPTS;
    return { ...r, status: retry ? 'pending' : 'failed', attempts, lastError: result.error, updatedAt: at };
  });

  const retrying = resources.filter((r) => r.status === 'pending');
  if (retrying.length > 0) {
    const attempts = Math.max(...retrying.map((r) => r.attempts));
    const notBefore = new Date(now.getTime() + retryDelayInMs(attempts)).toISOString();
    return { next: advance(request, { state: 'delivering', resources }, now), effects: [{ kind: 'deliver', notBefore }] };
  }
  const delivered = resources.filter((r) => r.status === 'delivered').length;
  // The first completion counts (the 14-day reprocess window runs from it), and so does the first end date.
  const completedAt = request.completedAt ?? at;
  const endsAt = delivered === 0 ? undefined : (request.accessEndsAt ?? accessEndsAt(policy.expiration, now, request.endDate));
  const expiry = request.accessEndsAt ? [] : expirySchedule(request.id, endsAt, policy.expiryReminderDays, now);
  if (delivered === resources.length) {
    return {
      next: advance(request, { state: 'delivered', resources, completedAt, accessEndsAt: endsAt }, now),
      effects: [
        REFRESH_STATUS,
        { kind: 'notify', recipientId: request.requester.id, card: 'accessDelivered' },
        ...expiry,
        // A reprocessed request leaves the managers' list of failed deliveries.
        ...(request.reprocessedAt ? [{ kind: 'syncFailedIndex' } as const] : []),
      ],
    };
  }
  const state: RequestState = delivered > 0 ? 'partiallyDelivered' : 'deliveryFailed';
  return {
    next: advance(request, { state, resources, completedAt, accessEndsAt: endsAt }, now),
    effects: [REFRESH_STATUS, ...expiry, { kind: 'syncFailedIndex' }, { kind: 'alertManagers' }],
  };
}

/** Resources still to grant. */
export function undeliveredResources(request: AccessRequest): ResourceDelivery[] {
  return request.resources.filter((r) => r.status === 'pending');
}
