import pino from 'pino';
import type { LogLevel } from './config';
import type { Logger } from './app/ports';

/** Structured JSON logs on stdout, one line per event; secrets never enter a log call. */
export function createLogger(level: LogLevel | 'silent'): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
