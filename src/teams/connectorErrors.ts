/**
 * What a failed Bot Connector call says: its status, Teams' documented error code and what that code means for
 * the conversation, and how long Teams asked the bot to wait.
 */
import type { SendOutcome } from '../app/ports';

/** Answers worth trying again: throttled (429, after Retry-After), and 412/502/503/504 with backoff. */
export const RETRIED_STATUS = new Set([429, 412, 502, 503, 504]);

export function statusCodeOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * What a refusal of the Bot Connector means for the conversation it was sent to:
 * - `stale`: the stored conversation is no good any more; forget it and reach the person again.
 * - `blocked`: the person blocked the bot; `notInstalled`: the bot may not reach them (admin policy).
 * - `failed`: anything else.
 */
export type RefusalKind = 'stale' | 'blocked' | 'notInstalled' | 'failed';

/**
 * Teams' documented error codes ("Status codes from bot conversational APIs",
 * https://learn.microsoft.com/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis,
 * and MessageWritesBlocked from "Understand who blocked, muted, or uninstalled a bot",
 * https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages), by meaning.
 */
const REFUSALS: Readonly<Record<string, RefusalKind>> = {
  /** 404: the conversation doesn't exist or is deleted; "Remove the ID if it was cached." */
  ConversationNotFound: 'stale',
  /** 403: the bot isn't part of the conversation; "App needs to be reinstalled in conversation." */
  BotNotInConversationRoster: 'stale',
  /** 403: the bot isn't installed in the person's personal scope; "install the app in personal scope". */
  ForbiddenOperationException: 'stale',
  /** 403: the person blocked the bot in the personal chat. */
  ConversationBlockedByUser: 'blocked',
  /** 403, errorCode 209: the person blocked, muted or uninstalled the bot; "the message … isn't delivered". */
  MessageWritesBlocked: 'blocked',
  /** 403: the tenant admin disabled the bot for them (app policies): it may not reach them until they write to it. */
  BotDisabledByAdmin: 'notInstalled',
};

export interface ConnectorRefusal {
  status?: number;
  /** The Bot Connector's error code (`ConversationNotFound`, …), or `subCode` of a MessageWritesBlocked answer; '' if none. */
  code: string;
  kind: RefusalKind;
  /** "Bot Connector 404 ConversationNotFound: Conversation not found." */
  description: string;
}

/** Parses JSON text; undefined when it is not. */
function jsonOf(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || !text.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Reads a failed Bot Connector call: its status, the error code of its body (`{"error":{"code","message"}}`, or the
 * `subCode` in the JSON text of `message` that a MessageWritesBlocked answer carries) and what that code means.
 */
export function connectorRefusalOf(err: unknown): ConnectorRefusal {
  const status = statusCodeOf(err);
  const body = (err as { details?: unknown })?.details as { error?: { code?: unknown; message?: unknown }; code?: unknown; message?: unknown } | undefined;
  const inner = jsonOf(body?.message) as { subCode?: unknown; details?: unknown } | undefined;
  const rawCode = body?.error?.code ?? body?.code ?? inner?.subCode;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const detail = inner ? inner.details : (body?.error?.message ?? body?.message);
  const message = typeof detail === 'string' && detail ? detail : err instanceof Error ? err.message : String(err);
  const kind = (status !== undefined && REFUSALS[code]) || 'failed';
  const description = status === undefined ? message : `Bot Connector ${status}${code ? ` ${code}` : ''}: ${message}`;
  return { ...(status === undefined ? {} : { status }), code, kind, description };
}

export function retryAfterInMsOf(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: { get?(name: string): string | undefined } } })?.response?.headers;
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : undefined;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A card that was not sent, as the audit trail records it. */
export type SendFailure = Exclude<SendOutcome, { status: 'sent' }>;

/** A failed send after its retries, as a send outcome; `stale` when Teams says the conversation is gone. */
export function sendFailureOf(err: unknown, where: string): { failure: SendFailure; stale: boolean } {
  const refusal = connectorRefusalOf(err);
  const reason = `${refusal.description}${where}`;
  const status = refusal.kind === 'stale' ? 'notInstalled' : refusal.kind;
  return { failure: { status, reason }, stale: refusal.kind === 'stale' };
}
