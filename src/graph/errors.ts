import { GraphClientError, GraphError } from '@microsoft/microsoft-graph-client';

/** Why a call never got an HTTP answer. */
export type TransportFailure = 'Timeout' | 'ConnectionError' | 'AuthenticationFailed';

/**
 * Thrown by our middleware when there is no HTTP answer. It extends GraphClientError because the SDK
 * rethrows those unchanged, while any other error is flattened into a GraphError that loses its cause.
 */
export class GraphTransportError extends GraphClientError {
  constructor(
    readonly failure: TransportFailure,
    message: string,
  ) {
    super(message);
    // GraphClientError's constructor pins the prototype to its own; restore ours so instanceof works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'GraphTransportError';
  }
}

/**
 * A failed Graph call, normalized: the HTTP status (undefined when there was no answer), the Graph error
 * code (e.g. `Request_ResourceNotFound`) and Graph's own message.
 */
export class GraphCallError extends Error {
  constructor(
    readonly statusCode: number | undefined,
    readonly code: string,
    readonly graphMessage: string,
    /** What the answer's `Retry-After` asked for, when it had one. */
    readonly retryAfterInMs?: number,
  ) {
    super(describe(statusCode, code, graphMessage));
    this.name = 'GraphCallError';
  }

  /** Worth retrying later: throttled, server-side trouble, or no answer at all. */
  get transient(): boolean {
    const status = this.statusCode;
    return status === undefined || status === 408 || status === 429 || status >= 500;
  }

  is(statusCode: number, messageStartsWith?: string): boolean {
    return this.statusCode === statusCode && (messageStartsWith === undefined || this.graphMessage.startsWith(messageStartsWith));
  }
}

function describe(statusCode: number | undefined, code: string, message: string): string {
  const text = message.trim() || 'no message';
  return statusCode === undefined ? `Graph unreachable (${code}): ${text}` : `Graph ${statusCode} ${code}: ${text}`;
}

/**
 * Maps what the Graph SDK throws to a GraphCallError; returns undefined for anything else (a bug, which the
 * caller rethrows).
 */
export function toGraphCallError(err: unknown): GraphCallError | undefined {
  if (err instanceof GraphCallError) return err;
  if (err instanceof GraphTransportError) return new GraphCallError(undefined, err.failure, err.message);
  if (err instanceof GraphError) {
    // statusCode -1: the SDK got no usable answer (e.g. a body that is not JSON).
    const status = err.statusCode > 0 ? err.statusCode : undefined;
    return new GraphCallError(status, err.code ?? 'UnknownError', err.message, parseRetryAfter(err.headers?.get('retry-after')));
  }
  return undefined;
}

/** `Retry-After` in milliseconds: Graph sends seconds; an HTTP date is also allowed by the standard. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || !value.trim()) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Runs one SDK call and rethrows its failure as a GraphCallError (other errors unchanged). */
export async function callGraph<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw toGraphCallError(err) ?? err;
  }
}
