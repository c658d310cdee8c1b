/**
 * What the benchmarks share: a tenant and a catalog made for measuring, a Table traffic counter (a pipeline
 * policy on the Tables clients), the app's core wired in-process against Azurite and the Graph emulator, the
 * whole bot on a free port, and small statistics helpers.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AppContext } from '../src/app/context';
import type { Notifier, PostedCard, SendOutcome, UpdateOutcome } from '../src/app/ports';
import { ResourceNamer } from '../src/app/resourceNames';
import { parseCatalog, type CatalogIndex } from '../src/catalog/loader';
import type { CardKind } from '../src/domain/effects';
import type { AccessRequest } from '../src/domain/request';
import { systemClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { GraphDirectory } from '../src/graph/directory';
import { createGraphClient } from '../src/graph/graphClient';
import { GraphProvisioner } from '../src/graph/provisioner';
import { startApp, type RunningApp } from '../src/index';
import { startGraphEmulator, type GraphEmulator, type GraphSeedInput } from '../src/local/graphEmulator';
import { createLogger } from '../src/logger';
import { TableFailedRequestsIndex } from '../src/storage/failedRequestsIndex';
import { TableApprovalIndex } from '../src/storage/approvalIndex';
import { TablePackageIndex } from '../src/storage/packageIndex';
import { TableAssignmentStore } from '../src/storage/assignmentStore';
import { TablePackageClaims } from '../src/storage/packageClaims';
import { TableRequestStore } from '../src/storage/requestStore';
import { TableScheduleIndex } from '../src/storage/scheduleIndex';
import { createTables, type Tables } from '../src/storage/tables';
import { startFakeConnector, type FakeConnector } from '../test/support/fakeConnector';
import { TeamsClient, type TeamsUser } from '../test/support/teamsClient';

// ---------------------------------------------------------------------------------------------
// The bench tenant and catalog

const id = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const BENCH = {
  admin: id('70000000', 1),
  requester: (n: number) => id('71000000', n + 1),
  manager: (n: number) => id('72000000', n + 1),
  groupApprover: (n: number) => id('73000000', n + 1),
  /** Resource groups: #0 is the bench packages' group; the others only serve the Graph round-trip measure. */
  group: (n: number) => id('74000000', n + 1),
  approverGroup: id('75000000', 1),
  servicePrincipal: id('76000000', 1),
  appRole: id('77000000', 1),
  appId: id('78000000', 1),
};

/** The package every lifecycle requests: 2 resources (a group membership and an app role), the requester's manager approves. */
export const MANAGER_PACKAGE = 'bench-manager';
/** The same resources, approved by anyone of the approver group (the same-request race). */
export const GROUP_PACKAGE = 'bench-group';

export interface BenchTenantSize {
  requesters: number;
  /** Requester n's manager is manager n % managers. */
  managers: number;
  /** Members of the approver group. */
  groupApprovers?: number;
  /** Resource groups (at least 1). */
  groups?: number;
}

export function benchSeed(size: BenchTenantSize): GraphSeedInput {
  const user = (userId: string, displayName: string, managerId?: string) => ({
    id: userId,
    displayName,
    userPrincipalName: `${userId.slice(0, 8)}-${userId.slice(-6)}@bench.example`,
    department: 'Bench',
    jobTitle: 'Tester',
    userType: 'Member' as const,
    accountEnabled: true,
    ...(managerId ? { managerId } : {}),
  });
  const managers = Array.from({ length: size.managers }, (_, n) => user(BENCH.manager(n), `Manager ${n + 1}`));
  const requesters = Array.from({ length: size.requesters }, (_, n) => user(BENCH.requester(n), `Requester ${n + 1}`, BENCH.manager(n % size.managers)));
  const groupApprovers = Array.from({ length: size.groupApprovers ?? 0 }, (_, n) => user(BENCH.groupApprover(n), `Approver ${n + 1}`));
  return {
    users: [user(BENCH.admin, 'Bench Admin'), ...managers, ...requesters, ...groupApprovers],
    groups: [
      ...Array.from({ length: Math.max(1, size.groups ?? 1) }, (_, n) => ({ id: BENCH.group(n), displayName: `Bench Group ${n + 1}` })),
      { id: BENCH.approverGroup, displayName: 'Bench Approvers', members: groupApprovers.map((u) => u.id) },
    ],
    servicePrincipals: [
      {
        id: BENCH.servicePrincipal,
        appId: BENCH.appId,
        displayName: 'Bench App',
        appRoles: [{ id: BENCH.appRole, value: 'Bench.Reader', displayName: 'Bench Reader' }],
      },
    ],
  };
}

