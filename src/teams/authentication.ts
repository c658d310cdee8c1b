/**
 * Who may call /api/messages: the Bot Framework SDK checks the token; this module turns what it throws into an
 * answer. A token that is missing, forged, expired or for another bot is the caller's problem (401); a token that
 * cannot be checked because the Bot Framework's OpenID metadata cannot be fetched is ours (503, try again later),
 * logged once a minute at most, so a flood of requests during an outage does not flood the log.
 */
import type { Activity } from 'botbuilder';
import { describe } from '../app/describe';
import type { Logger } from '../app/ports';
import type { AuthenticateRequestResult, BotAdapter } from './adapter';

export interface AuthRefusal {
  status: 401 | 503;
  error: string;
}

/** A metadata fetch that never answers must not hold the request for ever. */
const AUTHENTICATION_TIMEOUT_IN_MS = 10_000;
const OUTAGE_WARNING_EVERY_IN_MS = 60_000;

const UNAUTHENTICATED: AuthRefusal = { status: 401, error: 'This request is not authenticated: a valid Bot Framework token is required.' };
const OUTAGE: AuthRefusal = { status: 503, error: 'The bot cannot verify who sent this request right now. Try again in a minute.' };

/** Errors of jsonwebtoken's verify, which the SDK rethrows as they are. */
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);
/** Network failures of the metadata fetch (node-fetch's FetchError carries the system code). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

class AuthenticationTimeout extends Error {
  constructor() {
    super(`no answer within ${AUTHENTICATION_TIMEOUT_IN_MS / 1000} s`);
    this.name = 'AuthenticationTimeout';
  }
}

export class Authenticator {
  private lastWarningAt = -Infinity;
  private unwarned = 0;

  constructor(
    private readonly adapter: BotAdapter,
    private readonly logger: Logger,
  ) {}

  async authenticate(activity: Partial<Activity>, authHeader: string): Promise<AuthenticateRequestResult | AuthRefusal> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new AuthenticationTimeout()), AUTHENTICATION_TIMEOUT_IN_MS);
    });
    try {
      return await Promise.race([this.adapter.authenticate(activity, authHeader), timeout]);
    } catch (err) {
      if (!isOutage(err)) return UNAUTHENTICATED;
      this.warnOfOutage(err);
      return OUTAGE;
    } finally {
      clearTimeout(timer);
    }
  }

  private warnOfOutage(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarningAt < OUTAGE_WARNING_EVERY_IN_MS) {
      this.unwarned++;
      return;
    }
    this.logger.warn(
      { err: describe(err), alsoRefusedSinceLastWarning: this.unwarned },
      'Bot Framework tokens cannot be checked (OpenID metadata unreachable): answering 503',
    );
    this.lastWarningAt = now;
    this.unwarned = 0;
  }
}

export function isAuthRefusal(value: AuthenticateRequestResult | AuthRefusal): value is AuthRefusal {
  return 'error' in value && 'status' in value;
}

/** True when the token could not be checked at all, as opposed to checked and refused. */
function isOutage(err: unknown): boolean {
  if (err instanceof AuthenticationTimeout) return true;
  const { name, statusCode, code } = (err ?? {}) as { name?: string; statusCode?: unknown; code?: unknown };
  if (name !== undefined && TOKEN_ERRORS.has(name)) return false;
  // The SDK's AuthenticationError: 401 for a refused token, 500 when the metadata or its keys could not be loaded.
  if (typeof statusCode === 'number') return statusCode >= 500;
  return name === 'FetchError' || (typeof code === 'string' && NETWORK_CODES.has(code));
}
