import { GraphHttpError } from './errors';

export interface EmulatorRequest {
  method: string;
  /** Path after the version, e.g. `/groups/{id}/members/$ref`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  /** e.g. `http://127.0.0.1:PORT/v1.0`, for `@odata.nextLink` and `@odata.context`. */
  baseUrl: string;
  now: Date;
}

export interface EmulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the answer this much later (a delay fault). */
  delayInMs?: number;
}

export type RouteParams = Record<string, string>;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Segments; `:name` captures one segment. */
  pattern: string;
  /** Changes state (counted by `writes()`); read-only POST actions such as checkMemberGroups are not. */
  write: boolean;
  handle(request: EmulatorRequest, params: RouteParams): EmulatorResponse;
}

export interface RouteMatch {
  route: Route;
  params: RouteParams;
}

function matchPattern(pattern: string, segments: string[]): RouteParams | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: RouteParams = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(':')) params[parts[i].slice(1)] = segments[i];
    else if (parts[i].toLowerCase() !== segments[i].toLowerCase()) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GraphHttpError(400, 'BadRequest', `Invalid segment '${segment}' in the request URI.`);
  }
}

/** The route for a request; a Graph-shaped 400 for an unknown path or an unsupported method. */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  let pathKnown = false;
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    pathKnown = true;
  }
  if (pathKnown) {
    throw new GraphHttpError(400, 'Request_BadRequest', `Method '${method}' is not supported for '${path}'.`);
  }
  throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments.at(-1) ?? ''}'.`);
}
