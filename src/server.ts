/** HTTP endpoints (CONTRACT §3): /api/messages, /healthz, and in local mode the dev routes. */
import restify from 'restify';
import type { Logger } from './app/ports';
import { refusalOf } from './http/admission';
import { BodyAbortedError, BodyError, readJsonBody } from './http/jsonBody';
import { registerDevRoutes, type DevRoutesOptions } from './local/devRoutes';
import type { TeamsBot } from './teams/bot';

export interface Readiness {
  /** Why the bot cannot answer yet (it is starting), or undefined. */
  startingReason(): string | undefined;
  /** Why the bot is not healthy now (starting, storage unreachable), or undefined; may probe storage (cached). */
  healthProblem(): Promise<string | undefined>;
}

export interface ServerOptions {
  logger: Logger;
  readiness: Readiness;
  /** Unauthenticated local mode: only requests addressed to loopback are answered. */
  localMode: boolean;
  /** Set once the bot is built; until then /api/messages answers 503. */
  bot: () => TeamsBot | undefined;
  /** Local mode only: the dev clock and tick routes. Without it those paths answer 404. */
  dev?: DevRoutesOptions;
}

/** A whole request (headers and body) must arrive within these, or the connection is closed. */
const HEADERS_TIMEOUT_IN_MS = 10_000;
const REQUEST_TIMEOUT_IN_MS = 20_000;

export function createServer(options: ServerOptions): restify.Server {
  // noWriteContinue: a client that asks before uploading (`Expect: 100-continue`, as curl does for large bodies)
  // is told to go on only once the request is admitted, so a refused upload is never sent.
  const server = restify.createServer({ name: 'access-requests-bot', handleUncaughtExceptions: false, noWriteContinue: true });
  server.server.headersTimeout = HEADERS_TIMEOUT_IN_MS;
  server.server.requestTimeout = REQUEST_TIMEOUT_IN_MS;

  // Before routing and before the body is read: what cannot be read safely is refused. Node discards the rest of
  // an unread body after the answer (closing at once would reset the connection before the client reads it).
  server.pre((req, res, next) => {
    const refusal = refusalOf(req, { localMode: options.localMode });
    if (!refusal) return next();
    res.send(refusal.status, { error: refusal.error });
    return next(false);
  });
  server.use((req, res, next) => {
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    readJsonBody(req).then(
      (body) => {
        req.body = body;
        next();
      },
      (err: unknown) => {
        if (err instanceof BodyError) {
          res.send(err.status, { error: err.message });
        } else if (err instanceof BodyAbortedError) {
          options.logger.debug({ path: req.path() }, 'request aborted while its body was read');
        } else {
          return next(err instanceof Error ? err : new Error(String(err)));
        }
        next(false);
      },
    );
  });

  server.get('/healthz', async (_req, res) => {
    const problem = await options.readiness.healthProblem();
    res.send(problem ? 503 : 200, problem ? { status: 'unavailable', reason: problem } : { status: 'ok' });
  });

  server.post('/api/messages', async (req, res) => {
    const bot = options.bot();
    const starting = options.readiness.startingReason();
    if (!bot || starting) {
      res.send(503, { error: starting ?? 'starting' });
      return;
    }
    await bot.handle(req, res);
  });

  if (options.dev) {
    registerDevRoutes(server, { ...options.dev, logger: options.logger, notReadyReason: () => options.readiness.startingReason() });
  }

  return server;
}
