/** Policy rules that need no I/O: who may request, and what a valid request form holds. */
import type { Expiration, Policy, RequestorScope } from '../catalog/types';
import { ValidationError } from './errors';

export const MAX_JUSTIFICATION_LENGTH = 1000;

export interface RequesterFacts {
  id: string;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  /** Ids of groups (among those the scope names) the user is a transitive member of. */
  memberOfGroupIds: readonly string[];
}

export function isInScope(scope: RequestorScope, who: RequesterFacts): boolean {
  if (!who.accountEnabled) return false;
  if (scope === 'allUsers') return true;
  if (scope === 'allMembers') return who.userType === 'Member';
  if ('users' in scope) return scope.users.includes(who.id);
  return scope.groups.some((g) => who.memberOfGroupIds.includes(g));
}

/** Group ids a scope needs membership facts for (empty for scopes decided by user type or id). */
export function groupsNamedBy(scope: RequestorScope): string[] {
  return typeof scope === 'object' && 'groups' in scope ? scope.groups : [];
}

export interface RequestFormInput {
  justification?: string;
  startDate?: string;
  endDate?: string;
}

export interface ValidRequestFields {
  justification?: string;
  startDate?: string;
  endDate?: string;
}

/** Teams' Input.Date sends YYYY-MM-DD; a full ISO 8601 timestamp is accepted too, and its date part kept. */
const DATE_OR_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function parseDateField(value: string | undefined, field: 'startDate' | 'endDate'): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  const date = DATE_OR_TIMESTAMP.exec(trimmed)?.[1];
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!date || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    throw new ValidationError('error.invalidDate', { field });
  }
  return date;
}

/** The last day the policy's expiration allows, counted from `start` (a YYYY-MM-DD date); undefined = no limit. */
export function latestEndDate(expiration: Expiration, start: string): string | undefined {
  if ('never' in expiration) return undefined;
  if ('onDate' in expiration) return expiration.onDate;
  const hours = 'afterDays' in expiration ? expiration.afterDays * 24 : expiration.afterHours;
  const end = new Date(Date.parse(`${start}T00:00:00Z`) + hours * 3_600_000);
  return end.toISOString().slice(0, 10);
}

const HOUR_IN_MS = 3_600_000;

/** The start of the day after a YYYY-MM-DD date (UTC): an end date is inclusive. */
export function endOfDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) + 24 * HOUR_IN_MS;
}

/**
 * When access delivered at `deliveredAt` ends: the requester's end date (inclusive) when given, never
 * later than the policy's expiration; undefined when it never ends.
 */
export function accessEndsAt(expiration: Expiration, deliveredAt: Date, requestedEndDate?: string): string | undefined {
  const policyEnd =
    'never' in expiration
      ? undefined
      : 'onDate' in expiration
        ? endOfDate(expiration.onDate)
        : deliveredAt.getTime() + ('afterDays' in expiration ? expiration.afterDays * 24 : expiration.afterHours) * HOUR_IN_MS;
  const requestedEnd = requestedEndDate ? endOfDate(requestedEndDate) : undefined;
  const ends = [policyEnd, requestedEnd].filter((t): t is number => t !== undefined);
  return ends.length ? new Date(Math.min(...ends)).toISOString() : undefined;
}

/**
 * Checks a submitted request form against the policy. `today` is the requester's local date (YYYY-MM-DD).
 * Throws ValidationError naming what to fix; returns the cleaned fields.
 */
export function validateRequestForm(policy: Policy, input: RequestFormInput, today: string): ValidRequestFields {
  const justification = input.justification?.trim() || undefined;
  if (policy.requestorJustificationRequired && !justification) throw new ValidationError('error.justificationRequired');
  if (justification && justification.length > MAX_JUSTIFICATION_LENGTH) {
    throw new ValidationError('error.justificationTooLong', { max: MAX_JUSTIFICATION_LENGTH });
  }

  const startDate = parseDateField(input.startDate, 'startDate');
  const endDate = parseDateField(input.endDate, 'endDate');
  if ((startDate || endDate) && !policy.requestorCanSpecifyDates) throw new ValidationError('error.datesNotAllowed');
  if (startDate && startDate < today) throw new ValidationError('error.startInPast');
  if (endDate && endDate < today) throw new ValidationError('error.endInPast');
  if (startDate && endDate && endDate < startDate) throw new ValidationError('error.endBeforeStart');
  const limit = latestEndDate(policy.expiration, startDate ?? today);
  // A start after a fixed end date (expiration onDate) would give no access at all.
  if (limit && ((endDate && endDate > limit) || (startDate && startDate > limit))) {
    throw new ValidationError('error.endAfterPolicyLimit', { date: limit });
  }
  return { justification, startDate, endDate };
}