function benchPackage(packageId: string, approver: Record<string, unknown>): Record<string, unknown> {
  return {
    id: packageId,
    displayName: packageId === MANAGER_PACKAGE ? 'Bench (manager approves)' : 'Bench (group approves)',
    managers: [BENCH.admin],
    resources: [
      { type: 'group', groupId: BENCH.group(0), role: 'member' },
      { type: 'appRole', servicePrincipalId: BENCH.servicePrincipal, appRoleId: BENCH.appRole },
    ],
    policies: [
      {
        id: 'members',
        displayName: 'Members',
        requestors: { scope: 'allMembers' },
        approval: {
          required: true,
          stages: [{ approvers: [approver], fallbackApprovers: [{ user: BENCH.admin }], timeoutDays: 14, reminderDaysBeforeTimeout: 1 }],
        },
        expiration: { afterDays: 365 },
        expiryReminderDays: [14, 1],
      },
    ],
  };
}

export function benchCatalogJson(): Record<string, unknown> {
  return {
    catalogs: [
      {
        id: 'bench',
        displayName: 'Bench',
        owners: [BENCH.admin],
        accessPackages: [benchPackage(MANAGER_PACKAGE, { manager: true }), benchPackage(GROUP_PACKAGE, { group: BENCH.approverGroup })],
      },
    ],
    administrators: [BENCH.admin],
  };
}

export function benchCatalog(): CatalogIndex {
  return parseCatalog(benchCatalogJson(), 'bench catalog');
}

/** The bench catalog as a file (startApp reads CATALOG_FILE). */
export function benchCatalogFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-catalog-')), 'catalog.json');
  writeFileSync(file, JSON.stringify(benchCatalogJson(), null, 2));
  return file;
}

// ---------------------------------------------------------------------------------------------
// Table traffic

export interface TrafficCounts {
  /** HTTP requests to the Table service (every attempt). */
  roundTrips: number;
  /** GET requests (point reads and queries). */
  reads: number;
  /** Everything else: entity-group transactions, inserts, updates, deletes. */
  writes: number;
  /** Entities the service returned to GETs (only counted while `countEntities` is on). */
  entitiesRead: number;
}

/** Counts every HTTP attempt the Tables clients make (a `perRetry` pipeline policy: retries count too). */
export class TableTraffic {
  enabled = true;
  /** Parse GET bodies to count the entities returned (costs CPU; off unless asked for). */
  countEntities = false;
  private counts: TrafficCounts = { roundTrips: 0, reads: 0, writes: 0, entitiesRead: 0 };

  readonly policy: PipelinePolicy = {
    name: 'benchTableTraffic',
    sendRequest: async (request, next) => {
      const on = this.enabled;
      const read = request.method === 'GET' || request.method === 'HEAD';
      if (on) {
        this.counts.roundTrips++;
        if (read) this.counts.reads++;
        else this.counts.writes++;
      }
      const response = await next(request);
      if (on && read && this.countEntities) this.counts.entitiesRead += entitiesIn(response.bodyAsText);
      return response;
    },
  };

  snapshot(): TrafficCounts {
    return { ...this.counts };
  }

  since(before: TrafficCounts): TrafficCounts {
    const now = this.counts;
    return {
      roundTrips: now.roundTrips - before.roundTrips,
      reads: now.reads - before.reads,
      writes: now.writes - before.writes,
      entitiesRead: now.entitiesRead - before.entitiesRead,
    };
  }
}

function entitiesIn(body: string | null | undefined): number {
  if (!body) return 0;
  try {
    const parsed = JSON.parse(body) as { value?: unknown; PartitionKey?: unknown };
    if (Array.isArray(parsed.value)) return parsed.value.length;
    return typeof parsed.PartitionKey === 'string' ? 1 : 0;
  } catch {
    return 0;
  }
}

