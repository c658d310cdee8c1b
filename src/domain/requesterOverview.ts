/**
 * What `status` shows a person (issue 12): every access they hold, then their open requests, then the finished
 * ones, newest first, a page at a time. Which section a request belongs to, and where a request stands in a
 * person's newest-first list (the positions the pages continue from).
 */
import { ACCESS_STATES } from './expiry';
import type { AccessRequest, RequestState } from './request';

/** States a request never leaves: it is over (nothing held, nothing left to decide, deliver or remove). */
export const FINAL_STATES: readonly RequestState[] = ['denied', 'expired', 'canceled', 'accessExpired', 'extended'];

/**
 * `access`: holds (some of) the package's access (delivered, partly delivered); `open`: not over yet — waiting for
 * a decision, a start date or a delivery, or a failed delivery still theirs to cancel; `finished`: over.
 */
export type StatusSection = 'access' | 'open' | 'finished';

export function isOver(request: Pick<AccessRequest, 'state'>): boolean {
  return FINAL_STATES.includes(request.state);
}

export function statusSectionOf(request: Pick<AccessRequest, 'state'>): StatusSection {
  if (ACCESS_STATES.includes(request.state)) return 'access';
  return isOver(request) ? 'finished' : 'open';
}

/** The last millisecond of year 9999: a submit time that cannot be read sorts as the newest. */
export const LATEST_TIME_IN_MS = 253_402_300_799_999;

/**
 * A place in a person's requests, newest first (by submit time, then by id): a page goes on just after it.
 * `time` is the submit time in ms, clamped to 0 … LATEST_TIME_IN_MS.
 */
export interface RequesterPosition {
  time: number;
  requestId: string;
}

export function positionOf(request: Pick<AccessRequest, 'id' | 'submittedAt'>): RequesterPosition {
  const submittedAt = Date.parse(request.submittedAt);
  const time = Number.isFinite(submittedAt) ? Math.min(Math.max(submittedAt, 0), LATEST_TIME_IN_MS) : LATEST_TIME_IN_MS;
  return { time, requestId: request.id };
}

/** Newest first: negative when `a` comes before `b`. Equal times are ordered by id. */
export function comparePositions(a: RequesterPosition, b: RequesterPosition): number {
  if (a.time !== b.time) return b.time - a.time;
  return a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
}
