import type { AccessRequest, DecisionOutcome } from '../../domain/request';
import { formatDateTime, stateText, t, type Locale } from '../i18n';
import { inboxJustificationInput } from '../payloads';
import { VERBS } from '../verbs';
import { approverInput, decisionButtons } from './approvalRequest';
import { renderTemplate, type AdaptiveCard } from './render';
import { requestName } from './requestParts';

/** A longer justification is cut on the inbox card (the approval card shows it whole). */
const JUSTIFICATION_PREVIEW = 300;

/** What the card needs to know of a waiting request's policy: its stage count and the current stage's rule. */
export interface WaitingRequest {
  request: AccessRequest;
  stageCount: number;
  justificationRequired: boolean;
}

export interface ApprovalsInboxModel {
  waiting: WaitingRequest[];
  /** How many more wait after those listed. */
  more: number;
  /** A line on top: what the approver's click just did. */
  notice?: string;
}

export interface DecidedModel {
  decided: Array<{ request: AccessRequest; outcome: DecisionOutcome; at: string }>;
}

export interface InboxOptions {
  timeZone?: string;
}

/** `approvals`: what waits for my decision, oldest due first, each decided right here (Approve / Deny). */
export function renderApprovalsInbox(model: ApprovalsInboxModel, locale: Locale, options: InboxOptions = {}): AdaptiveCard {
  const { waiting, more, notice } = model;
  return renderTemplate('approvalsInbox', {
    ...frame(locale, 'inbox.title', 'inbox.showDecided', VERBS.approvalsDecided),
    showNotice: notice !== undefined,
    notice: notice ?? '',
    showEmpty: waiting.length === 0,
    empty: t(locale, 'inbox.empty'),
    waiting: waiting.map((item) => waitingRow(item, locale, options)),
    decided: [],
    showMore: more > 0,
    more: t(locale, 'inbox.more', { count: more }),
  });
}

/** "Decided by me": the approver's latest decisions, newest first, read-only. */
export function renderDecidedByMe(model: DecidedModel, locale: Locale, options: InboxOptions = {}): AdaptiveCard {
  return renderTemplate('approvalsInbox', {
    ...frame(locale, 'inbox.decidedTitle', 'inbox.showWaiting', VERBS.approvals),
    showNotice: false,
    notice: '',
    showEmpty: model.decided.length === 0,
    empty: t(locale, 'inbox.decidedEmpty'),
    waiting: [],
    decided: model.decided.map(({ request, outcome, at }) => ({
      line: t(locale, 'inbox.decidedLine', {
        outcome: t(locale, `outcome.${outcome}`),
        date: formatDateTime(at, locale, options.timeZone),
        requester: request.requester.displayName,
        package: requestName(request, locale),
        state: stateText(locale, request.state),
      }),
    })),
    showMore: false,
    more: '',
  });
}

function frame(locale: Locale, title: 'inbox.title' | 'inbox.decidedTitle', switchTitle: 'inbox.showDecided' | 'inbox.showWaiting', switchVerb: string) {
  return { title: t(locale, title), switchTitle: t(locale, switchTitle), switchVerb };
}

function waitingRow({ request, stageCount, justificationRequired }: WaitingRequest, locale: Locale, options: InboxOptions) {
  const stage = request.stages[request.stages.length - 1];
  const justification = request.justification?.trim() ?? '';
  return {
    headline: t(locale, 'inbox.headline', { requester: request.requester.displayName, package: requestName(request, locale) }),
    details: t(locale, 'inbox.details', {
      due: formatDateTime(stage.dueAt, locale, options.timeZone),
      current: request.stages.length,
      total: Math.max(stageCount, request.stages.length),
      submitted: formatDateTime(request.submittedAt, locale, options.timeZone),
    }),
    showJustification: justification.length > 0,
    justification: justification.length > JUSTIFICATION_PREVIEW ? `${justification.slice(0, JUSTIFICATION_PREVIEW)}…` : justification,
    decideTitle: t(locale, 'inbox.decide'),
    inputId: inboxJustificationInput(request.id),
    ...approverInput(justificationRequired, locale),
    ...decisionButtons(locale),
    requestId: request.id,
    version: request.version,
  };
}
