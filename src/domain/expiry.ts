/**
 * The end of delivered access: reminders before it ends (#7), removal when it ends or when the requester
 * gives it back (#8), and extension. Pure functions, like transitions.ts; the timed ones return undefined
 * when their due item no longer applies (the scheduler drops it as stale).
 *
 * Removal never drops a resource silently: one Graph refused to remove stays `removalFailed`, visible on the
 * status card with its error, and the request keeps its access state (the person may still hold it) until a
 * daily retry succeeds. Only when every delivered resource is removed does the request become `accessExpired` — or
 * `canceled`, when the requester canceled a partly delivered request (seed 000): the same removal takes back what it
 * delivered.
 *
 * An extension that needs approval is its own request (`extensionOf`), put through the policy's approval
 * stages with the usual machinery; the access it extends only carries a `pendingExtension` mark until the
 * extension request ends (`settleExtension`).
 */
import type { Policy } from '../catalog/types';
import type { Effect } from './effects';
import { ConflictError, DomainError, ForbiddenError } from './errors';
import { endOfDate } from './policy';
import type { AccessRequest, PersonSnapshot, RemovalRefusal, RequestState, ResourceDelivery } from './request';
import type { DueItem } from './schedule';
import type { OtherGrant } from './sharedResources';
import {
  advance,
  DAY_IN_MS,
  expirySchedule,
  REFRESH_STATUS,
  retryDelayInMs,
  SYNC_FAILED_INDEX,
  type Transition,
} from './transitions';

/** Graph's answer to one removal (404 already counts as removed); `refusal` says why, when it is known in words. */
export type RevokeOutcome =
  | { status: 'removed'; /** Not removed from the person: another access of theirs still grants it. */ keptBy?: OtherGrant }
  | { status: 'failed'; transient: boolean; error: string; refusal?: RemovalRefusal };
export type RemovalResult = { key: string } & RevokeOutcome;

/** Transient removal failures are retried with backoff this many times before the resource counts as failed. */
export const MAX_REMOVAL_ATTEMPTS = 5;
/** A removal Graph refused is tried again this long after (the permission may have been fixed meanwhile). */
export const REMOVAL_RETRY_DELAY_IN_MS = DAY_IN_MS;
/** `ref` of an accessExpiry item that retries a failed removal (0 is the expiry itself). */
export const REMOVAL_RETRY_REF = 1;

/** States in which the requester holds (some of) the package's access. */
export const ACCESS_STATES: readonly RequestState[] = ['delivered', 'partiallyDelivered'];

/** The requester's cards that follow the access: the status card and any #7 (its Extend button, its date). */
export const REFRESH_ACCESS_CARDS: Effect = { kind: 'refreshCards', cards: ['requestStatus', 'accessEndingSoon'] };

/** The cards that show how a removal stands: the status card, the managers' channel cards. */
const REFRESH_REMOVAL_CARDS: Effect = { kind: 'refreshCards', cards: ['requestStatus', 'deliveryFailedAlert', 'removalFailedAlert'] };
const REFRESH_REMOVAL_ALERT: Effect = { kind: 'refreshCards', cards: ['removalFailedAlert'] };
/** A partly delivered request also has the managers' delivery-failure alert, which follows its removal. */
const REFRESH_ACCESS_AND_FAILURE_ALERT: Effect = { kind: 'refreshCards', cards: ['requestStatus', 'accessEndingSoon', 'deliveryFailedAlert'] };

export function hasAccess(request: AccessRequest): boolean {
  return ACCESS_STATES.includes(request.state);
}

/** Access held and not being removed: what can still be reminded about, extended or released. */
export function hasActiveAccess(request: AccessRequest): boolean {
  return hasAccess(request) && !request.removalStartedAt;
}

/** Every removal starts here (expiry, release, cancel): `before` are the effects that run before the revoke. */
function startRemoval(request: AccessRequest, changes: Partial<AccessRequest>, now: Date, before: Effect[] = [REFRESH_ACCESS_CARDS]): Transition {
  return {
    next: advance(request, { removalStartedAt: now.toISOString(), ...changes }, now),
    effects: [...before, { kind: 'revoke' }],
  };
}

/**
 * Due item accessExpiry. ref 0: the access ends now (stale when it was extended, released or is already being
 * removed). ref REMOVAL_RETRY_REF: resources whose removal Graph refused are tried again.
 */
