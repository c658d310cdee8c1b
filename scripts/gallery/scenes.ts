/** Every card the bot sends, in its main states, built from the fixtures the card tests use. */
import type { CardKind } from '../../src/domain/effects';
import type { AccessRequest } from '../../src/domain/request';
import type { Locale } from '../../src/teams/i18n';
import {
  renderCancelList,
  renderHelp,
  renderMyRequests,
  renderRequestCard,
  renderRequestForm,
  type AdaptiveCard,
  type RequestCardOptions,
} from '../../src/teams/views';
import {
  APPROVER,
  ESCALATION_APPROVER,
  NOW,
  OTHER_APPROVER,
  REQUESTER,
  REQUEST_FORM,
  STAGE_TWO_APPROVER,
  buildRequest,
  deliveredRequest,
  forwardedRequest,
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

const OPTIONS: RequestCardOptions = { now: NOW, stageCount: 2, approverJustificationRequired: true };

function card(kind: CardKind, request: AccessRequest, viewerId: string) {
  return (locale: Locale) => renderRequestCard(kind, withResourceNames(request), { id: viewerId, locale }, OPTIONS);
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
];
