/** Every card the bot sends, in its main states, built from the fixtures the card tests use. */
import type { CardKind } from '../../src/domain/effects';
import type { AccessRequest } from '../../src/domain/request';
import type { Locale } from '../../src/teams/i18n';
import type { AuditEntry } from '../../src/app/ports';
import {
  renderCancelList,
  renderFailedRequests,
  renderHelp,
  renderReprocessOutcome,
  renderRequestHistory,
  renderMyRequests,
  renderRequestCard,
  renderRequestForm,
  type AdaptiveCard,
} from '../../src/teams/views';
import {
  APPROVER,
  CARD_OPTIONS,
  ESCALATION_APPROVER,
  HISTORY_NAMES,
  NOW,
  OTHER_APPROVER,
  REQUESTER,
  REQUEST_FORM,
  STAGE_TWO_APPROVER,
  buildRequest,
  deliveredRequest,
  forwardedRequest,
  lastOwnerRemoval,
  requestHistory,
  twoStageRequest,
  withDecision,
  withResourceNames,
} from '../../test/support/requestFixtures';

export interface Scene {
  /** File name without extension: the card kind or view, then the state shown. */
  name: string;
  render: (locale: Locale) => AdaptiveCard;
}

function card(kind: CardKind, request: AccessRequest, viewerId: string) {
  return (locale: Locale) => renderRequestCard(kind, withResourceNames(request), { id: viewerId, locale }, CARD_OPTIONS);
}

const pending = buildRequest();
const partiallyDelivered = requestHistory().find((r) => r.state === 'partiallyDelivered');
if (!partiallyDelivered) throw new Error('requestHistory() lost its partially delivered request');

export const SCENES: Scene[] = [
  { name: 'requestForm', render: (locale) => renderRequestForm(REQUEST_FORM, locale) },
  { name: 'help', render: (locale) => renderHelp(locale) },
  { name: 'requestStatus-pending', render: card('requestStatus', twoStageRequest(), REQUESTER.id) },
  { name: 'requestStatus-delivered', render: card('requestStatus', deliveredRequest(), REQUESTER.id) },
  { name: 'requestStatus-partiallyDelivered', render: card('requestStatus', partiallyDelivered, REQUESTER.id) },
  { name: 'approvalRequest-pending', render: card('approvalRequest', pending, APPROVER.id) },
  { name: 'approvalRequest-stage2', render: card('approvalRequest', twoStageRequest(), STAGE_TWO_APPROVER.id) },
  { name: 'approvalRequest-forwarded', render: card('approvalRequest', forwardedRequest(), ESCALATION_APPROVER.id) },
  {
    name: 'approvalRequest-approved',
    render: card('approvalRequest', withDecision(pending, 'approved', APPROVER, 'Needed for the Contoso account.'), OTHER_APPROVER.id),
  },
  {
    name: 'approvalRequest-denied',
    render: card('approvalRequest', withDecision(pending, 'denied', OTHER_APPROVER, 'Use the read-only package instead.'), APPROVER.id),
  },
  { name: 'approvalRequest-expired', render: card('approvalRequest', buildRequest({ state: 'expired' }), APPROVER.id) },
  { name: 'approvalRequest-canceled', render: card('approvalRequest', buildRequest({ state: 'canceled' }), APPROVER.id) },
  { name: 'approvalReminder-pending', render: card('approvalReminder', pending, OTHER_APPROVER.id) },
  { name: 'requestExpired', render: card('requestExpired', buildRequest({ state: 'expired' }), REQUESTER.id) },
  {
    name: 'requestDenied',
    render: card('requestDenied', withDecision(pending, 'denied', APPROVER, 'Use the read-only package instead.'), REQUESTER.id),
  },
  { name: 'accessDelivered', render: card('accessDelivered', deliveredRequest(), REQUESTER.id) },
  { name: 'accessEndingSoon', render: card('accessEndingSoon', deliveredRequest(), REQUESTER.id) },
  { name: 'accessEnded', render: card('accessEnded', { ...deliveredRequest(), state: 'accessExpired' }, REQUESTER.id) },
  { name: 'myRequests', render: (locale) => renderMyRequests({ requests: requestHistory() }, locale, { now: NOW }) },
  { name: 'myRequests-empty', render: (locale) => renderMyRequests({ requests: [] }, locale, { now: NOW }) },
  {
    name: 'cancelList',
    render: (locale) =>
      renderCancelList(
        { requests: [pending, buildRequest({ id: 'req-2026-0009', packageName: 'Sales team', state: 'scheduled', stages: [] })] },
        locale,
        { now: NOW },
      ),
  },
  ...reprocessScenes(),
];

/** The managers' cards: the channel alert (failed, then delivered after a reprocess), `failed`, history, outcome. */
function reprocessScenes(): Scene[] {
  const failed = withResourceNames({ ...partiallyDelivered!, completedAt: '2026-03-04T10:16:00.000Z' });
  const reprocessed = { ...deliveredRequest(), reprocessedAt: '2026-03-05T08:00:00.000Z' };
  const trail: AuditEntry[] = [
    { version: 1, at: '2026-03-02T08:30:00.000Z', action: 'transition', actorId: REQUESTER.id, outcome: '→ submitted', detail: 'request for Sales team submitted by Megan Bowen' },
    { version: 3, at: '2026-03-04T10:15:00.000Z', action: 'transition', actorId: APPROVER.id, outcome: 'pendingApproval → approved', detail: 'stage 1 approved by Adele Vance' },
    { version: 4, at: '2026-03-04T10:16:00.000Z', action: 'graphWrite', detail: 'group Sales Team (member)', outcome: 'delivered' },
    { version: 4, at: '2026-03-04T10:16:00.000Z', action: 'graphWrite', detail: 'app role CRM Reader', outcome: 'failed: Authorization_RequestDenied' },
    { version: 5, at: '2026-03-05T08:00:00.000Z', action: 'reprocess', actorId: STAGE_TWO_APPROVER.id, detail: 'resources not delivered sent again', outcome: 'queued' },
  ];
  return [
    { name: 'deliveryFailedAlert-partiallyDelivered', render: card('deliveryFailedAlert', failed, 'channel:sales') },
    { name: 'deliveryFailedAlert-delivered', render: card('deliveryFailedAlert', reprocessed, 'channel:sales') },
    { name: 'removalFailedAlert-lastOwner', render: card('removalFailedAlert', lastOwnerRemoval(), 'channel:sales') },
    { name: 'failedRequests', render: (locale) => renderFailedRequests({ catalogNames: ['Sales'], requests: [failed], now: NOW }, locale) },
    { name: 'requestHistory', render: (locale) => renderRequestHistory(failed, trail, HISTORY_NAMES, locale) },
    {
      name: 'reprocessOutcome',
      render: (locale) =>
        renderReprocessOutcome(
          [
            { requestId: failed.id, status: 'queued', request: failed },
            { requestId: reprocessed.id, status: 'refused', request: reprocessed, messageKey: 'error.notReprocessable', params: { state: 'delivered' } },
          ],
          locale,
        ),
    },
  ];
}
