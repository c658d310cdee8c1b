import { MAX_JUSTIFICATION_LENGTH } from '../../domain/policy';
import type { AccessRequest, StageState } from '../../domain/request';
import { daysText, formatDate, formatDateTime, stateText, t, type Locale } from '../i18n';
import { VERBS } from '../verbs';
import { cardRefresh } from './refresh';
import { renderTemplate, type AdaptiveCard } from './render';
import {
  decisionLine,
  extensionFacts,
  fact,
  justificationSection,
  requestedDateFacts,
  requestedResourceSection,
  requestName,
  stageStatus,
  stageTotal,
  submittedFact,
  textContext,
  type CardViewer,
  type Fact,
  type RequestCardOptions,
  type StageStatus,
  type TextContext,
} from './requestParts';

/** #1 asks, #2 reminds: once the stage is closed both show the same read-only view (#4). */
type ApprovalVariant = 'request' | 'reminder';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Notification #1 for an approver, and #4 once decided: the same facts, with Approve / Deny only while
 * this viewer may still decide. The card is about the latest stage the viewer was asked to decide.
 */
export function renderApprovalRequest(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  return renderApproval(request, viewer, options, 'request');
}

/** Notification #2: the approval card again, headed as a reminder while the viewer can still act. */
export function renderApprovalReminder(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  return renderApproval(request, viewer, options, 'reminder');
}

function renderApproval(
  request: AccessRequest,
  viewer: CardViewer,
  options: RequestCardOptions,
  variant: ApprovalVariant,
): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const position = viewerStagePosition(request, viewer.id);
  const stage: StageState | undefined = request.stages[position];
  const status: StageStatus = stage ? stageStatus(request, position, options.now) : 'closed';
  const isRequester = viewer.id === request.requester.id;
  const isApprover = stage?.approverIds.includes(viewer.id) ?? false;
  const canAct = status === 'waiting' && isApprover && !isRequester;
  const words = {
    requester: request.requester.displayName,
    package: requestName(request, locale),
    date: stage ? formatDate(stage.dueAt, locale, text.timeZone) : '',
  };

  const forwardedPeriod = stage?.forwardedTo?.includes(viewer.id) ? forwardedAfter(stage, options.now) : undefined;

  const card = renderTemplate('approvalRequest', {
    title: t(locale, titleKey(status, canAct, variant), words),
    showForwarded: forwardedPeriod !== undefined,
    forwarded: forwardedPeriod === undefined ? '' : t(locale, 'approval.forwarded', { period: daysText(locale, forwardedPeriod) }),
    facts: [
      fact(t(locale, 'fact.requester'), request.requester.displayName),
      ...optionalFact(t(locale, 'fact.department'), request.requester.department),
      ...optionalFact(t(locale, 'fact.jobTitle'), request.requester.jobTitle),
      fact(t(locale, 'fact.package'), request.packageName),
      ...requestedDateFacts(request, locale),
      ...extensionFacts(request, text),
      submittedFact(request, text),
      ...(stage ? stageFacts(request, stage, position, options, text) : []),
    ],
    ...justificationSection(request.justification, locale),
    ...requestedResourceSection(request.resources, locale),
    ...outcome(request, stage, status, text),
    showNotice: status === 'waiting' && !canAct,
    notice: t(locale, isRequester ? 'approval.ownRequest' : 'approval.notApprover'),
    canAct,
    ...approverInput(options.approverJustificationRequired, locale),
    ...decisionButtons(locale),
    requestId: request.id,
    version: request.version,
  });
  // Only an open stage has views that differ per person; a closed one looks the same to everyone. Teams names
  // people in `refresh.userIds` by their Teams user id (MRI): an approver whose MRI the bot does not know yet (it
  // has neither heard from them nor looked them up) is left out, and still gets their view in a chat under 60 people.
  const refreshFor = stage?.approverIds.flatMap((id) => options.teamsUserIds?.[id] ?? []) ?? [];
  return status === 'waiting' && stage ? { ...card, refresh: cardRefresh(request, refreshFor) } : card;
}

