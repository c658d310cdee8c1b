/**
 * Transitions driven by time (timeouts, reminders, escalation, scheduled starts) and by the requester
 * (cancel). The timed ones return undefined when the due item no longer applies (the request moved on):
 * the scheduler then drops the item as stale.
 */
import type { Effect } from './effects';
import { ConflictError, ForbiddenError } from './errors';
import { cancelFailedDelivery } from './expiry';
import { isOpenFailure, REPROCESSABLE_STATES } from './reprocess';
import { currentStage, type AccessRequest, type RequestState, type StageState } from './request';
import {
  advance,
  REFRESH_APPROVALS,
  REFRESH_STATUS,
  REFRESH_STATUS_AND_APPROVALS,
  settleIfExtension,
  type Transition,
} from './transitions';

/** The current stage, if it is the one `stageIndex` names and it is still undecided. */
function openStage(request: AccessRequest, stageIndex: number): StageState | undefined {
  const stage = currentStage(request);
  return stage && stage.index === stageIndex && !stage.decision ? stage : undefined;
}

/** Whether the stage `stageIndex` is the current one and still undecided. */
export function isStageOpen(request: AccessRequest, stageIndex: number): boolean {
  return openStage(request, stageIndex) !== undefined;
}

function replaceStage(request: AccessRequest, stage: StageState): StageState[] {
  return request.stages.map((s) => (s.index === stage.index ? stage : s));
}

/** No decision before the stage's timeout: the request expires (#3) and every approval card says so. */
export function expireStage(request: AccessRequest, stageIndex: number, now: Date): Transition | undefined {
  const stage = openStage(request, stageIndex);
  if (!stage || now.getTime() < Date.parse(stage.dueAt)) return undefined;
  return {
    next: advance(request, { state: 'expired', completedAt: now.toISOString() }, now),
    effects: [
      REFRESH_STATUS_AND_APPROVALS,
      { kind: 'notify', recipientId: request.requester.id, card: 'requestExpired' },
      ...settleIfExtension(request),
    ],
  };
}

/** Reminder (#2) to the approvers of a stage nobody has decided yet; once per stage. */
export function remindStage(request: AccessRequest, stageIndex: number, now: Date): Transition | undefined {
  const stage = openStage(request, stageIndex);
  if (!stage || stage.remindedAt || now.getTime() >= Date.parse(stage.dueAt)) return undefined;
  return {
    next: advance(request, { stages: replaceStage(request, { ...stage, remindedAt: now.toISOString() }) }, now),
    effects: stage.approverIds.map((recipientId): Effect => ({ kind: 'notify', recipientId, card: 'approvalReminder' })),
  };
}

/**
 * Escalation: the stage is forwarded to alternate approvers, who get the approval card saying so; the
 * primary approvers can still decide. Once per stage.
 */
export function escalateStage(request: AccessRequest, stageIndex: number, alternateIds: string[], now: Date): Transition | undefined {
  const stage = openStage(request, stageIndex);
  if (!stage || stage.escalatedAt || now.getTime() >= Date.parse(stage.dueAt)) return undefined;
  const forwardedTo = [...new Set(alternateIds)].filter((id) => id !== request.requester.id && !stage.approverIds.includes(id));
  const escalated: StageState = {
    ...stage,
    approverIds: [...stage.approverIds, ...forwardedTo],
    escalatedAt: now.toISOString(),
    forwardedTo,
  };
  return {
    next: advance(request, { stages: replaceStage(request, escalated) }, now),
    effects: [
      // First the cards already posted (their refresh userIds now list the alternates), then the new ones.
      REFRESH_APPROVALS,
      ...forwardedTo.map((recipientId): Effect => ({ kind: 'notify', recipientId, card: 'approvalRequest' })),
    ],
  };
}

/** A scheduled request's start date has come: delivery begins. */
export function startScheduled(request: AccessRequest, now: Date): Transition | undefined {
  if (request.state !== 'scheduled' || !request.startDate || now.getTime() < Date.parse(`${request.startDate}T00:00:00Z`)) {
    return undefined;
  }
  return { next: advance(request, { state: 'approved' }, now), effects: [REFRESH_STATUS, { kind: 'deliver' }] };
}

/** States in which the requester may cancel before anything is delivered: the request ends `canceled` at once. */
export const CANCELABLE_STATES: readonly RequestState[] = ['submitted', 'pendingApproval', 'scheduled'];

/**
 * Whether the requester may cancel the request now: nothing delivered yet, or a delivery that failed in part or
 * whole (seed 000: after the 14-day reprocess window this is how the person asks again) and is not already
 * canceled or being removed.
 */
export function isCancelable(request: AccessRequest): boolean {
  return CANCELABLE_STATES.includes(request.state) || isOpenFailure(request);
}

/** Canceled by the requester while the access it delivered is still being removed (then it is `canceled`). */
export function isBeingCanceled(request: AccessRequest): boolean {
  return request.canceledAt !== undefined && request.state !== 'canceled';
}

/**
 * The requester cancels. Before delivery every approval card says so. A failed delivery leaves the managers' list
 * and what it delivered is removed first (expiry.ts cancelFailedDelivery): `canceled` once nothing is held.
 */
export function cancelRequest(request: AccessRequest, actorId: string, now: Date): Transition {
  if (actorId !== request.requester.id) throw new ForbiddenError('error.notYourRequest');
  if (request.canceledAt) throw new ConflictError('error.alreadyCanceled');
  if (isOpenFailure(request)) return cancelFailedDelivery(request, now);
  // A failed delivery whose access is already being removed (released, or it expired): nothing left to cancel.
  if (REPROCESSABLE_STATES.includes(request.state)) throw new ConflictError('error.alreadyRemoving');
  if (!CANCELABLE_STATES.includes(request.state)) throw new ConflictError('error.cannotCancel', { state: request.state });
  const at = now.toISOString();
  return {
    next: advance(request, { state: 'canceled', completedAt: at, canceledAt: at }, now),
    effects: [REFRESH_STATUS_AND_APPROVALS, ...settleIfExtension(request)],
  };
}
