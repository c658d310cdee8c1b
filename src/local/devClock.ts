/**
 * The clock of local mode: the system clock plus an offset that `POST /api/dev/clock` moves, so
 * timeouts, reminders and escalations can be tried without waiting days.
 */
import type { Clock } from '../app/ports';
import { systemClock } from '../clock';

export class DevClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevClockError';
  }
}

const MS = { week: 7 * 86_400_000, day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1000 };

/** PnW, PnD, PTnHnMnS and their combinations (P1DT12H); only the seconds may have a fraction. */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
/** A date and time with an explicit offset: 2026-12-01T09:00:00Z, 2026-12-01T18:00+09:00. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 duration in milliseconds; a DevClockError with a sentence saying what is accepted otherwise. */
export function parseIsoDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) {
    const datePart = text.startsWith('P') ? text.slice(1).split('T')[0] : '';
    if (/\d[YM]/.test(datePart)) {
      throw new DevClockError(
        `"${text}" uses years or months, whose length depends on the date; use weeks, days, hours, minutes or seconds (e.g. P30D)`,
      );
    }
    throw new DevClockError(`"${text}" is not an ISO 8601 duration such as P3D, PT2H or P1DT12H`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const number = (value: string | undefined): number => (value ? Number(value.replace(',', '.')) : 0);
  return (
    number(weeks) * MS.week +
    number(days) * MS.day +
    number(hours) * MS.hour +
    number(minutes) * MS.minute +
    Math.round(number(seconds) * MS.second)
  );
}

/** An ISO 8601 date and time with Z or an offset; a DevClockError otherwise. */
export function parseInstant(text: string): Date {
  const at = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at)) {
    throw new DevClockError(`"${text}" is not an ISO 8601 date and time with a time zone, such as 2026-12-01T09:00:00Z`);
  }
  return new Date(at);
}

export class DevClock implements Clock {
  private offsetInMs = 0;

  constructor(private readonly base: Clock = systemClock) {}

  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetInMs);
  }

  /** Moves the clock to `instant` (forwards or backwards); it keeps running from there. */
  set(instant: Date | string): Date {
    const at = typeof instant === 'string' ? parseInstant(instant) : instant;
    if (!Number.isFinite(at.getTime())) throw new DevClockError('the dev clock cannot be set to an invalid date');
    this.offsetInMs = at.getTime() - this.base.now().getTime();
    return this.now();
  }

  /** Moves the clock forward by an ISO 8601 duration of weeks, days, hours, minutes and seconds (e.g. P3D, PT2H, P1DT12H). */
  advance(isoDuration: string): Date {
    this.offsetInMs += parseIsoDuration(isoDuration);
    return this.now();
  }
}
