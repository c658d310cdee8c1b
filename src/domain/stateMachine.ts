/**
 * The state machine as one table (ARCHITECTURE "The state machine is a table"): every transition a request or its
 * access goes through — from which state, on which trigger, to which state, with which effects — and the domain
 * function that makes it. Pure data: no SDK, no i18n; the notes are short English for the docs.
 *
 * test/unit/stateMachine.test.ts runs every row against the real function (built from the test fixtures) and fails
 * when a transition function of the domain has no row; README.md and docs/design.md show this table between
 * `<!-- lifecycle:start -->` / `<!-- lifecycle:end -->`, written by `npm run docs:lifecycle` (scripts/lifecycleDocs.ts).
 */
import type { EffectKind } from './effects';
import { hasAccess } from './expiry';
import type { AccessRequest, RequestState } from './request';

/**
 * Effects no row names, because the commit adds them (app/commitRequest.ts): `syncAssignment`, to every transition
 * that changes the assignment the request holds (domain/assignment.ts says which state of the request gives which
 * state of the assignment), `syncApprovals`, to every one that changes who may decide or who decided
 * (domain/approvalInbox.ts), and `syncPackageIndex`, to every one that changes the request's row in its package's
 * index (domain/packageIndex.ts).
 */
export const COMMIT_EFFECTS: readonly EffectKind[] = ['syncAssignment', 'syncApprovals', 'syncPackageIndex'];

/**
 * What the state alone does not say about held access (delivered, partiallyDelivered), but what decides what happens
 * next: an extension waits for approval; its removal has begun (`removalStartedAt`) and something is still to remove;
 * or what is left was refused by Graph (`removalFailed` resources, retried daily).
 */
export const MARKS = ['extensionPending', 'removing', 'removalFailed'] as const;
export type Mark = (typeof MARKS)[number];

/** A state, or a state with the mark that matters: `delivered (removing)`. */
export type Situation = RequestState | `${RequestState} (${Mark})`;
/** Where a row leads: a situation, or `same` (the state it came from), with the mark it then carries. */
export type Target = Situation | 'same' | `same (${Mark})`;

/**
 * What makes a request move: a person (use-cases), the time (due items: each kind of schedule.ts is a trigger of the
 * same name), or the outcome of an effect.
 */
export const TRIGGERS = {
  submit: 'the requester sends the request form',
  stageStarted: 'effect startStage: the stage’s approvers are resolved and asked (#1)',
  approve: 'an approver of the current stage approves',
  deny: 'an approver of the current stage denies',
  stageTimeout: 'due item: the current stage had no decision in time',
  approvalReminder: 'due item: remind the stage’s approvers (#2)',
  escalation: 'due item: forward the stage to its escalation approvers',
  scheduledStart: 'due item: the requested start date has come',
  deliverResult: 'effect deliver: Graph’s answers for the resources not yet delivered',
  reprocess: 'a request manager clicks Reprocess (within 14 days of completion)',
  cancel: 'the requester cancels',
  release: 'the requester gives the access back early, or a manager removes the assignment (`manage`)',
  accessExpiry: 'due item: the access ends (ref 0), or a refused removal is tried again (ref 1)',
  revokeResult: 'effect revoke: Graph’s answers for the resources still held',
  expiryReminder: 'due item: tell the requester the access ends soon (#7)',
  extend: 'the requester clicks Extend',
  extensionSettled: 'effect settleExtension, on the access an ended extension request extends',
  extensionCompleted: 'effect settleExtension, then on the extension request itself',
} as const satisfies Record<string, string>;
export type Trigger = keyof typeof TRIGGERS;

/**
 * The domain functions that change a request (they return a `Transition`). The test finds them in src/domain by
 * their return type and fails when this list, or the table, misses one.
 */
export const TRANSITION_FUNCTIONS = [
  'createRequest',
  'startStage',
  'decide',
  'expireStage',
  'remindStage',
  'escalateStage',
  'startScheduled',
  'cancelRequest',
  'recordDelivery',
  'reprocess',
  'cancelFailedDelivery',
  'expireAccess',
  'releaseAccess',
  'recordRemoval',
  'remindExpiry',
  'extendAccess',
  'settleExtension',
  'completeExtension',
] as const;
export type TransitionFunction = (typeof TRANSITION_FUNCTIONS)[number];

