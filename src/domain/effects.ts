/**
 * Effects are written to the request's outbox in the same transaction as the state change
 * that causes them, and run afterwards (at least once, idempotently).
 */
import type { DueItem } from './schedule';

/** What a card posted to a person is about. Numbers are PRODUCT.md's notifications. */
export const CARD_KINDS = [
  'requestStatus', // the requester's live card: replaces the request form, follows the request
  'approvalRequest', // #1 (#4 when re-rendered after the decision)
  'approvalReminder', // #2: a new message, the approval card again, to approvers who have not acted
  'requestExpired', // #3: to the requester, no decision in time
  'requestDenied', // #5
  'accessDelivered', // #6
  'accessEndingSoon', // #7: to the requester, before the access ends
  'accessEnded', // #8: to the requester, after removal
  'deliveryFailedAlert', // to the catalog's notification channel: a delivery failed in part or whole, with Reprocess
  'removalFailedAlert', // to the catalog's notification channel: Graph refused to remove access (e.g. a group's last owner)
] as const;
export type CardKind = (typeof CARD_KINDS)[number];

/** The cards `alertManagers` posts to the catalog's notification channel. */
export type ManagerAlertKind = Extract<CardKind, 'deliveryFailedAlert' | 'removalFailedAlert'>;

export type Effect =
  /** Resolve the approvers of the next stage and ask them (#1). */
  | { kind: 'startStage' }
  /** Post a card of `card` kind to `recipientId` (or update it if this person already has that card). */
  | { kind: 'notify'; recipientId: string; card: CardKind }
  /**
   * Re-render the posted cards of these kinds from current state (#4, the requester's status card).
   * Scoped by kind so a transition only touches the cards whose content it changes (Teams rate limits).
   */
  | { kind: 'refreshCards'; cards: CardKind[] }
  /** Grant every resource not yet delivered, through Microsoft Graph; not before `notBefore` (a retry's backoff). */
  | { kind: 'deliver'; notBefore?: string }
  /** Add these items to the schedule index (timeouts, reminders, escalations, scheduled starts, expiries). */
  | { kind: 'schedule'; items: DueItem[] }
  /** Remove every delivered resource through Microsoft Graph (access expired or released), then record it. */
  | { kind: 'revoke'; notBefore?: string }
  /**
   * On an extension request that reached an end state: apply the approved end date to the access it extends,
   * or drop that access's pending-extension mark (denied, expired, canceled).
   */
  | { kind: 'settleExtension' }
  /**
   * Post an alert card to the catalog's notification channel (a new thread): `deliveryFailedAlert` (the default,
   * also for effects stored before `card` existed) or `removalFailedAlert`.
   */
  | { kind: 'alertManagers'; card?: ManagerAlertKind }
  /** Add the request to, or remove it from, its catalog's index of failed deliveries, by its current state. */
  | { kind: 'syncFailedIndex' }
  /**
   * Write the assignment the request holds (domain/assignment.ts) to the person's partition, as the request stands
   * when the effect runs. Added to every commit that changes it (app/commitRequest.ts), not by the transitions.
   */
  | { kind: 'syncAssignment' }
  /** Write each approver's inbox entry for the request (domain/approvalInbox.ts); added like syncAssignment. */
  | { kind: 'syncApprovals' }
  /** Write the request's row in its package's index (domain/packageIndex.ts); added like syncAssignment. */
  | { kind: 'syncPackageIndex' };

export type EffectKind = Effect['kind'];
