import { randomUUID } from 'node:crypto';
import { handleBatch } from './batch';
import { GraphHttpError } from './errors';
import { FaultPlan, type FaultSpec } from './faults';
import { createRoutes } from './handlers';
import { AppPermissions, permissionRoutes } from './permissionRoutes';
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

/** One HTTP request the emulator answered (a `$batch` counts once): the round trips a client made. */
export interface RequestRecord {
  method: string;
  /** With the version, without the query. */
  path: string;
  status: number;
  /** ISO time it was received. */
  at: string;
}

export interface EmulatorCoreOptions {
  /** Cap on one page of a collection (default 999, Graph's own maximum). */
  maxPageSize?: number;
  /**
   * The caller's application permissions, checked before every handler (default: every permission the bot asks for;
   * its service principals are in the store only when the seed went through `AppPermissions.withPrincipals`).
   */
  permissions?: AppPermissions;
}

/** Routing, application permissions, faults and the write log, independent of HTTP (the server and `$batch` both use it). */
export class GraphEmulatorCore {
  private readonly routes: Route[];
  readonly permissions: AppPermissions;
  private readonly faults = new FaultPlan();
  private readonly writeLog: WriteRecord[] = [];
  private readonly requestLog: RequestRecord[] = [];

  constructor(
    readonly store: DirectoryStore,
    private readonly version: string,
    options: EmulatorCoreOptions = {},
  ) {
    const paging = { maxPageSize: options.maxPageSize ?? 999 };
    this.permissions = options.permissions ?? new AppPermissions();
    this.routes = [...createRoutes(store, paging), ...permissionRoutes(store, this.permissions, paging)];
  }

  failNext(spec: FaultSpec): void {
    this.faults.add(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Faults still armed, with how many times each will still apply. */
  faultsArmed(): FaultSpec[] {
    return this.faults.list();
  }

  writes(): WriteRecord[] {
    return this.writeLog.map((w) => ({ ...w }));
  }

  requests(): RequestRecord[] {
    return this.requestLog.map((r) => ({ ...r }));
  }

  /** Answers one HTTP request (a `$batch` with all its inner requests). */
  dispatch(request: EmulatorRequest): EmulatorResponse {
    const response = this.dispatchOuter(request);
    this.requestLog.push({
      method: request.method,
      path: `/${this.version}${request.path}`,
      status: response.status,
      at: request.now.toISOString(),
    });
    return response;
  }

  private dispatchOuter(request: EmulatorRequest): EmulatorResponse {
    if (request.method === 'POST' && request.path.toLowerCase() === '/$batch') {
      // Only a fault naming `/$batch` hits the batch as a whole; others reach its inner requests.
      const fault = this.faults.take(request.method, request.path, true);
      const response =
        fault?.status !== undefined
          ? errorResponse(faultError(fault, fault.status))
          : this.answer(() => handleBatch(request, (inner) => this.dispatchOne(inner, true)));
      return withDelay(response, fault?.delayInMs);
    }
    return this.dispatchOne(request, false);
  }

  private dispatchOne(request: EmulatorRequest, viaBatch: boolean): EmulatorResponse {
    let route: Route | undefined;
    let delayInMs: number | undefined;
    const response = this.answer(() => {
      const match = matchRoute(this.routes, request.method, this.permissions.resolvePath(request.path));
      route = match.route;
      const fault = this.faults.take(request.method, request.path);
      delayInMs = fault?.delayInMs;
      if (fault?.status !== undefined) throw faultError(fault, fault.status);
      // As Graph: a call no granted application permission allows is refused before anything is looked up.
      this.permissions.authorize(match.route.method, match.route.pattern, match.params);
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
    return withDelay(response, delayInMs);
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

const FAULT_DEFAULTS: Record<number, { code: string; message: string }> = {
  403: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
  404: {
    code: 'Request_ResourceNotFound',
    message: 'Resource does not exist or one of its queried reference-property objects are not present.',
  },
  429: { code: 'TooManyRequests', message: 'Too many requests, please retry after some time.' },
  500: { code: 'generalException', message: 'An unexpected error occurred on the server.' },
  502: { code: 'BadGateway', message: 'The gateway received an invalid response.' },
  504: { code: 'GatewayTimeout', message: 'The gateway timed out.' },
};
const SERVICE_UNAVAILABLE = { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' };

function faultError(fault: FaultSpec, status: number): GraphHttpError {
  const defaults = FAULT_DEFAULTS[status] ?? SERVICE_UNAVAILABLE;
  const headers: Record<string, string> =
    fault.retryAfterInSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterInSeconds) } : {};
  return new GraphHttpError(status, fault.code ?? defaults.code, fault.message ?? defaults.message, headers);
}

function withDelay(response: EmulatorResponse, delayInMs: number | undefined): EmulatorResponse {
  if (!delayInMs || delayInMs <= 0) return response;
  return { ...response, delayInMs: Math.max(delayInMs, response.delayInMs ?? 0) };
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
