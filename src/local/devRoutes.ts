/**
 * The local-mode routes of CONTRACT §3: `POST /api/dev/clock` moves the bot's clock and
 * `POST /api/dev/tick` runs the work that is due now. Registered only in local mode.
 */
import type restify from 'restify';
import type { Logger } from '../app/ports';
import { DevClockError, type DevClock } from './devClock';

export interface DevRoutesOptions {
  clock: DevClock;
  /** Runs the scheduler tick, waits for the effects it started, and returns its summary. */
  tick: () => Promise<unknown>;
}

export interface DevRoutesContext extends DevRoutesOptions {
  logger: Logger;
  /** undefined when ready; otherwise why the bot cannot tick yet. */
  notReadyReason: () => string | undefined;
}

class BadRequest extends Error {}

const USAGE = 'send {"advance": "P3D"} (an ISO 8601 duration) or {"now": "2026-12-01T09:00:00Z"}';

export function registerDevRoutes(server: restify.Server, context: DevRoutesContext): void {
  server.post('/api/dev/clock', (req, res, next) => {
    try {
      const body = readClockBody(req.body);
      const now = 'advance' in body ? context.clock.advance(body.advance) : context.clock.set(body.now);
      context.logger.info({ now: now.toISOString(), ...body }, 'dev clock moved');
      res.send(200, { now: now.toISOString() });
    } catch (err) {
      if (err instanceof BadRequest || err instanceof DevClockError) res.send(400, { error: sentence(err.message) });
      else res.send(500, { error: `The clock could not be moved: ${err instanceof Error ? err.message : String(err)}` });
    }
    next();
  });

  server.post('/api/dev/tick', async (_req, res) => {
    const notReady = context.notReadyReason();
    if (notReady) {
      res.send(503, { error: notReady });
      return;
    }
    try {
      res.send(200, await context.tick());
    } catch (err) {
      context.logger.error({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'dev tick failed');
      res.send(500, { error: `The tick failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
}

type ClockBody = { advance: string } | { now: string };

function readClockBody(body: unknown): ClockBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(`The body must be a JSON object: ${USAGE}`);
  const keys = Object.keys(body);
  const record = body as Record<string, unknown>;
  if (keys.length !== 1 || !(keys[0] === 'advance' || keys[0] === 'now')) {
    throw new BadRequest(`The body must have exactly one of "advance" or "now": ${USAGE}`);
  }
  const key = keys[0];
  const value = record[key];
  if (typeof value !== 'string') throw new BadRequest(`"${key}" must be a string: ${USAGE}`);
  return key === 'advance' ? { advance: value } : { now: value };
}

/** Error messages as a sentence: capitalised, with a full stop. */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
