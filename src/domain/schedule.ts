/**
 * Work that falls due at a time: found by the scheduler through an index keyed by due time, and re-checked
 * against the request before anything is done (an item whose request moved on is stale and dropped).
 */
export const DUE_KINDS = [
  'stageTimeout', // the current stage had no decision in time → expired (#3)
  'approvalReminder', // #2, reminderDaysBeforeTimeout before the stage times out
  'escalation', // forward the stage to the escalation approvers after escalation.afterDays
  'scheduledStart', // an approved request whose start date has come → deliver
  'accessExpiry', // the access ends → remove it, then #8
  'expiryReminder', // #7, expiryReminderDays before the access ends
] as const;
export type DueKind = (typeof DUE_KINDS)[number];

export interface DueItem {
  kind: DueKind;
  requestId: string;
  /** ISO instant at which the work is due. */
  dueAt: string;
  /**
   * What the item is about, so the re-check can tell a stale item: the stage index for stage items,
   * 0 for a scheduled start and an access expiry (stale when the request's accessEndsAt is no longer dueAt),
   * the days-before for an expiry reminder.
   */
  ref: number;
}

/** Stable identity of an item: scheduling the same item twice stores it once. */
export function dueItemKey(item: DueItem): string {
  return `${item.dueAt}|${item.requestId}|${item.kind}|${item.ref}`;
}
