import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_PREFIX, handleControl } from './control';
import { GraphEmulatorCore, errorResponse, type RequestRecord, type WriteRecord } from './emulator';
import { GraphHttpError } from './errors';
import type { FaultSpec } from './faults';
import { AppPermissions } from './permissionRoutes';
import type { EmulatorResponse } from './router';
import { loadGraphSeed, parseGraphSeed, type GraphSeed, type GraphSeedInput } from './seed';
import { DirectoryStore } from './store';

const VERSION = 'v1.0';
/** Graph refuses bodies above 4 MB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface GraphEmulatorOptions {
  /** The tenant, as an object (validated like a seed file) ... */
  seed?: GraphSeedInput | GraphSeed;
  /** ... or the path of a seed file such as `directory.sample.json`. */
  seedFile?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <requireToken>` (else 401, as Graph). */
  requireToken?: string;
  /** Cap on one page of a collection, to exercise `@odata.nextLink` (default 999). */
  maxPageSize?: number;
  /** Time source for `createdDateTime` and the write log. */
  now?: () => Date;
  /**
   * The Microsoft Graph application permissions granted to the caller (every request is the app with client id
   * LOCAL_GRAPH_CLIENT_ID). Default: every permission the bot asks for (src/graph/permissions.ts): local mode grants all.
   */
  grantedPermissions?: readonly string[];
}

export interface GraphEmulator {
  /** e.g. `http://127.0.0.1:PORT/v1.0`: use as GRAPH_BASE_URL. */
  url: string;
  /** e.g. `http://127.0.0.1:PORT/_emulator`: fault switches, logs and state over HTTP (see control.ts). */
  controlUrl: string;
  close(): Promise<void>;
  /** State-changing requests received so far (inner `$batch` requests included), oldest first. */
  writes(): WriteRecord[];
  /** HTTP requests received so far (a `$batch` counts once), oldest first: the client's round trips. */
  requests(): RequestRecord[];
  /**
   * Answers the next matching request(s) with this failure (or delay) instead. Over HTTP the same is
   * `POST /_emulator/faults`; see control.ts.
   */
  failNext(fault: FaultSpec): void;
  clearFaults(): void;
  /**
   * Withdraws a Microsoft Graph application permission from the caller: calls only it allowed answer 403
   * Authorization_RequestDenied from now on. Over HTTP: `DELETE /_emulator/permissions/{permission}`.
   */
  withdrawPermission(permission: string): void;
  /** Grants it (again). Over HTTP: `PUT /_emulator/permissions/{permission}`. */
  grantPermission(permission: string): void;
  /** The permissions granted now, as `GET /servicePrincipals/{caller}/appRoleAssignments` shows them. */
  grantedPermissions(): string[];
  /** The in-memory tenant, for assertions. */
  store: DirectoryStore;
}

/** Starts a real HTTP server answering the Microsoft Graph v1.0 calls the bot makes. */
export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  if ((options.seed === undefined) === (options.seedFile === undefined)) {
    throw new Error('startGraphEmulator needs exactly one of seed or seedFile');
  }
  const seed = options.seedFile !== undefined ? await loadGraphSeed(options.seedFile) : parseGraphSeed(options.seed, 'seed');
  const now = options.now ?? (() => new Date());
  const permissions = new AppPermissions(options.grantedPermissions);
  const store = new DirectoryStore(permissions.withPrincipals(seed), now());
  const core = new GraphEmulatorCore(store, VERSION, { maxPageSize: options.maxPageSize, permissions });
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';
  // Ends the waits of delayed answers when the server closes.
  const closing = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('graph emulator: unexpected failure', err);
      if (!res.headersSent) send(res, errorResponse(new GraphHttpError(500, 'generalException', 'Unexpected emulator failure.')));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const prefix = `/${VERSION}`;
    const method = (req.method ?? 'GET').toUpperCase();
    let response: EmulatorResponse;
    try {
      if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
        response = handleControl(core, method, url.pathname.slice(CONTROL_PREFIX.length), await readJsonBody(req));
        send(res, response);
        return;
      }
      if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
        throw new GraphHttpError(400, 'BadRequest', `Invalid version: '${url.pathname.split('/')[1] ?? ''}'.`);
      }
      checkToken(req, options.requireToken);
      const body = await readJsonBody(req);
      response = core.dispatch({
        method,
        path: url.pathname.slice(prefix.length) || '/',
        query: url.searchParams,
        body,
        baseUrl,
        now: now(),
      });
    } catch (err) {
      if (!(err instanceof GraphHttpError)) throw err;
      response = errorResponse(err);
    }
    if (response.delayInMs) {
      try {
        await sleep(response.delayInMs, undefined, { signal: closing.signal });
      } catch {
        res.destroy();
        return;
      }
    }
    send(res, response, req.headers['client-request-id']);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/${VERSION}`;

  return {
    url: baseUrl,
    controlUrl: `${baseUrl.slice(0, -VERSION.length - 1)}${CONTROL_PREFIX}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    writes: () => core.writes(),
    requests: () => core.requests(),
    failNext: (fault) => core.failNext(fault),
    clearFaults: () => core.clearFaults(),
    withdrawPermission: (permission) => permissions.withdraw(permission),
    grantPermission: (permission) => permissions.grant(permission),
    grantedPermissions: () => permissions.grantedPermissions(),
    store: core.store,
  };
}

function checkToken(req: IncomingMessage, required: string | undefined): void {
  if (required === undefined) return;
  const header = req.headers.authorization;
  if (!header) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  if (header !== `Bearer ${required}`) {
    throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new GraphHttpError(413, 'Request_EntityTooLarge', 'The request body is too large.');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GraphHttpError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
}

function send(res: ServerResponse, response: EmulatorResponse, clientRequestId?: string | string[]): void {
  const headers: Record<string, string> = {
    'request-id': randomUUID(),
    'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : randomUUID(),
    ...(response.headers ?? {}),
  };
  // No chaining on writeHead: restify, when loaded in the same process, patches it to return nothing.
  if (response.body === undefined) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...headers,
    'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
