import { isBeingCanceled } from '../../domain/lifecycle';
import type { AccessRequest, RequestState } from '../../domain/request';
import { formatDateTime, t, stateText } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import {
  decisionLine,
  fact,
  justificationSection,
  requestedDateFacts,
  requestName,
  resourceSection,
  stageStatus,
  stageTotal,
  stateBadge,
  submittedFact,
  textContext,
  type CardViewer,
  type RequestCardOptions,
  type TextColor,
  type TextContext,
} from './requestParts';

/** States in which the requester cares about each resource's delivery. */
const DELIVERY_STATES: readonly RequestState[] = [
  'approved',
  'scheduled',
  'delivering',
  'delivered',
  'partiallyDelivered',
  'deliveryFailed',
  'accessExpired',
];

/** Whether the card shows each resource's delivery: once delivery began, also after a failed delivery was canceled. */
function showsDelivery(request: AccessRequest): boolean {
  if (request.resources.length === 0) return false;
  if (request.state === 'canceled') return request.resources.some((r) => r.status !== 'pending');
  return DELIVERY_STATES.includes(request.state);
}

/** The requester's live card: replaces the request form and follows the request to the end. */
export function renderRequestStatus(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const stages = stageEntries(request, options, text);
  return renderTemplate('requestStatus', {
    title: t(locale, 'status.title', { package: requestName(request, locale) }),
    // Canceled after a failed delivery: it says so while what it delivered is being removed.
    ...(isBeingCanceled(request) ? { stateText: t(locale, 'status.canceling'), stateColor: 'default' } : stateBadge(request.state, locale)),
    facts: [
      fact(t(locale, 'fact.package'), request.packageName),
      submittedFact(request, text),
      ...requestedDateFacts(request, locale),
    ],
    ...justificationSection(request.justification, locale),
    // A just-submitted request has no stage yet: say nothing about approval rather than "not needed".
    showApproval: stages.length > 0 || request.state !== 'submitted',
    approvalHeading: t(locale, 'status.approvalHeading'),
    showNoApprovalNeeded: stages.length === 0,
    noApprovalNeeded: t(locale, 'status.noApprovalNeeded'),
    stages,
    showDelivery: showsDelivery(request),
    deliveryHeading: t(locale, 'status.deliveryHeading'),
    ...resourceSection(request.resources, locale),
  });
}

function stageEntries(request: AccessRequest, options: RequestCardOptions, text: TextContext) {
  const { locale } = text;
  return request.stages.map((stage, position) => {
    const heading = t(locale, 'status.stageHeading', {
      current: position + 1,
      total: stageTotal(request, options.stageCount),
    });
    if (stage.decision) return { heading, ...decisionLine(stage.decision, text) };
    const due = formatDateTime(stage.dueAt, locale, text.timeZone);
    const undecided = (outcome: string, outcomeColor: TextColor) => ({
      heading,
      outcome,
      outcomeColor,
      showDecisionJustification: false,
      decisionJustification: '',
    });
    switch (stageStatus(request, position, options.now)) {
      case 'waiting':
        return undecided(t(locale, 'status.stageWaiting', { date: due }), 'accent');
      case 'timedOut':
        return undecided(t(locale, 'status.stageExpired', { date: due }), 'warning');
      case 'canceled':
        return undecided(t(locale, 'status.stageCanceled'), 'default');
      default:
        return undecided(stateText(locale, request.state), 'default');
    }
  });
}
