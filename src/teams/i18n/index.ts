import { REQUEST_STATES, type DecisionOutcome, type RequestState } from '../../domain/request';
import type { MessageParams } from '../../domain/errors';
import { en, type MessageKey } from './en';
import { ja } from './ja';
import { dateTimeFormat } from '../../dateFormats';

export type { MessageKey } from './en';
export type Locale = 'en' | 'ja';

export const LOCALES: readonly Locale[] = ['en', 'ja'];

const catalogs: Record<Locale, Record<MessageKey, string>> = { en, ja };
const intlLocales: Record<Locale, string> = { en: 'en-US', ja: 'ja-JP' };

export function messageCatalog(locale: Locale): Readonly<Record<MessageKey, string>> {
  return catalogs[locale];
}

/** Teams sends the client's locale (`en-US`, `ja-JP`, ...): Japanese for `ja` / `ja-*`, English otherwise. */
export function localeOf(teamsLocale?: unknown): Locale {
  // Activities are untrusted: a locale that is not a string counts as unknown (English).
  const language = typeof teamsLocale === 'string' ? teamsLocale.trim().toLowerCase() : '';
  return language === 'ja' || language.startsWith('ja-') ? 'ja' : 'en';
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/** The message for `key`, with each `{name}` replaced by `params[name]` (unknown placeholders stay as written). */
export function t(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  return catalogs[locale][key].replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : placeholder,
  );
}

export function stateText(locale: Locale, state: RequestState): string {
  return t(locale, `state.${state}`);
}

/** "1 day", "3 days". */
export function daysText(locale: Locale, count: number): string {
  return count === 1 ? t(locale, 'common.oneDay') : t(locale, 'common.days', { count });
}

function isRequestState(value: string | number | undefined): value is RequestState {
  return typeof value === 'string' && (REQUEST_STATES as readonly string[]).includes(value);
}

function isDecisionOutcome(value: string | number | undefined): value is DecisionOutcome {
  return value === 'approved' || value === 'denied';
}

function isDateField(value: string | number | undefined): value is 'startDate' | 'endDate' {
  return value === 'startDate' || value === 'endDate';
}

/**
 * The text of a domain error (`DomainError.messageKey` / `params`) in the recipient's language.
 * Use-cases put raw values in params (a state, an outcome, a field name, a YYYY-MM-DD date); they are
 * translated here.
 * An unknown key means a bug elsewhere: the person still gets a sentence, not a key.
 */
export function errorText(locale: Locale, messageKey: string, params: MessageParams = {}): string {
  if (!isMessageKey(messageKey)) return t(locale, 'error.tryAgain');
  const { state, outcome, field, date } = params;
  const localized: MessageParams = { ...params };
  if (isRequestState(state)) localized.state = stateText(locale, state);
  if (isDecisionOutcome(outcome)) localized.outcome = t(locale, `outcome.${outcome}`);
  if (isDateField(field)) localized.field = t(locale, `field.${field}`);
  if (typeof date === 'string' && DATE_ONLY.test(date)) localized.date = formatDate(date, locale);
  return t(locale, messageKey, localized);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An instant (ISO 8601) as date and time in `timeZone`, with the zone named so nobody has to guess. */
export function formatDateTime(iso: string, locale: Locale, timeZone = 'UTC'): string {
  return formatter('dateTime', locale, timeZone).format(parseIso(iso));
}

/**
 * A calendar date. `YYYY-MM-DD` is a date without a zone and is shown as written;
 * a full instant is shown as its date in `timeZone`.
 */
export function formatDate(isoOrDate: string, locale: Locale, timeZone = 'UTC'): string {
  const isDateOnly = DATE_ONLY.test(isoOrDate);
  return formatter('date', locale, isDateOnly ? 'UTC' : timeZone).format(parseIso(isDateOnly ? `${isoOrDate}T00:00:00Z` : isoOrDate));
}

const FORMATS = {
  dateTime: { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  date: { year: 'numeric', month: 'short', day: 'numeric' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;

function formatter(format: keyof typeof FORMATS, locale: Locale, timeZone: string): Intl.DateTimeFormat {
  return dateTimeFormat(intlLocales[locale], format, FORMATS[format], timeZone);
}

function parseIso(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO 8601 date: ${JSON.stringify(iso)}`);
  return date;
}