export function expireAccess(request: AccessRequest, item: DueItem, now: Date): Transition | undefined {
  if (!hasAccess(request) || now.getTime() < Date.parse(item.dueAt)) return undefined;
  if (item.ref === 0) {
    if (request.removalStartedAt || request.accessEndsAt !== item.dueAt) return undefined;
    return startRemoval(request, {}, now);
  }
  const stillHeld = request.resources.some((r) => r.status === 'delivered');
  if (!request.removalStartedAt || stillHeld || !request.resources.some((r) => r.status === 'removalFailed')) return undefined;
  // Back to 'delivered' (they are still held): the revoke effect removes what is delivered.
  const resources = request.resources.map((r): ResourceDelivery => (r.status === 'removalFailed' ? { ...r, status: 'delivered', removalAttempts: 0 } : r));
  return { next: advance(request, { resources }, now), effects: [{ kind: 'revoke' }] };
}

/**
 * Records one removal attempt. Transient failures are retried with backoff; a resource Graph refuses (or keeps
 * failing) becomes `removalFailed` (retried daily), and the first time that happens the catalog's managers are
 * alerted in its channel, once — a refusal such as a group's last owner needs someone to act. Once nothing is held
 * any more the request is `accessExpired` (#8), or `canceled` when the requester canceled it (#8 too: what it
 * delivered is gone).
 */
export function recordRemoval(request: AccessRequest, results: RemovalResult[], now: Date): Transition {
  if (!hasAccess(request) || !request.removalStartedAt) throw new ConflictError('error.notRemoving', { state: request.state });
  const at = now.toISOString();
  const byKey = new Map(results.map((r) => [r.key, r]));
  const resources = request.resources.map((r): ResourceDelivery => {
    const result = byKey.get(r.key);
    if (!result || r.status !== 'delivered') return r;
    if (result.status === 'removed') {
      return { ...r, status: 'removed', keptBy: result.keptBy?.packageName, keptFor: result.keptBy?.requestId, lastError: undefined, removalAttempts: undefined, removalRefusal: undefined, updatedAt: at };
    }
    const removalAttempts = (r.removalAttempts ?? 0) + 1;
    const retry = result.transient && removalAttempts < MAX_REMOVAL_ATTEMPTS;
    const status = retry ? 'delivered' : 'removalFailed';
    return { ...r, status, removalAttempts, lastError: result.error, removalRefusal: result.refusal, updatedAt: at };
  });

  const retrying = resources.filter((r) => r.status === 'delivered');
  if (retrying.length > 0) {
    const attempts = Math.max(...retrying.map((r) => r.removalAttempts ?? 0));
    const notBefore = new Date(now.getTime() + retryDelayInMs(attempts)).toISOString();
    return { next: advance(request, { resources }, now), effects: [{ kind: 'revoke', notBefore }] };
  }
  if (resources.some((r) => r.status === 'removalFailed')) {
    const retryAt = new Date(now.getTime() + REMOVAL_RETRY_DELAY_IN_MS).toISOString();
    const firstFailure = request.removalFailedAt === undefined;
    return {
      next: advance(request, { resources, removalFailedAt: request.removalFailedAt ?? at }, now),
      effects: [
        REFRESH_REMOVAL_CARDS,
        { kind: 'schedule', items: [{ kind: 'accessExpiry', requestId: request.id, dueAt: retryAt, ref: REMOVAL_RETRY_REF }] },
        ...(firstFailure ? [{ kind: 'alertManagers', card: 'removalFailedAlert' } as const] : []),
      ],
    };
  }
  const partly = request.state === 'partiallyDelivered';
  return {
    next: advance(request, { state: request.canceledAt ? 'canceled' : 'accessExpired', resources }, now),
    effects: [
      partly ? REFRESH_ACCESS_AND_FAILURE_ALERT : REFRESH_ACCESS_CARDS,
      // The managers' alert, if a removal failed before, now shows everything removed.
      ...(request.removalFailedAt ? [REFRESH_REMOVAL_ALERT] : []),
      { kind: 'notify', recipientId: request.requester.id, card: 'accessEnded' },
      // A partly delivered request leaves the managers' list of failed deliveries: nothing is left to reprocess.
      ...(partly ? [SYNC_FAILED_INDEX] : []),
    ],
  };
}

/** Due item expiryReminder (#7), `ref` days before the access ends; stale when the end moved or the access went. */
export function remindExpiry(request: AccessRequest, item: DueItem, now: Date): Transition | undefined {
  if (!hasActiveAccess(request) || !request.accessEndsAt) return undefined;
  const endsAt = Date.parse(request.accessEndsAt);
  if (endsAt - item.ref * DAY_IN_MS !== Date.parse(item.dueAt)) return undefined;
  if (now.getTime() < Date.parse(item.dueAt) || now.getTime() >= endsAt) return undefined;
  if (request.lastExpiryReminderDueAt === item.dueAt) return undefined;
  return {
    next: advance(request, { lastExpiryReminderDueAt: item.dueAt }, now),
    effects: [{ kind: 'notify', recipientId: request.requester.id, card: 'accessEndingSoon' }],
  };
}

