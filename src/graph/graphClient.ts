import type { TokenCredential } from '@azure/identity';
import { Client, HTTPMessageHandler, RetryHandler, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { BearerTokenMiddleware, TransportMiddleware } from './middleware';

export interface GraphRetryOptions {
  /** Retries of a 429/503/504 answer; Retry-After is honoured when present. Default 3. */
  maxRetries?: number;
  /** Base delay when there is no Retry-After, in seconds. Default 3. */
  delayInSeconds?: number;
}

export interface GraphClientOptions {
  /** e.g. `https://graph.microsoft.com/v1.0` or `http://127.0.0.1:PORT/v1.0` (the emulator). */
  baseUrl: string;
  /** Sends no token when absent (the local emulator). */
  credential?: TokenCredential;
  /** Default `https://graph.microsoft.com/.default`. */
  scopes?: string[];
  retry?: GraphRetryOptions;
  /** Limit for one HTTP attempt. Default 30 s. */
  requestTimeoutInMs?: number;
}

export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

/** `https://graph.microsoft.com/v1.0` → `{ root: 'https://graph.microsoft.com/', version: 'v1.0' }`. */
export function splitGraphBaseUrl(baseUrl: string): { root: string; version: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`Graph base URL "${baseUrl}" is not a URL (expected e.g. https://graph.microsoft.com/v1.0)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Graph base URL "${baseUrl}" must use http or https`);
  }
  if (url.search || url.hash) {
    throw new Error(`Graph base URL "${baseUrl}" must not have a query or fragment`);
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const version = segments.pop();
  if (!version) {
    throw new Error(`Graph base URL "${baseUrl}" must end with the API version (e.g. /v1.0)`);
  }
  const prefix = segments.length ? `/${segments.join('/')}/` : '/';
  return { root: `${url.origin}${prefix}`, version };
}

/** A Graph SDK client with our middleware chain: bearer token → retry (429/503/504) → timeout → fetch. */
export function createGraphClient(options: GraphClientOptions): Client {
  const { root, version } = splitGraphBaseUrl(options.baseUrl);
  const retry = new RetryHandlerOptions(options.retry?.delayInSeconds ?? 3, options.retry?.maxRetries ?? 3);
  return Client.initWithMiddleware({
    baseUrl: root,
    defaultVersion: version,
    middleware: [
      new BearerTokenMiddleware(options.credential, options.scopes ?? [GRAPH_DEFAULT_SCOPE]),
      new RetryHandler(retry),
      new TransportMiddleware(options.requestTimeoutInMs ?? 30_000),
      new HTTPMessageHandler(),
    ],
  });
}

/**
 * The path to give `client.api()` for an `@odata.nextLink`: the SDK cannot take absolute http URLs, so keep
 * what follows the version segment (`v1.0`, `beta`), plus the query.
 */
export function nextLinkPath(nextLink: string): string {
  const url = new URL(nextLink);
  const segments = url.pathname.split('/');
  const versionAt = segments.findIndex((s) => /^(v\d+(\.\d+)?|beta)$/.test(s));
  const path = versionAt >= 0 ? `/${segments.slice(versionAt + 1).join('/')}` : url.pathname;
  return `${path}${url.search}`;
}
