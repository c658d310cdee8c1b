/**
 * Intl.DateTimeFormat instances, built once per language, format and time zone: building one costs far more
 * than formatting with it (it showed in the bot's CPU profile). Zones come from Teams clients, and any
 * spelling of a zone is valid, so the cache is bounded.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATS = 1_000;

/** `name` identifies `options` (without the zone); an unknown zone throws RangeError, as the constructor does. */
export function dateTimeFormat(locale: string, name: string, options: Intl.DateTimeFormatOptions, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${name}|${timeZone}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(key, format);
  }
  return format;
}

/** YYYY-MM-DD of `instant` in the given zone (UTC when the zone is unknown or invalid). */
export function localDate(instant: Date, timeZone?: string): string {
  try {
    return dateTimeFormat('en-CA', 'date', {}, timeZone || 'UTC').format(instant);
  } catch {
    return instant.toISOString().slice(0, 10);
  }
}