/** A fresh table prefix, so each measure has its own tables on the shared Azurite. */
export function benchPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return 'b' + [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export async function benchTables(connectionString: string, traffic?: TableTraffic): Promise<Tables> {
  const tables = createTables({
    connectionString,
    prefix: benchPrefix(),
    ...(traffic ? { clientOptions: { additionalPolicies: [{ policy: traffic.policy, position: 'perRetry' as const }] } } : {}),
  });
  const wasEnabled = traffic?.enabled;
  if (traffic) traffic.enabled = false;
  await tables.ensureTables();
  if (traffic) traffic.enabled = wasEnabled ?? true;
  return tables;
}

// ---------------------------------------------------------------------------------------------
// The app's core in-process

/**
 * Answers every card at once as sent, without any HTTP: the core measures leave Teams out (its pacing is the
 * fan-out measure's subject), but every notification still costs its Table write, as in production.
 */
export class InstantNotifier implements Notifier {
  private seq = 0;
  posts = 0;
  updates = 0;

  private card(recipientId: string, card: CardKind, conversationId: string): Omit<PostedCard, 'postedBy'> {
    return {
      recipientId,
      card,
      conversationId,
      activityId: `bench-activity-${++this.seq}`,
      serviceUrl: 'https://smba.trafficmanager.net/bench/',
      postedAt: new Date().toISOString(),
    };
  }

  async post(recipientId: string, card: CardKind, _request: AccessRequest): Promise<SendOutcome> {
    this.posts++;
    return { status: 'sent', card: this.card(recipientId, card, `a:bench-${recipientId}`) };
  }

  async postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, _request: AccessRequest): Promise<SendOutcome> {
    this.posts++;
    return { status: 'sent', card: this.card(`channel:${channel.channelId}`, card, channel.channelId) };
  }

  async update(_posted: PostedCard, _request: AccessRequest): Promise<UpdateOutcome> {
    this.updates++;
    return { status: 'updated' };
  }
}

export interface Core {
  ctx: AppContext;
  tables: Tables;
  graph: GraphEmulator;
  notifier: InstantNotifier;
  close(): Promise<void>;
}

/** The use-cases' context over real adapters: Table Storage on Azurite, Graph on the emulator, cards answered at once. */
export async function startCore(connectionString: string, seed: GraphSeedInput, traffic?: TableTraffic): Promise<Core> {
  const graph = await startGraphEmulator({ seed });
  const tables = await benchTables(connectionString, traffic);
  const client = createGraphClient({ baseUrl: graph.url });
  const directory = new GraphDirectory(client);
  const logger = createLogger('silent');
  const catalog = benchCatalog();
  const notifier = new InstantNotifier();
  const ctx: AppContext = {
    catalog,
    store: new TableRequestStore({ tables }),
    schedule: new TableScheduleIndex({ tables }),
    failedRequests: new TableFailedRequestsIndex({ tables }),
    claims: new TablePackageClaims({ tables }),
    assignments: new TableAssignmentStore({ tables }),
    approvals: new TableApprovalIndex({ tables }),
    packages: new TablePackageIndex({ tables }),
    directory,
    resourceNames: new ResourceNamer({ directory, clock: systemClock, logger }),
    provisioner: new GraphProvisioner(client, { graphBaseUrl: graph.url }),
    notifier,
    clock: systemClock,
    logger,
    newRequestId: randomUUID,
  };
  await ctx.resourceNames.warm(catalog.allPackages().flatMap((entry) => entry.accessPackage.resources));
  return { ctx, tables, graph, notifier, close: () => graph.close() };
}

