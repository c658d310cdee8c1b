import { randomUUID } from 'node:crypto';
import { handleBatch } from './batch';
import { GraphHttpError } from './errors';
import { FaultPlan, type FaultSpec } from './faults';
import { createRoutes } from './handlers';
import { matchRoute, type EmulatorRequest, type EmulatorResponse, type Route } from './router';
import type { DirectoryStore } from './store';

/** A state-changing request the emulator received (directly or inside a `$batch`). */
export interface WriteRecord {
  method: string;
  /** With the version, without the query: `/v1.0/groups/{id}/members/$ref`. */
  path: string;
  status: number;
  /** ISO time it was received. */
  at: string;
  viaBatch: boolean;
}

export interface EmulatorCoreOptions {
  /** Cap on one page of a collection (default 999, Graph's own maximum). */
  maxPageSize?: number;
}

/** Routing, faults and the write log, independent of HTTP (the server and `$batch` both use it). */
export class GraphEmulatorCore {
  private readonly routes: Route[];
  private readonly faults = new FaultPlan();
  private readonly writeLog: WriteRecord[] = [];

  constructor(
    readonly store: DirectoryStore,
    private readonly version: string,
    options: EmulatorCoreOptions = {},
  ) {
    this.routes = createRoutes(store, { maxPageSize: options.maxPageSize ?? 999 });
  }

  failNext(spec: FaultSpec): void {
    this.faults.add(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  writes(): WriteRecord[] {
    return this.writeLog.map((w) => ({ ...w }));
  }

  dispatch(request: EmulatorRequest): EmulatorResponse {
    if (request.method === 'POST' && request.path.toLowerCase() === '/$batch') {
      return this.answer(() => handleBatch(request, (inner) => this.dispatchOne(inner, true)));
    }
    return this.dispatchOne(request, false);
  }

  private dispatchOne(request: EmulatorRequest, viaBatch: boolean): EmulatorResponse {
    let route: Route | undefined;
    const response = this.answer(() => {
      const match = matchRoute(this.routes, request.method, request.path);
      route = match.route;
      const fault = this.faults.take(request.method, request.path);
      if (fault) throw faultError(fault);
      return match.route.handle(request, match.params);
    });
    if (route?.write) {
      this.writeLog.push({
        method: request.method,
        path: `/${this.version}${request.path}`,
        status: response.status,
        at: request.now.toISOString(),
        viaBatch,
      });
    }
    return response;
  }

  private answer(run: () => EmulatorResponse): EmulatorResponse {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof GraphHttpError)) throw err;
      return errorResponse(err);
    }
  }
}

function faultError(fault: FaultSpec): GraphHttpError {
  const code = fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable');
  const message =
    fault.message ?? (fault.status === 429 ? 'Too many requests, please retry after some time.' : 'The service is temporarily unavailable.');
  const headers: Record<string, string> =
    fault.retryAfterInSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterInSeconds) } : {};
  return new GraphHttpError(fault.status, code, message, headers);
}

export function errorResponse(err: GraphHttpError): EmulatorResponse {
  return {
    status: err.status,
    headers: err.headers,
    body: {
      error: {
        code: err.code,
        message: err.message,
        innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() },
      },
    },
  };
}