// ---------------------------------------------------------------------------------------------
// Extension

type ExtensionPolicy = Pick<Policy, 'expiration' | 'extension' | 'expiryReminderDays'>;

const HOUR_IN_MS = 3_600_000;

/** The end an extension gives: one more policy duration, never past a fixed onDate. */
function extendedEnd(request: AccessRequest, policy: ExtensionPolicy): { newEndsAt?: string; refusal?: DomainError } {
  const { expiration } = policy;
  const current = Date.parse(request.accessEndsAt ?? '');
  if ('never' in expiration) return { refusal: new ConflictError('error.extensionNeverEnds') };
  if ('onDate' in expiration) {
    const cap = endOfDate(expiration.onDate);
    if (current >= cap) return { refusal: new ConflictError('error.extensionPastPolicyEnd', { date: expiration.onDate }) };
    return { newEndsAt: new Date(cap).toISOString() };
  }
  const hours = 'afterDays' in expiration ? expiration.afterDays * 24 : expiration.afterHours;
  if (hours <= 0) return { refusal: new ConflictError('error.extensionNeverEnds') };
  return { newEndsAt: new Date(current + hours * HOUR_IN_MS).toISOString() };
}

/**
 * Why `actorId` may not extend this access now, or undefined when they may (and the end it would get).
 * The Extend button follows the same answer. Whether the requester is still in the policy's requestor scope
 * needs the directory: the app layer checks it.
 */
export function extensionCheck(
  request: AccessRequest,
  policy: ExtensionPolicy,
  actorId: string,
  now: Date,
): { newEndsAt: string; refusal?: undefined } | { refusal: DomainError; newEndsAt?: undefined } {
  if (actorId !== request.requester.id) return { refusal: new ForbiddenError('error.notYourAccess') };
  if (!hasActiveAccess(request)) return { refusal: new ConflictError('error.noAccessToExtend', { state: request.state }) };
  if (!policy.extension.allowed) return { refusal: new ConflictError('error.extensionNotAllowed') };
  if (!request.accessEndsAt) return { refusal: new ConflictError('error.extensionNeverEnds') };
  if (now.getTime() >= Date.parse(request.accessEndsAt)) return { refusal: new ConflictError('error.accessAlreadyEnded') };
  if (request.pendingExtension) return { refusal: new ConflictError('error.extensionPending') };
  const { newEndsAt, refusal } = extendedEnd(request, policy);
  return newEndsAt ? { newEndsAt } : { refusal: refusal ?? new ConflictError('error.extensionNeverEnds') };
}

function checkedNewEnd(request: AccessRequest, policy: ExtensionPolicy, actorId: string, now: Date): string {
  const check = extensionCheck(request, policy, actorId, now);
  if (check.refusal) throw check.refusal;
  return check.newEndsAt;
}

/** Moves the end of the access: the old expiry and reminder items go stale (their dueAt no longer matches). */
function moveEnd(request: AccessRequest, newEndsAt: string, policy: ExtensionPolicy, now: Date, changes: Partial<AccessRequest> = {}): Transition {
  return {
    next: advance(request, { ...changes, accessEndsAt: newEndsAt, extendedAt: now.toISOString() }, now),
    effects: [REFRESH_ACCESS_CARDS, ...expirySchedule(request.id, newEndsAt, policy.expiryReminderDays, now)],
  };
}

export interface ExtendInput {
  /** The requester as the directory knows them now: who clicked Extend (an approval card shows this). */
  requester: PersonSnapshot;
  /** Id for the extension request, used when the policy wants the extension approved. */
  extensionId: string;
  now: Date;
}

/**
 * The requester extends their access. Without approval the end moves at once. With approval the access is only
 * marked, and a new request (`extensionOf`) goes through the policy's approval stages: commit `original` first,
 * then create `extension` (a mark whose request is missing is overwritten by the next Extend).
 */