/** The request form a requester submits from (it becomes their status card). */
export function formCardOf(requesterId: string): Omit<PostedCard, 'card' | 'postedBy'> {
  return {
    recipientId: requesterId,
    conversationId: `a:bench-${requesterId}`,
    activityId: `bench-form-${requesterId}`,
    serviceUrl: 'https://smba.trafficmanager.net/bench/',
    postedAt: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// The whole bot over HTTP

export interface BenchBot {
  app: RunningApp;
  graph: GraphEmulator;
  connector: FakeConnector;
  teams: TeamsClient;
  stop(): Promise<void>;
}

/** The bot as `npm start` runs it, on a free port, against the given storage, a seeded Graph emulator and a fake Bot Connector. */
export async function startBenchBot(connectionString: string, seed: GraphSeedInput | { seedFile: string }, env: Record<string, string> = {}): Promise<BenchBot> {
  const graph = await startGraphEmulator('seedFile' in seed ? { seedFile: seed.seedFile as string } : { seed });
  const connector = await startFakeConnector();
  const config = loadConfig({
    PORT: '0',
    TABLES_CONNECTION_STRING: connectionString,
    TABLES_PREFIX: benchPrefix(),
    GRAPH_BASE_URL: graph.url,
    ...env,
  });
  const app = await startApp(config, createLogger('silent'), { sweepIntervalInMs: 3_600_000, schedulerIntervalInMs: 0 });
  return {
    app,
    graph,
    connector,
    teams: new TeamsClient(app.url, connector.url),
    async stop() {
      await app.stop();
      await Promise.all([graph.close(), connector.close()]);
    },
  };
}

/**
 * The bot as its own process (`node src/index.ts`, as `npm start` runs it), on a free port, against the given
 * storage, a seeded Graph emulator and a fake Bot Connector that live in this process: the bot's event loop
 * is its own, as in production. There is no `effects.idle()` across processes: wait for what the connector receives.
 */
export async function startBotProcess(connectionString: string, seed: GraphSeedInput, env: Record<string, string> = {}): Promise<BotProcess> {
  const graph = await startGraphEmulator({ seed });
  const connector = await startFakeConnector();
  const port = await freePort();
  // BENCH_CPU_PROF_DIR=<dir>: the bot writes a V8 CPU profile there when it stops (to see where its time goes).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : [];
  const child = spawn(process.execPath, [...profile, '--require', 'tsx/cjs', '--disable-warning=DEP0111', 'src/index.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      LOG_LEVEL: 'error',
      TABLES_CONNECTION_STRING: connectionString,
      TABLES_PREFIX: benchPrefix(),
      GRAPH_BASE_URL: graph.url,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await Promise.all([graph.close(), connector.close()]);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} before it was ready`);
      return fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    }, 30_000, 'the bot process to become healthy');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid ?? 0, graph, connector, teams: new TeamsClient(url, connector.url), stop };
}

export interface BotProcess {
  url: string;
  /** The bot's process id, for its CPU time. */
  pid: number;
  graph: GraphEmulator;
  connector: FakeConnector;
  teams: TeamsClient;
  stop(): Promise<void>;
}

/** Polls until `check` is true; throws naming `what` after `timeoutInMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutInMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutInMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export function teamsUser(aadObjectId: string, name: string): TeamsUser {
  return { aadObjectId, name, locale: 'en-US' };
}

// ---------------------------------------------------------------------------------------------
// Statistics and small helpers

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The most events in any window of `windowInMs` (half-open, like Teams' limits). */
export function busiest(times: number[], windowInMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= windowInMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/** Runs `work(i, slot)` for i in 0..count-1 with at most `concurrency` at a time (slot: which of them runs it). */
export async function pool(count: number, concurrency: number, work: (i: number, slot: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    for (let i = next++; i < count; i = next++) await work(i, slot);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, slot) => worker(slot)));
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15, in clock ticks (100/s).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds this process has used so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Where the measures run: the shared Azurite. */
export interface BenchEnv {
  connectionString: string;
  /** The Azurite child's process id, for its CPU time. */
  azuritePid: number;
}

/** Progress lines go to stderr, so stdout holds only the table. */
export function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// What a measure hands back to run.ts

export type Verdict = 'pass' | 'MISS' | 'info';

/** One line of the printed table. */
export interface Row {
  measure: string;
  figure: string;
  target: string;
  verdict: Verdict;
}

export interface Measured<T> {
  /** What goes into bench/results.json under the measure's key. */
  result: T;
  rows: Row[];
  /** How it was measured, printed under the table. */
  notes: string[];
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'pass' : 'MISS';
}