/** Whole days the stage waited before it was forwarded (at least one). */
function forwardedAfter(stage: StageState, now: Date): number {
  const forwardedAt = stage.escalatedAt ? Date.parse(stage.escalatedAt) : now.getTime();
  return Math.max(1, Math.round((forwardedAt - Date.parse(stage.startedAt)) / DAY_MS));
}

/** The latest stage that asked this viewer; otherwise the latest stage (the viewer only looks on). */
function viewerStagePosition(request: AccessRequest, viewerId: string): number {
  for (let position = request.stages.length - 1; position >= 0; position--) {
    if (request.stages[position].approverIds.includes(viewerId)) return position;
  }
  return request.stages.length - 1;
}

function titleKey(status: StageStatus, canAct: boolean, variant: ApprovalVariant) {
  switch (status) {
    case 'waiting':
      if (!canAct) return 'approval.titleInfo';
      return variant === 'reminder' ? 'approval.titleReminder' : 'approval.title';
    case 'decided':
      return 'approval.titleCompleted';
    case 'timedOut':
      return 'approval.titleExpired';
    case 'canceled':
      return 'approval.titleCanceled';
    case 'closed':
      return 'approval.titleInfo';
  }
}

function stageFacts(
  request: AccessRequest,
  stage: StageState,
  position: number,
  options: RequestCardOptions,
  text: TextContext,
): Fact[] {
  return [
    fact(t(text.locale, 'fact.requestExpires'), formatDateTime(stage.dueAt, text.locale, text.timeZone)),
    fact(
      t(text.locale, 'fact.stage'),
      t(text.locale, 'fact.stageOf', { current: position + 1, total: stageTotal(request, options.stageCount) }),
    ),
  ];
}

function optionalFact(label: string, value: string | undefined): Fact[] {
  return value?.trim() ? [fact(label, value.trim())] : [];
}

/** The read-only line that replaces the buttons: who decided, or why nobody can any more. */
function outcome(request: AccessRequest, stage: StageState | undefined, status: StageStatus, text: TextContext) {
  const { locale } = text;
  const line = (outcomeText: string) => ({
    showOutcome: true,
    outcome: outcomeText,
    outcomeColor: 'warning',
    showDecisionJustification: false,
    decisionJustification: '',
  });
  if (stage?.decision) return { showOutcome: true, ...decisionLine(stage.decision, text) };
  switch (status) {
    case 'waiting':
      return { ...line(''), showOutcome: false };
    case 'timedOut':
      return line(t(locale, 'approval.outcomeExpired', { date: formatDateTime(stage?.dueAt ?? request.updatedAt, locale, text.timeZone) }));
    case 'canceled':
      return line(t(locale, 'approval.outcomeCanceled', { requester: request.requester.displayName }));
    default:
      return line(t(locale, 'approval.outcomeClosed', { state: stateText(locale, request.state) }));
  }
}

/** The approver's justification field, as the approval card and the `approvals` inbox bind it. */
export function approverInput(required: boolean, locale: Locale) {
  return {
    approverJustificationLabel: t(locale, required ? 'approval.justificationLabelRequired' : 'approval.justificationLabel'),
    approverJustificationPlaceholder: t(locale, 'approval.justificationPlaceholder'),
    approverJustificationRequired: required,
    approverJustificationMaxLength: MAX_JUSTIFICATION_LENGTH,
    approverJustificationError: t(locale, 'approval.justificationError', { max: MAX_JUSTIFICATION_LENGTH }),
  };
}

/** Approve and Deny, as the approval card and the `approvals` inbox bind them. */
export function decisionButtons(locale: Locale) {
  return { approveTitle: t(locale, 'approval.approve'), approveVerb: VERBS.approve, denyTitle: t(locale, 'approval.deny'), denyVerb: VERBS.deny };
}