export function extendAccess(
  request: AccessRequest,
  policy: ExtensionPolicy,
  { requester, extensionId, now }: ExtendInput,
): { original: Transition; extension?: Transition } {
  const newEndsAt = checkedNewEnd(request, policy, requester.id, now);
  if (!policy.extension.approvalRequired) return { original: moveEnd(request, newEndsAt, policy, now) };
  const at = now.toISOString();
  const extension: AccessRequest = {
    id: extensionId,
    version: 1,
    state: 'submitted',
    catalogId: request.catalogId,
    packageId: request.packageId,
    policyId: request.policyId,
    packageName: request.packageName,
    requester,
    submittedAt: at,
    updatedAt: at,
    stages: [],
    // What the approvers are asked to let the requester keep.
    resources: request.resources.filter((r) => r.status === 'delivered'),
    extensionOf: { requestId: request.id, currentEndsAt: request.accessEndsAt ?? at, newEndsAt },
  };
  return {
    original: {
      next: advance(request, { pendingExtension: { requestId: extensionId, requestedAt: at, newEndsAt } }, now),
      effects: [REFRESH_ACCESS_CARDS],
    },
    extension: { next: extension, effects: [{ kind: 'startStage' }] },
  };
}

/**
 * The extension request `extension` has ended: approved → the access it extends gets the new end date (when it
 * still has active access); denied, expired, canceled → the pending mark goes. Undefined when there is nothing
 * to change (already settled).
 */
export function settleExtension(
  request: AccessRequest,
  extension: AccessRequest,
  policy: ExtensionPolicy,
  now: Date,
): Transition | undefined {
  const target = extension.extensionOf;
  if (!target || target.requestId !== request.id) return undefined;
  const marked = request.pendingExtension?.requestId === extension.id;
  const applies =
    extension.state === 'approved' &&
    hasActiveAccess(request) &&
    request.accessEndsAt !== undefined &&
    Date.parse(request.accessEndsAt) < Date.parse(target.newEndsAt);
  if (applies) return moveEnd(request, target.newEndsAt, policy, now, { pendingExtension: undefined, extensionIds: [...(request.extensionIds ?? []), extension.id] });
  if (!marked) return undefined;
  return { next: advance(request, { pendingExtension: undefined }, now), effects: [REFRESH_ACCESS_CARDS] };
}

/**
 * The approved extension request's own end, once settled: `extended` when the access it extends now ends at (or
 * after) the new date; `accessExpired` when that access ended before the approval came.
 */
export function completeExtension(extension: AccessRequest, extended: AccessRequest, now: Date): Transition | undefined {
  const target = extension.extensionOf;
  if (!target || extension.state !== 'approved') return undefined;
  const applied = hasAccess(extended) && extended.accessEndsAt !== undefined && Date.parse(extended.accessEndsAt) >= Date.parse(target.newEndsAt);
  return {
    next: advance(extension, { state: applied ? 'extended' : 'accessExpired', completedAt: now.toISOString() }, now),
    effects: [REFRESH_STATUS],
  };
}

// ---------------------------------------------------------------------------------------------
// Release, and cancel of a failed delivery

/**
 * The requester gives the access back early (from `status`), or one of the package's managers removes the
 * assignment (`asManager`: the app checked their rights): it is removed now, then #8.
 */
export function releaseAccess(request: AccessRequest, actorId: string, now: Date, asManager = false): Transition {
  if (!asManager && actorId !== request.requester.id) throw new ForbiddenError('error.notYourAccess');
  if (!hasAccess(request)) throw new ConflictError('error.noAccessToRelease', { state: request.state });
  if (request.removalStartedAt) throw new ConflictError('error.alreadyRemoving');
  // accessEndsAt = now: the cards say when it ended, and the scheduled expiry goes stale.
  const at = now.toISOString();
  return startRemoval(request, { releasedAt: at, accessEndsAt: at }, now);
}

/**
 * The requester cancels a delivery that failed in part or whole (seed 000; lifecycle.ts cancelRequest checks who
 * and when). It leaves the managers' list of failed deliveries at once, and their alert says it was canceled. A
 * partly delivered request has its access removed as a release does (the same revoke, retries, removalFailed, daily
 * retry and alert) and stays `partiallyDelivered` meanwhile, marked `canceledAt`; recordRemoval ends it `canceled`.
 * A request that delivered nothing is `canceled` at once. Its completedAt stays: the 14-day window ran from it.
 */
export function cancelFailedDelivery(request: AccessRequest, now: Date): Transition {
  const at = now.toISOString();
  if (!hasAccess(request)) {
    return { next: advance(request, { state: 'canceled', canceledAt: at }, now), effects: [REFRESH_STATUS, SYNC_FAILED_INDEX] };
  }
  // accessEndsAt = now, as for a release: the cards say when it ended, the scheduled expiry and reminders go stale.
  return startRemoval(request, { canceledAt: at, accessEndsAt: at }, now, [REFRESH_ACCESS_AND_FAILURE_ALERT, SYNC_FAILED_INDEX]);
}
