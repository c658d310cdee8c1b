import { ACCESS_STATES } from '../../domain/expiry';
import { currentStage, type AccessRequest } from '../../domain/request';
import { VERBS } from '../verbs';
import { formatDate, formatDateTime, t, type Locale } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import {
  accessEnd,
  fact,
  requestedDateFacts,
  requestName,
  resourceSection,
  stateBadge,
  submittedFact,
  type Fact,
  type TextContext,
} from './requestParts';

export interface MyRequestsModel {
  /** The requester's requests, newest first, at most 20. */
  requests: AccessRequest[];
}

export interface OverviewOptions {
  now: Date;
  timeZone?: string;
}

/** Resource rows per request, and on the whole card: 20 requests of 90 resources must stay a small card. */
const ROWS_PER_REQUEST = 5;
const ROWS_PER_CARD = 16;

/** The `status` command: the access I have (with end dates) and my other requests, each in a few lines. */
export function renderMyRequests(model: MyRequestsModel, locale: Locale, options: OverviewOptions): AdaptiveCard {
  const text: TextContext = { locale, timeZone: options.timeZone ?? 'UTC' };
  const access = model.requests.filter((r) => ACCESS_STATES.includes(r.state));
  const others = model.requests.filter((r) => !ACCESS_STATES.includes(r.state));
  const rows = rowBudget();
  const sections = [
    { heading: t(locale, 'myRequests.accessHeading'), entries: access.map((r) => accessEntry(r, text, rows)) },
    { heading: t(locale, 'myRequests.requestsHeading'), entries: others.map((r) => requestEntry(r, text, rows)) },
  ].filter((section) => section.entries.length > 0);
  return renderTemplate('myRequests', {
    title: t(locale, 'myRequests.title'),
    showEmpty: sections.length === 0,
    empty: t(locale, 'myRequests.empty'),
    sections,
  });
}

/** Hands out resource rows until the card's share is used up. */
function rowBudget() {
  let left = ROWS_PER_CARD;
  return (wanted: number): number => {
    const granted = Math.min(wanted, ROWS_PER_REQUEST, left);
    left -= granted;
    return granted;
  };
}

type RowBudget = ReturnType<typeof rowBudget>;

function accessEntry(request: AccessRequest, text: TextContext, rows: RowBudget) {
  const { locale } = text;
  const endsAt = accessEnd(request);
  const facts = [
    fact(t(locale, 'fact.accessSince'), formatDate(request.completedAt ?? request.updatedAt, locale, text.timeZone)),
    fact(t(locale, 'fact.accessEnds'), endsAt ? formatDate(endsAt, locale, text.timeZone) : t(locale, 'myRequests.noEndDate')),
  ];
  const pending = request.pendingExtension;
  if (pending) facts.push(fact(t(locale, 'extension.newEnd'), t(locale, 'release.extensionPending', { date: formatDate(pending.newEndsAt, locale, text.timeZone) })));
  const removing = request.removalStartedAt !== undefined;
  const removalFailed = request.resources.some((r) => r.status === 'removalFailed');
  const note = removalFailed ? t(locale, 'release.removalFailed') : removing ? t(locale, 'release.removing') : '';
  return {
    ...entry(request, text, rows, request.resources, facts),
    showNote: note.length > 0,
    note,
    // Give access back early: each access row has its own button while nothing is being removed.
    showRelease: !removing,
    releaseTitle: t(locale, 'release.button'),
    releaseVerb: VERBS.releaseAccess,
    requestId: request.id,
    version: request.version,
  };
}

function requestEntry(request: AccessRequest, text: TextContext, rows: RowBudget) {
  const { locale } = text;
  const stage = currentStage(request);
  const facts = [submittedFact(request, text)];
  if (stage) {
    const due = formatDateTime(stage.dueAt, locale, text.timeZone);
    facts.push(fact(t(locale, 'fact.approval'), t(locale, 'myRequests.stageDue', { stage: request.stages.length, date: due })));
  }
  if (request.state === 'scheduled') facts.push(...requestedDateFacts(request, locale));
  return {
    ...entry(request, text, rows, request.resources.filter((r) => r.status === 'failed'), facts),
    showNote: false,
    note: '',
    showRelease: false,
    releaseTitle: '',
    releaseVerb: '',
    requestId: request.id,
    version: request.version,
  };
}

function entry(request: AccessRequest, text: TextContext, rows: RowBudget, resources: AccessRequest['resources'], facts: Fact[]) {
  return {
    name: requestName(request, text.locale),
    ...stateBadge(request.state, text.locale),
    facts,
    ...resourceSection(resources, text.locale, rows(resources.length)),
  };
}