export interface TransitionRow {
  /** Stable name of the row (the test's scenario for it has the same name). */
  id: string;
  /** The situations it applies to; empty: the request is new. */
  from: readonly Situation[];
  trigger: Trigger;
  /** Which case of the trigger, when it has several. */
  when?: string;
  to: Target;
  /** The kinds of the effects the transition writes to the outbox (effects.ts). */
  effects: readonly EffectKind[];
  /** The domain function called, then any it hands over to. */
  via: readonly [TransitionFunction, ...TransitionFunction[]];
  note: string;
}

export const STATE_MACHINE: readonly TransitionRow[] = [
  // Submit and approval
  {
    id: 'submit.approval',
    from: [],
    trigger: 'submit',
    when: 'the policy needs approval',
    to: 'submitted',
    effects: ['startStage'],
    via: ['createRequest'],
    note: 'waits for its first stage’s approvers',
  },
  {
    id: 'submit.noApproval',
    from: [],
    trigger: 'submit',
    when: 'no approval, no start date ahead',
    to: 'approved',
    effects: ['deliver'],
    via: ['createRequest'],
    note: 'delivered at once',
  },
  {
    id: 'submit.noApproval.later',
    from: [],
    trigger: 'submit',
    when: 'no approval, start date ahead',
    to: 'scheduled',
    effects: ['schedule'],
    via: ['createRequest'],
    note: 'a scheduledStart item at UTC midnight of the start date',
  },
  {
    id: 'stageStarted',
    from: ['submitted', 'pendingApproval'],
    trigger: 'stageStarted',
    when: 'the first stage, or the next after an approval',
    to: 'pendingApproval',
    effects: ['notify', 'refreshCards', 'schedule'],
    via: ['startStage'],
    note: 'approval card to each approver; the stage’s timeout, reminder and escalation scheduled',
  },
  {
    id: 'approve.next',
    from: ['pendingApproval'],
    trigger: 'approve',
    when: 'a stage before the last',
    to: 'pendingApproval',
    effects: ['refreshCards', 'startStage'],
    via: ['decide'],
    note: 'the stage closes for every approver; the next stage starts',
  },
  {
    id: 'approve.last',
    from: ['pendingApproval'],
    trigger: 'approve',
    when: 'the last stage, no start date ahead',
    to: 'approved',
    effects: ['refreshCards', 'deliver'],
    via: ['decide'],
    note: 'delivery starts',
  },
  {
    id: 'approve.last.later',
    from: ['pendingApproval'],
    trigger: 'approve',
    when: 'the last stage, start date ahead',
    to: 'scheduled',
    effects: ['refreshCards', 'schedule'],
    via: ['decide'],
    note: 'waits for its start date',
  },
  {
    id: 'approve.extension',
    from: ['pendingApproval'],
    trigger: 'approve',
    when: 'the last stage of an extension request',
    to: 'approved',
    effects: ['refreshCards', 'settleExtension'],
    via: ['decide'],
    note: 'delivers nothing: the access it extends gets the new end date',
  },
  {
    id: 'deny',
    from: ['pendingApproval'],
    trigger: 'deny',
    to: 'denied',
    effects: ['refreshCards', 'notify'],
    via: ['decide'],
    note: 'the requester is told (#5)',
  },
  {
    id: 'deny.extension',
    from: ['pendingApproval'],
    trigger: 'deny',
    when: 'an extension request',
    to: 'denied',
    effects: ['refreshCards', 'notify', 'settleExtension'],
    via: ['decide'],
    note: 'the extended access loses its pending mark',
  },
  {
    id: 'stageTimeout',
    from: ['pendingApproval'],
    trigger: 'stageTimeout',
    to: 'expired',
    effects: ['refreshCards', 'notify'],
    via: ['expireStage'],
    note: 'the requester is told (#3); every approval card says so',
  },
  {
    id: 'stageTimeout.extension',
    from: ['pendingApproval'],
    trigger: 'stageTimeout',
    when: 'an extension request',
    to: 'expired',
    effects: ['refreshCards', 'notify', 'settleExtension'],
    via: ['expireStage'],
    note: 'the extended access loses its pending mark',
  },
  {
    id: 'approvalReminder',
    from: ['pendingApproval'],
    trigger: 'approvalReminder',
    to: 'pendingApproval',
    effects: ['notify'],
    via: ['remindStage'],
    note: 'once per stage',
  },
  {
    id: 'escalation',
    from: ['pendingApproval'],
    trigger: 'escalation',
    to: 'pendingApproval',
    effects: ['refreshCards', 'notify'],
    via: ['escalateStage'],
    note: 'the alternates get the approval card; the first approvers can still decide',
  },
  {
    id: 'scheduledStart',
    from: ['scheduled'],
    trigger: 'scheduledStart',
    to: 'approved',
    effects: ['refreshCards', 'deliver'],
    via: ['startScheduled'],
    note: 'delivery starts',
  },
  {
    id: 'cancel.open',
    from: ['submitted', 'pendingApproval', 'scheduled'],
    trigger: 'cancel',
    to: 'canceled',
    effects: ['refreshCards'],
    via: ['cancelRequest'],
    note: 'nothing was delivered; every approval card says so',
  },
  {
    id: 'cancel.open.extension',
    from: ['submitted', 'pendingApproval'],
    trigger: 'cancel',
    when: 'an extension request',
    to: 'canceled',
    effects: ['refreshCards', 'settleExtension'],
    via: ['cancelRequest'],
    note: 'also when its access is released or canceled',
  },
  // Delivery
  {
    id: 'deliver.retry',
    from: ['approved', 'delivering'],
    trigger: 'deliverResult',
    when: 'a transient failure with attempts left',
    to: 'delivering',
    effects: ['deliver'],
    via: ['recordDelivery'],
    note: 'retried after 5 s, 10 s, 20 s, 40 s; 5 attempts',
  },
  {
    id: 'deliver.all',
    from: ['approved', 'delivering'],
    trigger: 'deliverResult',
    when: 'all delivered',
    to: 'delivered',
    effects: ['refreshCards', 'notify', 'schedule'],
    via: ['recordDelivery'],
    note: '#6; its end (accessExpiry) and #7 scheduled; what another access already grants counts as delivered',
  },
  {
    id: 'deliver.part',
    from: ['approved', 'delivering'],
    trigger: 'deliverResult',
    when: 'some delivered, the rest failed',
    to: 'partiallyDelivered',
    effects: ['refreshCards', 'schedule', 'syncFailedIndex', 'alertManagers'],
    via: ['recordDelivery'],
    note: 'listed in `failed`; the catalog’s channel alerted; its end scheduled',
  },
  {
    id: 'deliver.none',
    from: ['approved', 'delivering'],
    trigger: 'deliverResult',
    when: 'nothing delivered',
    to: 'deliveryFailed',
    effects: ['refreshCards', 'syncFailedIndex', 'alertManagers'],
    via: ['recordDelivery'],
    note: 'listed in `failed`; the catalog’s channel alerted',
  },
  {
    id: 'reprocess',
    from: ['partiallyDelivered', 'deliveryFailed'],
    trigger: 'reprocess',
    to: 'delivering',
    effects: ['refreshCards', 'deliver'],
    via: ['reprocess'],
    note: 'only the failed resources are tried again',
  },
  {
    id: 'deliver.all.afterPartial',
    from: ['delivering'],
    trigger: 'deliverResult',
    when: 'all delivered, reprocessed after a partial delivery',
    to: 'delivered',
    effects: ['refreshCards', 'notify', 'syncFailedIndex'],
    via: ['recordDelivery'],
    note: 'leaves `failed`; its end was scheduled already',
  },
  {
    id: 'deliver.all.afterNone',
    from: ['delivering'],
    trigger: 'deliverResult',
    when: 'all delivered, reprocessed after nothing was',
    to: 'delivered',
    effects: ['refreshCards', 'notify', 'schedule', 'syncFailedIndex'],
    via: ['recordDelivery'],
    note: 'leaves `failed`; its end scheduled now',
  },
  {
    id: 'deliver.part.again',
    from: ['delivering'],
    trigger: 'deliverResult',
    when: 'still not all delivered, reprocessed after a partial delivery',
    to: 'partiallyDelivered',
    effects: ['refreshCards', 'syncFailedIndex', 'alertManagers'],
    via: ['recordDelivery'],
    note: 'its end stays; a new alert',
  },
  {
    id: 'cancel.failed',
    from: ['deliveryFailed'],
    trigger: 'cancel',
    to: 'canceled',
    effects: ['refreshCards', 'syncFailedIndex'],
    via: ['cancelRequest', 'cancelFailedDelivery'],
    note: 'leaves `failed`; the alert says canceled',
  },
  {
    id: 'cancel.partial',
    from: ['partiallyDelivered'],
    trigger: 'cancel',
    to: 'same (removing)',
    effects: ['refreshCards', 'syncFailedIndex', 'revoke'],
    via: ['cancelRequest', 'cancelFailedDelivery'],
    note: 'marked canceled; leaves `failed`; what it delivered is removed as for a release',
  },
  // Held access: reminders, extension, end
  {
    id: 'expiryReminder',
    from: ['delivered', 'partiallyDelivered'],
    trigger: 'expiryReminder',
    to: 'same',
    effects: ['notify'],
    via: ['remindExpiry'],
    note: '#7, with Extend when the policy allows it',
  },
  {
    id: 'extend.now',
    from: ['delivered', 'partiallyDelivered'],
    trigger: 'extend',
    when: 'the policy needs no approval',
    to: 'same',
    effects: ['refreshCards', 'schedule'],
    via: ['extendAccess'],
    note: 'the end moves; the new end and #7 scheduled (the old items go stale)',
  },
  {
    id: 'extend.mark',
    from: ['delivered', 'partiallyDelivered'],
    trigger: 'extend',
    when: 'the policy needs approval: the access',
    to: 'same (extensionPending)',
    effects: ['refreshCards'],
    via: ['extendAccess'],
    note: 'marked until the extension request ends',
  },
  {
    id: 'extend.request',
    from: [],
    trigger: 'extend',
    when: 'the policy needs approval: the extension request',
    to: 'submitted',
    effects: ['startStage'],
    via: ['extendAccess'],
    note: 'a request of its own (extensionOf), through the policy’s stages like any',
  },
  {
    id: 'extensionSettled.approved',
    from: ['delivered (extensionPending)', 'partiallyDelivered (extensionPending)'],
    trigger: 'extensionSettled',
    when: 'the extension was approved',
    to: 'same',
    effects: ['refreshCards', 'schedule'],
    via: ['settleExtension'],
    note: 'the end moves; the new end and #7 scheduled',
  },
  {
    id: 'extensionSettled.ended',
    from: ['delivered (extensionPending)', 'partiallyDelivered (extensionPending)'],
    trigger: 'extensionSettled',
    when: 'the extension was denied, expired or canceled',
    to: 'same',
    effects: ['refreshCards'],
    via: ['settleExtension'],
    note: 'the mark goes; the end stays',
  },
  {
    id: 'extensionCompleted',
    from: ['approved'],
    trigger: 'extensionCompleted',
    when: 'the extended access now ends at the new date',
    to: 'extended',
    effects: ['refreshCards'],
    via: ['completeExtension'],
    note: 'the extension request ends',
  },
  {
    id: 'extensionCompleted.late',
    from: ['approved'],
    trigger: 'extensionCompleted',
    when: 'the access ended before the approval came',
    to: 'accessExpired',
    effects: ['refreshCards'],
    via: ['completeExtension'],
    note: 'the extension request ends without effect',
  },
  {
    id: 'accessExpiry',
    from: ['delivered', 'partiallyDelivered'],
    trigger: 'accessExpiry',
    when: 'the end has come (ref 0)',
    to: 'same (removing)',
    effects: ['refreshCards', 'revoke'],
    via: ['expireAccess'],
    note: 'the access is held until its removal is recorded',
  },
  {
    id: 'release',
    from: ['delivered', 'partiallyDelivered'],
    trigger: 'release',
    to: 'same (removing)',
    effects: ['refreshCards', 'revoke'],
    via: ['releaseAccess'],
    note: 'by the requester, or a manager removing the assignment; its end is now; the scheduled expiry goes stale',
  },
  // Removal
  {
    id: 'revoke.retry',
    from: ['delivered (removing)', 'partiallyDelivered (removing)'],
    trigger: 'revokeResult',
    when: 'a transient failure with attempts left',
    to: 'same (removing)',
    effects: ['revoke'],
    via: ['recordRemoval'],
    note: 'retried with backoff; 5 attempts',
  },
  {
    id: 'revoke.refused',
    from: ['delivered (removing)', 'partiallyDelivered (removing)'],
    trigger: 'revokeResult',
    when: 'refused (or out of attempts), the first time',
    to: 'same (removalFailed)',
    effects: ['refreshCards', 'schedule', 'alertManagers'],
    via: ['recordRemoval'],
    note: 'shown on the status card; retried daily; the catalog’s channel alerted once (removalFailedAlert)',
  },
  {
    id: 'revoke.refused.again',
    from: ['delivered (removing)', 'partiallyDelivered (removing)'],
    trigger: 'revokeResult',
    when: 'refused again, after a daily retry',
    to: 'same (removalFailed)',
    effects: ['refreshCards', 'schedule'],
    via: ['recordRemoval'],
    note: 'retried daily; no second alert',
  },
  {
    id: 'removalRetry',
    from: ['delivered (removalFailed)', 'partiallyDelivered (removalFailed)'],
    trigger: 'accessExpiry',
    when: 'the daily retry of a refused removal (ref 1)',
    to: 'same (removing)',
    effects: ['revoke'],
    via: ['expireAccess'],
    note: 'the refused resources are tried again',
  },
  {
    id: 'revoke.done',
    from: ['delivered (removing)'],
    trigger: 'revokeResult',
    when: 'nothing held any more',
    to: 'accessExpired',
    effects: ['refreshCards', 'notify'],
    via: ['recordRemoval'],
    note: '#8; a resource another access still grants is kept (keptBy) and counts as removed',
  },
  {
    id: 'revoke.done.partial',
    from: ['partiallyDelivered (removing)'],
    trigger: 'revokeResult',
    when: 'nothing held any more',
    to: 'accessExpired',
    effects: ['refreshCards', 'notify', 'syncFailedIndex'],
    via: ['recordRemoval'],
    note: '#8; leaves `failed`: nothing is left to reprocess',
  },
  {
    id: 'revoke.done.canceled',
    from: ['partiallyDelivered (removing)'],
    trigger: 'revokeResult',
    when: 'nothing held any more, the requester canceled it',
    to: 'canceled',
    effects: ['refreshCards', 'notify', 'syncFailedIndex'],
    via: ['recordRemoval'],
    note: '#8: what it delivered is gone; the requester may ask again',
  },
];

/**
 * The situation of a request as the table names it: its state, and for held access the mark that matters
 * (`delivered (removing)`); both marks when an extension is pending while the access is removed.
 */
export function situationOf(request: AccessRequest): string {
  const marks: Mark[] = [];
  if (hasAccess(request)) {
    if (request.pendingExtension) marks.push('extensionPending');
    if (request.removalStartedAt) {
      const stillHeld = request.resources.some((r) => r.status === 'delivered');
      const refused = request.resources.some((r) => r.status === 'removalFailed');
      marks.push(!stillHeld && refused ? 'removalFailed' : 'removing');
    }
  }
  return marks.length > 0 ? `${request.state} (${marks.join(', ')})` : request.state;
}

/** The situation a row leads to from `from` (`same` is the state it came from). */
export function targetOf(row: Pick<TransitionRow, 'to'>, from: string | undefined): string {
  if (!row.to.startsWith('same')) return row.to;
  if (from === undefined) throw new Error('a row for a new request cannot lead to `same`');
  return `${from.replace(/ \(.*\)$/, '')}${row.to.slice('same'.length)}`;
}
