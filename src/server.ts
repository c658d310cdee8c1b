/** HTTP endpoints (CONTRACT §3): /api/messages, /healthz, and in local mode the dev routes. */
import restify from 'restify';
import type { Logger } from './app/ports';
import { registerDevRoutes, type DevRoutesOptions } from './local/devRoutes';
import type { TeamsBot } from './teams/bot';

export interface Readiness {
  /** undefined when ready; otherwise the reason the bot is not ready yet. */
  notReadyReason(): string | undefined;
}

export interface ServerOptions {
  logger: Logger;
  readiness: Readiness;
  /** Set once the bot is built; until then /api/messages answers 503. */
  bot: () => TeamsBot | undefined;
  /** Local mode only: the dev clock and tick routes. Without it those paths answer 404. */
  dev?: DevRoutesOptions;
}

export function createServer(options: ServerOptions): restify.Server {
  const server = restify.createServer({ name: 'access-requests-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 512 * 1024, mapParams: false }));

  server.get('/healthz', (_req, res, next) => {
    const reason = options.readiness.notReadyReason();
    res.send(reason ? 503 : 200, reason ? { status: 'unavailable', reason } : { status: 'ok' });
    next();
  });

  server.post('/api/messages', async (req, res) => {
    const bot = options.bot();
    if (!bot || options.readiness.notReadyReason()) {
      res.send(503, { error: options.readiness.notReadyReason() ?? 'starting' });
      return;
    }
    try {
      await bot.handle(req, res);
    } catch (err) {
      // The adapter rejects a body that is not a Bot Framework activity before running any logic.
      options.logger.info({ err: err instanceof Error ? err.message : String(err) }, 'malformed activity refused');
      if (!res.headersSent) res.send(400, { error: 'The request body is not a valid Bot Framework activity.' });
    }
  });

  if (options.dev) {
    registerDevRoutes(server, { ...options.dev, logger: options.logger, notReadyReason: () => options.readiness.notReadyReason() });
  }

  return server;
}
