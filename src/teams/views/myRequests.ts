import { currentStage, type AccessRequest } from '../../domain/request';
import { statusSectionOf } from '../../domain/requesterOverview';
import { VERBS } from '../verbs';
import { formatDate, formatDateTime, stateText, t, type Locale } from '../i18n';
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
  /**
   * What this page shows, newest first: the access held and the open requests (the use-case bounds how many),
   * and finished requests. Each goes to its section by its state.
   */
  requests: AccessRequest[];
  /** How many access rows and open requests follow on later pages ("more"). */
  notShown?: number;
  /** The "more" button's cursor: there is more to show (older requests, or the `notShown` ones). */
  more?: string;
  /** A page reached with "more". */
  continued?: boolean;
}

export interface OverviewOptions {
  now: Date;
  timeZone?: string;
}

/** Resource rows per request, and on the whole card: a page of requests of 90 resources must stay a small card. */
const ROWS_PER_REQUEST = 5;
const ROWS_PER_CARD = 16;

/**
 * The `status` command, a page at a time: the access I have (since, until, each resource, Give up access), my open
 * requests (state, stage and due date, failed resources), then my finished requests, a line each; how many of the
 * first two are on later pages, and "more" when anything is.
 */
export function renderMyRequests(model: MyRequestsModel, locale: Locale, options: OverviewOptions): AdaptiveCard {
  const text: TextContext = { locale, timeZone: options.timeZone ?? 'UTC' };
  const of = (section: ReturnType<typeof statusSectionOf>) => model.requests.filter((r) => statusSectionOf(r) === section);
  const rows = rowBudget();
  const sections = [
    { heading: t(locale, 'myRequests.accessHeading'), entries: of('access').map((r) => accessEntry(r, text, rows)) },
    { heading: t(locale, 'myRequests.openHeading'), entries: of('open').map((r) => requestEntry(r, text, rows)) },
  ].filter((section) => section.entries.length > 0);
  const finished = of('finished').map((r) => finishedLine(r, text));
  const notShown = model.notShown ?? 0;
  const nothing = sections.length === 0 && finished.length === 0 && notShown === 0;
  return renderTemplate('myRequests', {
    title: t(locale, model.continued ? 'myRequests.titleContinued' : 'myRequests.title'),
    showEmpty: nothing && !model.more,
    empty: t(locale, model.continued ? 'myRequests.nothingMore' : 'myRequests.empty'),
    sections,
    showNotShown: notShown > 0,
    notShown: t(locale, 'myRequests.notShown', { count: notShown }),
    showFinished: finished.length > 0,
    finishedHeading: t(locale, model.continued ? 'myRequests.earlierHeading' : 'myRequests.recentHeading'),
    finished,
    showMore: model.more !== undefined,
    moreTitle: t(locale, 'myRequests.more'),
    moreVerb: VERBS.statusMore,
    cursor: model.more ?? '',
  });
}

/** A finished request in one line: its name, then its state and when it was submitted. */
function finishedLine(request: AccessRequest, text: TextContext) {
  const { locale } = text;
  return {
    name: requestName(request, locale),
    value: t(locale, 'myRequests.finishedLine', { state: stateText(locale, request.state), date: formatDate(request.submittedAt, locale, text.timeZone) }),
  };
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
