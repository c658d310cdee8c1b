import type { AuditEntry } from '../../app/ports';
import { REQUEST_STATES, type AccessRequest, type RequestState } from '../../domain/request';
import { formatDateTime, isMessageKey, stateText, t, type Locale } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import { fact, type TextColor } from './requestParts';

/** The card shows the newest entries when a long-lived request has more (oldest first among them). */
export const MAX_HISTORY_ENTRIES = 40;

function isState(value: string): value is RequestState {
  return (REQUEST_STATES as readonly string[]).includes(value);
}

/** "submitted → pendingApproval" with the states in the viewer's words. */
function statesText(outcome: string, locale: Locale): string {
  return outcome
    .split('→')
    .map((part) => part.trim())
    .map((part) => (isState(part) ? stateText(locale, part) : part))
    .filter((part) => part.length > 0)
    .join(' → ');
}

/** "approvalRequest → Diego Siciliani (<object id>)": the note's detail and the person it is about, when there is one. */
function detailOf(entry: AuditEntry, names: Readonly<Record<string, string>>): string {
  const detail = entry.detail ?? '';
  if (!entry.subjectId) return detail;
  const name = names[entry.subjectId];
  return `${detail} → ${name ? `${name} (${entry.subjectId})` : entry.subjectId}`;
}

/** The person's name when known, else their object id; no actor is the bot itself. */
function nameOf(names: Readonly<Record<string, string>>, actorId: string | undefined, locale: Locale): string {
  if (!actorId) return t(locale, 'history.bot');
  return names[actorId] ?? actorId;
}

const NOTIFY_OUTCOMES = ['sent', 'throttledThenSent', 'blocked', 'notInstalled', 'failed'] as const;
type NotifyWord = (typeof NOTIFY_OUTCOMES)[number];

/** A notification's outcome as recorded (`<word>` or `<word>: <reason>`), split. */
function notifyOutcomeParts(outcome: string): { word?: NotifyWord; reason: string } {
  const at = outcome.indexOf(':');
  const head = at < 0 ? outcome : outcome.slice(0, at);
  const word = NOTIFY_OUTCOMES.find((w) => w === head.trim());
  return { word, reason: word && at >= 0 ? outcome.slice(at + 1).trim() : word ? '' : outcome };
}

/** "blocked by the user (Bot Connector 403 …)" in the viewer's words. */
function notifyOutcomeText(outcome: string, locale: Locale): string {
  const { word, reason } = notifyOutcomeParts(outcome);
  if (!word) return reason;
  const text = t(locale, `history.notify.${word}`);
  return reason ? `${text} (${reason})` : text;
}

function outcomeColorOf(entry: AuditEntry): TextColor {
  const outcome = entry.outcome ?? '';
  if (entry.action === 'transition' || !outcome) return 'default';
  if (entry.action === 'notify') {
    const { word } = notifyOutcomeParts(outcome);
    if (word === 'failed') return 'attention';
    if (word === 'blocked' || word === 'notInstalled') return 'warning';
    return 'good';
  }
  return outcome.startsWith('failed') ? 'attention' : 'good';
}

function entryView(entry: AuditEntry, names: Readonly<Record<string, string>>, locale: Locale) {
  const actionKey = `history.action.${entry.action}`;
  const isTransition = entry.action === 'transition';
  const action = isTransition
    ? t(locale, 'history.action.transition', { states: statesText(entry.outcome ?? '', locale) })
    : isMessageKey(actionKey)
      ? t(locale, actionKey)
      : t(locale, 'history.action.other', { action: entry.action });
  const outcome = isTransition ? '' : entry.action === 'notify' ? notifyOutcomeText(entry.outcome ?? '', locale) : (entry.outcome ?? '');
  const outcomeColor: TextColor = outcomeColorOf(entry);
  return {
    heading: t(locale, 'history.entryHeading', { date: formatDateTime(entry.at, locale), who: nameOf(names, entry.actorId, locale) }),
    action,
    showDetail: Boolean(entry.detail || entry.subjectId),
    detail: detailOf(entry, names),
    showOutcome: outcome.length > 0,
    outcome: t(locale, 'history.outcome', { outcome }),
    outcomeColor,
  };
}

/** A request's audit trail for its managers, oldest first, in the viewer's locale; `names` by object id. */
export function renderRequestHistory(
  request: AccessRequest,
  entries: readonly AuditEntry[],
  names: Readonly<Record<string, string>>,
  locale: Locale,
): AdaptiveCard {
  const shown = entries.slice(-MAX_HISTORY_ENTRIES);
  return renderTemplate('requestHistory', {
    title: t(locale, 'history.title', { requester: request.requester.displayName, package: request.packageName }),
    facts: [fact(t(locale, 'fact.requestId'), request.id), fact(t(locale, 'fact.status'), stateText(locale, request.state))],
    showNothing: entries.length === 0,
    nothing: t(locale, 'history.nothing'),
    entries: shown.map((entry) => entryView(entry, names, locale)),
    showMore: entries.length > shown.length,
    more: t(locale, 'history.more', { count: entries.length - shown.length }),
  });
}
