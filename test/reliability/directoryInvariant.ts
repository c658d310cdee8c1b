/**
 * "Records equal the directory, always — checked, not hoped" (issue 12): a seeded random run of requests,
 * approvals, denials, cancellations, releases, extensions, expiries and reprocesses over access packages that share
 * a group and an app role, with Graph faults and instance restarts, on two bot instances sharing one Azurite and one
 * Graph emulator. Whenever everything has settled it checks, for every requester, that what Graph holds is exactly
 * what their stored requests say they hold.
 *
 * The two instances are two `startApp` cores in this process (each its own HTTP server, effect runner, scheduler,
 * outbox origin and Graph client), not two child processes: a core starts in well under a second where a `tsx`
 * process takes seconds, every replay of a shrink needs two fresh ones, the emulator's state (`graph.store`) and
 * faults (`graph.failNext`) are read and set directly, and `effects.idle()` says when an instance's work is done.
 * They share one DevClock, as two machines share the time. Restarts are graceful (`stop`, then a new core with a
 * new outbox origin); kill -9 is the crash tests' business (crashLifecycles.test.ts, e2e/crash.test.ts).
 *
 * Used by recordsEqualDirectory.test.ts (a small run in `npm test`) and scripts/invariants.ts (`npm run invariants`).
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig, type Config } from '../../src/config';
import { assignmentOf, type Assignment } from '../../src/domain/assignment';
import type { AccessRequest } from '../../src/domain/request';
import { startApp, type RunningApp } from '../../src/index';
import { DevClock } from '../../src/local/devClock';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { createLogger } from '../../src/logger';
import { TableAssignmentStore } from '../../src/storage/assignmentStore';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { CRM_APPROVERS, CRM_EDITOR, CRM_READER, CRM_SP, CRM_USERS, LEE, PATTI, DIEGO } from '../support/demoTenant';
import { startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { TeamsClient, type InvokeAnswer, type TeamsUser } from '../support/teamsClient';
import { PEOPLE, SALES_CHANNEL } from '../e2e/support';
import { extraRequesters, seedWith } from './support';

// ---------------------------------------------------------------------------------------------
// The tenant and the catalog

const EXTRA = extraRequesters(1);
/** Who asks for access: nobody here is in CRM Users or holds a CRM role in the seed. Three, so their requests meet. */
export const REQUESTERS: readonly TeamsUser[] = [PEOPLE.adele, PEOPLE.isaiah, ...EXTRA];
/** Members of CRM Approvers (Megan through Sales Leads). */
const APPROVERS: readonly TeamsUser[] = [PEOPLE.diego, PEOPLE.megan];
/** The packages' manager, the catalog's owner, the administrator: each may reprocess. */
const MANAGERS: readonly TeamsUser[] = [PEOPLE.diego, PEOPLE.patti, PEOPLE.lee];

const GROUP_CRM_USERS = { type: 'group', groupId: CRM_USERS, role: 'member' } as const;
const ROLE_CRM_READER = { type: 'appRole', servicePrincipalId: CRM_SP, appRoleId: CRM_READER } as const;
const ROLE_CRM_EDITOR = { type: 'appRole', servicePrincipalId: CRM_SP, appRoleId: CRM_EDITOR } as const;

interface PackageSpec {
  id: string;
  name: string;
  resources: ReadonlyArray<typeof GROUP_CRM_USERS | typeof ROLE_CRM_READER | typeof ROLE_CRM_EDITOR>;
  approval: boolean;
  hours: number;
  extension: 'none' | 'direct' | 'approved';
}

/**
 * The CRM Users group is granted by three packages, the CRM Reader role by two; short lives (12–48 hours) so that
 * accesses end within a run.
 */
export const PACKAGES: readonly PackageSpec[] = [
  { id: 'crm-users', name: 'CRM users', resources: [GROUP_CRM_USERS, ROLE_CRM_READER], approval: true, hours: 48, extension: 'approved' },
  { id: 'crm-group', name: 'CRM group', resources: [GROUP_CRM_USERS], approval: false, hours: 24, extension: 'direct' },
  { id: 'crm-reader', name: 'CRM reader', resources: [ROLE_CRM_READER], approval: true, hours: 36, extension: 'none' },
  { id: 'crm-editors', name: 'CRM editors', resources: [GROUP_CRM_USERS, ROLE_CRM_EDITOR], approval: false, hours: 12, extension: 'direct' },
];

function catalogJson(): unknown {
  return {
    catalogs: [
      {
        id: 'sales',
        displayName: 'Sales',
        owners: [PATTI],
        notificationChannel: { teamId: SALES_CHANNEL.teamId, channelId: SALES_CHANNEL.channelId },
        accessPackages: PACKAGES.map((p) => ({
          id: p.id,
          displayName: p.name,
          description: `${p.name}: shares its CRM resources with other packages.`,
          managers: [DIEGO],
          assignmentManagers: [],
          resources: p.resources,
          policies: [
            {
              id: 'everyone',
              displayName: 'Everyone',
              requestors: { scope: 'allMembers' },
              requestorJustificationRequired: p.approval,
              requestorCanSpecifyDates: false,
              approval: p.approval
                ? {
                    required: true,
                    stages: [
                      {
                        approvers: [{ group: CRM_APPROVERS }],
                        fallbackApprovers: [{ user: LEE }],
                        approverJustificationRequired: p.id === 'crm-users',
                        timeoutDays: 3,
                        reminderDaysBeforeTimeout: 1,
                      },
                    ],
                  }
                : { required: false, stages: [] },
              expiration: { afterHours: p.hours },
              extension: { allowed: p.extension !== 'none', approvalRequired: p.extension === 'approved' },
              expiryReminderDays: p.hours >= 36 ? [1] : [],
            },
          ],
        })),
      },
    ],
    administrators: [LEE],
  };
}

// ---------------------------------------------------------------------------------------------
// Operations

/**
 * An action through one instance, about one requester's requests. A submit names the package; the other actions aim
 * at one of the requester's stored requests: with `aim` 'fit', the `pick`-th of those it applies to (a pending one to
 * decide, a held one to release, …; when the requester has none, of everybody's); with 'any', the `pick`-th of the
 * requester's requests, whatever their state (mostly refused: the bot must say no, and change nothing).
 */
export type ClickOp =
  | { kind: 'submit'; person: number; pkg: number; via: number }
  | { kind: 'decide'; person: number; pick: number; aim: Aim; via: number; approver: number; outcome: 'approve' | 'deny' }
  | { kind: 'cancel' | 'release' | 'extend'; person: number; pick: number; aim: Aim; via: number }
  | { kind: 'reprocess'; person: number; pick: number; aim: Aim; via: number; manager: number };

export type Aim = 'fit' | 'any';

/**
 * Graph's faults: 'transient' 503s on 30 % of provisioning calls, 'transientRemovals' on 60 % of removals,
 * 'writesDown' / 'removalsDown' every grant / removal answered 503 (an outage: they back off and retry, and a delivery
 * of the same resource waits for a removal under way); and refusals as a withdrawn
 * permission gives them, for every call of a kind alike: 403 to app-role grants, group-member grants, removals.
 */
export type FaultMode = 'none' | 'transient' | 'transientRemovals' | 'writesDown' | 'removalsDown' | 'appRoleRefused' | 'memberRefused' | 'removalRefused';

/** Things that happen to the instances, the clock or Graph. */
export type ControlOp =
  | { kind: 'clock'; minutes: number; tick: 'both' | 0 | 1 }
  | { kind: 'faults'; mode: FaultMode }
  | { kind: 'restart'; which: number }
  /** Lets both instances finish what they are doing. */
  | { kind: 'pause' }
  /** Lets everything settle, then checks the invariant (and does the sweep's job for a restarted instance). */
  | { kind: 'settle' };

export type Op = ClickOp | ControlOp;
/** One step: one operation, or two clicks sent at the same moment (to the same or different instances). */
export type Step = Op[];

const person = fc.integer({ min: 0, max: REQUESTERS.length - 1 });
const pkg = fc.integer({ min: 0, max: PACKAGES.length - 1 });
const via = fc.integer({ min: 0, max: 1 });

const pick = fc.nat({ max: 999 });
const aim = fc.constantFrom<Aim>('fit', 'fit', 'fit', 'any');

const clickOp: fc.Arbitrary<ClickOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('submit' as const), person, pkg, via }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('decide' as const),
      person,
      pick,
      aim,
      via,
      approver: fc.integer({ min: 0, max: APPROVERS.length - 1 }),
      outcome: fc.constantFrom<'approve' | 'deny'>('approve', 'approve', 'approve', 'deny'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), person, pick, aim, via }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), person, pick, aim, via }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('extend' as const), person, pick, aim, via }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reprocess' as const), person, pick, aim, via, manager: fc.integer({ min: 0, max: MANAGERS.length - 1 }) }) },
);

const clockOp: fc.Arbitrary<ControlOp> = fc.record({
  kind: fc.constant('clock' as const),
  // Past a delivery's backoff (5–40 s), an hour, a quarter of a day, a day: accesses end within a run.
  minutes: fc.constantFrom(1, 1, 10, 60, 360, 720, 1440),
  tick: fc.constantFrom<'both' | 0 | 1>('both', 'both', 0, 1),
});

const controlOp: fc.Arbitrary<ControlOp> = fc.oneof(
  { weight: 5, arbitrary: clockOp },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('faults' as const), mode: fc.constantFrom<FaultMode>('none', 'none', 'transient', 'transientRemovals', 'writesDown', 'removalsDown', 'appRoleRefused', 'memberRefused', 'removalRefused') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), which: via }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: clickOp.map((op): Step => [op]) },
  { weight: 6, arbitrary: controlOp.map((op): Step => [op]) },
  // A double click: the same action on both instances at once.
  { weight: 1, arbitrary: clickOp.map((op): Step => [op, { ...op, via: 1 - op.via }]) },
  // Two things at once about one requester (a release while a new request is delivered…), or two people's, or a
  // click while the scheduler ticks.
  {
    weight: 3,
    arbitrary: fc
      .tuple(clickOp, fc.oneof(clickOp, clockOp), fc.boolean())
      .map(([a, b, samePerson]): Step => [a, samePerson && 'person' in b ? { ...b, person: a.person } : b]),
  },
);

/** `count` steps from `seed`, the same ones every time. */
export function generateSteps(seed: number, count: number): Step[] {
  return fc.sample(fc.array(stepArbitrary, { minLength: count, maxLength: count }), { seed, numRuns: 1 })[0];
}

export function describeOp(op: Op): string {
  const target = (o: { person: number; pick: number; aim: Aim }) => `${REQUESTERS[o.person].name}'s ${o.aim === 'fit' ? 'fitting' : 'any'} request #${o.pick}`;
  switch (op.kind) {
    case 'submit':
      return `submit ${REQUESTERS[op.person].name} ${PACKAGES[op.pkg].id} @${op.via}`;
    case 'cancel':
    case 'release':
    case 'extend':
      return `${op.kind} ${target(op)} @${op.via}`;
    case 'decide':
      return `${op.outcome} ${target(op)} by ${APPROVERS[op.approver].name} @${op.via}`;
    case 'reprocess':
      return `reprocess ${target(op)} by ${MANAGERS[op.manager].name} @${op.via}`;
    case 'clock':
      return `clock +${op.minutes}min, tick ${op.tick === 'both' ? 'both' : `@${op.tick}`}`;
    case 'faults':
      return `faults ${op.mode}`;
    case 'restart':
      return `restart @${op.which}`;
    case 'pause':
    case 'settle':
      return op.kind;
  }
}

export function describeStep(step: Step): string {
  return step.map(describeOp).join('  ‖  ');
}

export function describeSteps(steps: readonly Step[]): string {
  return steps.map((step, i) => `  ${String(i + 1).padStart(4)}. ${describeStep(step)}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// The world: two instances, one Azurite, one Graph emulator, one connector

const PROVISIONING = /^\/(groups\/[^/]+\/members|servicePrincipals\/[^/]+\/appRoleAssignedTo|users\/[^/]+\/appRoleAssignments)/i;
const START = new Date('2031-03-03T09:00:00Z');

/** How the bot answered the clicks, e.g. "submit 200" or "submit 409 error.alreadyRequested": printed per run. */
export type Tally = Map<string, number>;

export class World {
  readonly clock = new DevClock();
  readonly instances: RunningApp[] = [];
  readonly teams: TeamsClient[] = [];
  readonly store: TableRequestStore;
  readonly assignments: TableAssignmentStore;
  private faultSeed = 1;

  private constructor(
    readonly graph: GraphEmulator,
    readonly connector: FakeConnector,
    private readonly config: Config,
    private readonly dir: string,
    connectionString: string,
    prefix: string,
  ) {
    const tables = createTables({ connectionString, prefix });
    this.store = new TableRequestStore({ tables });
    this.assignments = new TableAssignmentStore({ tables });
    this.clock.set(START);
  }

  static async start(): Promise<World> {
    const { connectionString } = await useAzurite();
    const dir = await mkdtemp(join(tmpdir(), 'records-equal-directory-'));
    const catalogFile = join(dir, 'catalog.json');
    await writeFile(catalogFile, JSON.stringify(catalogJson()));
    const [graph, connector] = await Promise.all([startGraphEmulator({ seed: seedWith(EXTRA) }), startFakeConnector()]);
    const prefix = uniquePrefix();
    const config = loadConfig({ PORT: '0', TABLES_CONNECTION_STRING: connectionString, TABLES_PREFIX: prefix, GRAPH_BASE_URL: graph.url, CATALOG_FILE: catalogFile });
    const world = new World(graph, connector, config, dir, connectionString, prefix);
    try {
      for (const i of [0, 1]) await world.startInstance(i);
      for (const p of [...REQUESTERS, ...APPROVERS, PEOPLE.patti, PEOPLE.lee]) assert.equal((await world.teams[0].install(p)).status, 200);
      assert.equal((await world.teams[0].sayInChannel(PEOPLE.patti, 'hello', SALES_CHANNEL)).status, 200);
      for (const p of REQUESTERS) assert.deepEqual([...heldInGraph(world.graph, p)], [], `${p.name} holds nothing at the start`);
    } catch (error) {
      await world.stop();
      throw error;
    }
    return world;
  }

  private async startInstance(i: number): Promise<void> {
    const level = process.env.RELIABILITY_LOG_LEVEL;
    const logger = createLogger(level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : 'silent');
    // Both share one clock; nothing runs by timer (ticks and sweeps are the run's operations), as in the e2e bots.
    const app = await startApp(this.config, logger, { clock: this.clock, sweepIntervalInMs: 3_600_000, schedulerIntervalInMs: 0 });
    this.instances[i] = app;
    this.teams[i] = new TeamsClient(app.url, this.connector.url);
  }

  async restart(i: number): Promise<void> {
    await this.instances[i].stop();
    await this.startInstance(i);
  }

  async idle(): Promise<void> {
    // Twice: a run of one instance may kick a request the other then runs (an extension settling its access).
    for (let round = 0; round < 2; round++) await Promise.all(this.instances.map((app) => app.effects.idle()));
  }

  async tick(i: number): Promise<void> {
    const res = await fetch(`${this.instances[i].url}/api/dev/tick`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200, `dev tick @${i} answered ${res.status}: ${await res.text()}`);
  }

  setFaults(mode: FaultMode): void {
    this.graph.clearFaults();
    const seed = this.faultSeed++;
    const times = Number.POSITIVE_INFINITY;
    switch (mode) {
      case 'none':
        return;
      case 'transient':
        this.graph.failNext({ path: PROVISIONING, status: 503, rate: 0.3, times, seed });
        return;
      case 'transientRemovals':
        this.graph.failNext({ method: 'DELETE', path: PROVISIONING, status: 503, rate: 0.6, times, seed });
        return;
      case 'writesDown':
        this.graph.failNext({ method: 'POST', path: PROVISIONING, status: 503, times });
        return;
      case 'removalsDown':
        this.graph.failNext({ method: 'DELETE', path: PROVISIONING, status: 503, times });
        return;
      case 'appRoleRefused':
        this.graph.failNext({ method: 'POST', path: /\/appRoleAssignedTo$/i, status: 403, times });
        return;
      case 'memberRefused':
        this.graph.failNext({ method: 'POST', path: /\/members\/\$ref$/i, status: 403, times });
        return;
      case 'removalRefused':
        this.graph.failNext({ method: 'DELETE', path: PROVISIONING, status: 403, times });
        return;
    }
  }

  /** Every request of every requester, newest first per person. */
  async requestsOf(p: TeamsUser): Promise<AccessRequest[]> {
    return this.store.listByRequester(p.aadObjectId, 1_000);
  }

  async stop(): Promise<void> {
    for (const app of this.instances) await app.stop().catch(() => undefined);
    await Promise.all([this.graph.close(), this.connector.close()]);
    await rm(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Running the operations

const OPEN_STATES = ['submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering'];
const HOLDING_STATES = ['delivered', 'partiallyDelivered'];
const FAILED_STATES = ['partiallyDelivered', 'deliveryFailed'];

/** Whether a click of this kind applies to the request (what its button would be shown for). */
function fits(kind: Exclude<ClickOp['kind'], 'submit'>, r: AccessRequest): boolean {
  switch (kind) {
    case 'decide':
      return r.state === 'pendingApproval';
    case 'cancel':
      return OPEN_STATES.includes(r.state) || (FAILED_STATES.includes(r.state) && !r.removalStartedAt && !r.canceledAt);
    case 'release':
    case 'extend':
      return !r.extensionOf && HOLDING_STATES.includes(r.state) && !r.removalStartedAt;
    case 'reprocess':
      return FAILED_STATES.includes(r.state) && !r.removalStartedAt && !r.canceledAt;
  }
}

/** The request an action aims at (see ClickOp), in a stable order: requester, package, submit time. */
async function targetOf(world: World, op: Exclude<ClickOp, { kind: 'submit' }>): Promise<AccessRequest | undefined> {
  const byPerson: AccessRequest[][] = [];
  for (const p of REQUESTERS) {
    const mine = await world.requestsOf(p);
    mine.sort((a, b) => a.packageId.localeCompare(b.packageId) || a.submittedAt.localeCompare(b.submittedAt) || a.id.localeCompare(b.id));
    byPerson.push(mine);
  }
  const mine = byPerson[op.person];
  let candidates = op.aim === 'fit' ? mine.filter((r) => fits(op.kind, r)) : mine;
  if (op.aim === 'fit' && candidates.length === 0) candidates = byPerson.flat().filter((r) => fits(op.kind, r));
  return candidates.length ? candidates[op.pick % candidates.length] : undefined;
}

function tallyKey(op: ClickOp, answer: InvokeAnswer): string {
  const code = answer.type === 'application/vnd.microsoft.error' ? ` ${(answer.value as { code?: string } | undefined)?.code ?? ''}` : '';
  const kind = answer.type === 'application/vnd.microsoft.activity.message' ? ' message' : '';
  return `${op.kind} ${answer.statusCode ?? `http ${answer.httpStatus}`}${code}${kind}`;
}

async function runClick(world: World, op: ClickOp, tally: Tally): Promise<void> {
  const teams = world.teams[op.via];
  let answer: InvokeAnswer;
  if (op.kind === 'submit') {
    answer = await teams.click(REQUESTERS[op.person], 'request.submit', { packageId: PACKAGES[op.pkg].id, justification: 'Invariant run' });
  } else {
    const target = await targetOf(world, op);
    if (!target) {
      count(tally, `${op.kind} (nothing to aim at)`);
      return;
    }
    const requester = REQUESTERS.find((p) => p.aadObjectId.toLowerCase() === target.requester.id.toLowerCase());
    assert.ok(requester, `a requester of ours: ${target.requester.id}`);
    const ref = { requestId: target.id, version: target.version };
    switch (op.kind) {
      case 'decide':
        answer = await teams.click(APPROVERS[op.approver], op.outcome === 'approve' ? 'request.approve' : 'request.deny', { ...ref, approverJustification: 'Invariant run' });
        break;
      case 'cancel':
        answer = await teams.click(requester, 'request.cancel', ref);
        break;
      case 'release':
        answer = await teams.click(requester, 'access.release', ref);
        break;
      case 'extend':
        answer = await teams.click(requester, 'access.extend', ref);
        break;
      case 'reprocess':
        answer = await teams.clickInChannel(MANAGERS[op.manager], 'request.reprocess', ref, { ...SALES_CHANNEL, threadId: `${SALES_CHANNEL.channelId};messageid=1` });
        break;
    }
  }
  count(tally, tallyKey(op, answer));
  // A well-formed click is answered with a card or a refusal (4xx with a sentence): never a 500 or "try again".
  assert.equal(answer.httpStatus, 200, `${describeOp(op)}: HTTP ${answer.httpStatus}`);
  assert.ok(answer.statusCode === 200 ? answer.type === 'application/vnd.microsoft.card.adaptive' : answer.statusCode !== undefined && answer.statusCode >= 400 && answer.statusCode < 500, `${describeOp(op)}: answered ${JSON.stringify({ statusCode: answer.statusCode, type: answer.type, value: answer.value })}`);
  if (op.kind === 'submit') assert.ok(answer.statusCode === 200 || answer.statusCode === 409, `${describeOp(op)}: a submit is stored (200) or refused as a second request of the package (409), not ${answer.statusCode} ${answer.message}`);
}

async function runOp(world: World, op: Op, tally: Tally): Promise<void> {
  switch (op.kind) {
    case 'clock':
      world.clock.advance(`PT${op.minutes}M`);
      await Promise.all((op.tick === 'both' ? [0, 1] : [op.tick]).map((i) => world.tick(i)));
      return;
    case 'faults':
      world.setFaults(op.mode);
      return;
    case 'restart':
      await world.restart(op.which);
      return;
    case 'pause':
      await world.idle();
      return;
    case 'settle':
      await settleAndCheck(world);
      return;
    default:
      return runClick(world, op, tally);
  }
}

// ---------------------------------------------------------------------------------------------
// Settling, and the invariant

/** A person's Graph holdings among the catalog's resources, as `group|id|role` and `appRole|sp|role` (lower case). */
function heldInGraph(graph: GraphEmulator, p: TeamsUser): Set<string> {
  const id = p.aadObjectId.toLowerCase();
  const held = new Set<string>();
  const group = graph.store.getGroup(CRM_USERS);
  if (group.members.has(id)) held.add(`group|${CRM_USERS}|member`);
  if (group.owners.has(id)) held.add(`group|${CRM_USERS}|owner`);
  for (const a of graph.store.listAssignments(CRM_SP, id)) held.add(`appRole|${a.resourceId.toLowerCase()}|${a.appRoleId.toLowerCase()}`);
  return held;
}

function identityOf(resource: AccessRequest['resources'][number]['resource']): string {
  return resource.type === 'group'
    ? `group|${resource.groupId.toLowerCase()}|${resource.role}`
    : `appRole|${resource.servicePrincipalId.toLowerCase()}|${resource.appRoleId.toLowerCase()}`;
}

const NAMES: Record<string, string> = {
  [`group|${CRM_USERS}|member`]: 'CRM Users (member)',
  [`appRole|${CRM_SP}|${CRM_READER}`]: 'CRM Reader',
  [`appRole|${CRM_SP}|${CRM_EDITOR}`]: 'CRM Editor',
};
const nameOf = (identity: string) => NAMES[identity] ?? identity;

function describeRequest(r: AccessRequest): string {
  const flags = [r.extensionOf && 'extension', r.removalStartedAt && 'removing', r.releasedAt && 'released', r.canceledAt && 'canceled'].filter(Boolean).join(',');
  const resources = r.resources.map((d) => `${nameOf(identityOf(d.resource))}=${d.status}${d.keptBy ? ` (kept by ${d.keptBy})` : ''}`).join(', ');
  return `${r.packageId} ${r.id.slice(0, 8)} v${r.version} ${r.state}${flags ? ` [${flags}]` : ''}: ${resources}`;
}

/** A request and what its audit trail says it did in Graph (writes, removals, what it counted or kept). */
async function describeWithAudit(world: World, r: AccessRequest): Promise<string> {
  const entries = await world.store.listAudit(r.id).catch(() => []);
  const start = START.getTime();
  const lines = entries
    .filter((e) => e.action !== 'notify')
    .map((e) => {
      const minutes = Math.round((Date.parse(e.at) - start) / 60_000);
      return `          +${minutes}min v${e.version} ${e.action}${e.detail ? ` ${e.detail}` : ''}${e.outcome ? ` → ${e.outcome}` : ''}`;
    });
  return [`      ${describeRequest(r)}`, ...lines].join('\n');
}

/** Nothing left to do: no effect in any outbox, no delivery or removal under way. */
async function unsettled(world: World): Promise<string | undefined> {
  for (const p of REQUESTERS) {
    for (const r of await world.requestsOf(p)) {
      const loaded = await world.store.get(r.id);
      if (loaded?.effects.length) return `${p.name}: ${describeRequest(r)} has ${loaded.effects.length} effect(s) pending (${loaded.effects.map((e) => e.effect.kind).join(', ')})`;
      if (r.state === 'approved' || r.state === 'delivering') return `${p.name}: ${describeRequest(r)}`;
      if (r.removalStartedAt && HOLDING_STATES.includes(r.state) && r.resources.some((d) => d.status === 'delivered')) return `${p.name}: removing ${describeRequest(r)}`;
    }
  }
  return undefined;
}

/**
 * Faults off; then, until nothing is left: both instances finish, the clock moves past any backoff, both tick (runs
 * what is due, wakes deferred deliveries and removals), and an instance sweeps the outbox — the 30-s sweep's job for
 * work a restarted instance left behind, done by hand here instead of waiting a real minute.
 */
export async function settle(world: World): Promise<void> {
  world.setFaults('none');
  let why: string | undefined;
  for (let round = 0; round < 30; round++) {
    await world.idle();
    why = await unsettled(world);
    if (!why) return;
    world.clock.advance('PT2M');
    await Promise.all([world.tick(0), world.tick(1)]);
    await world.idle();
    await world.instances[round % 2].effects.sweep(200, 0);
  }
  throw new Error(`the bots did not settle after 30 rounds: ${why}`);
}

/** What kind of disagreement a check found: a shrink keeps only candidates failing the same way. */
export type ProblemKind = 'graphWithoutRecord' | 'recordWithoutGraph' | 'assignmentMissing' | 'assignmentStale' | 'duplicateRole' | 'twoLiveRequests' | 'notEnded' | 'notSettled' | 'answer';

interface Problem {
  kind: ProblemKind;
  text: string;
}

export class InvariantError extends Error {
  readonly kinds: Set<ProblemKind>;

  constructor(problems: Problem[], context: string[] = []) {
    super(`records and Graph disagree:\n${[...problems.map((p) => p.text), ...context].join('\n')}`);
    this.name = 'InvariantError';
    this.kinds = new Set(problems.map((p) => p.kind));
  }
}

/** The kinds of failure of an error: an InvariantError's, or 'notSettled' / 'answer' for the others. */
export function kindsOf(error: Error): Set<ProblemKind> {
  if (error instanceof InvariantError) return error.kinds;
  return new Set([/did not settle/.test(error.message) ? 'notSettled' : 'answer']);
}

/**
 * The invariant, for every requester: what Graph holds of the catalog's resources is exactly the union of what
 * their requests hold (state delivered or partiallyDelivered, resource delivered or removalFailed); each request's
 * recorded app-role assignment is in Graph; they have at most one request per package open, held or failed; and
 * each package's stored assignment is what the latest request with one says (assignmentStale otherwise), so the
 * assignments, too, equal Graph.
 */
export async function checkInvariant(world: World): Promise<void> {
  const problems: Problem[] = [];
  const context: string[] = [];
  for (const p of REQUESTERS) {
    const before = problems.length;
    const requests = await world.requestsOf(p);
    const expected = new Map<string, string[]>();
    for (const r of requests) {
      if (!HOLDING_STATES.includes(r.state)) continue;
      for (const d of r.resources) {
        if (d.status !== 'delivered' && d.status !== 'removalFailed') continue;
        const identity = identityOf(d.resource);
        expected.set(identity, [...(expected.get(identity) ?? []), `${r.packageId} ${r.id.slice(0, 8)} (${d.status})`]);
        if (d.assignmentId && d.resource.type === 'appRole' && d.status === 'delivered') {
          const a = world.graph.store.listAssignments(CRM_SP, p.aadObjectId).find((x) => x.id === d.assignmentId);
          if (!a) problems.push({ kind: 'assignmentMissing', text: `${p.name}: ${r.packageId} ${r.id.slice(0, 8)} records ${nameOf(identity)} as assignment ${d.assignmentId}, which Graph does not have` });
        }
      }
    }
    const held = heldInGraph(world.graph, p);
    for (const identity of held) {
      if (!expected.has(identity)) problems.push({ kind: 'graphWithoutRecord', text: `${p.name} holds ${nameOf(identity)} in Graph, but no request of theirs grants it` });
    }
    for (const [identity, by] of expected) {
      if (!held.has(identity)) problems.push({ kind: 'recordWithoutGraph', text: `${p.name}: ${by.join(' and ')} record(s) ${nameOf(identity)} as held, but Graph does not have it` });
    }
    const roles = world.graph.store.listAssignments(CRM_SP, p.aadObjectId);
    if (new Set(roles.map((a) => a.appRoleId)).size !== roles.length) problems.push({ kind: 'duplicateRole', text: `${p.name} has the same app role assigned twice in Graph` });
    for (const spec of PACKAGES) {
      const live = requests.filter((r) => r.packageId === spec.id && !r.extensionOf && [...OPEN_STATES, ...HOLDING_STATES, 'deliveryFailed'].includes(r.state) && !r.canceledAt);
      if (live.length > 1) problems.push({ kind: 'twoLiveRequests', text: `${p.name} has ${live.length} requests for ${spec.id} open, held or failed: ${live.map(describeRequest).join('; ')}` });
    }
    problems.push(...(await staleAssignments(world, p, requests)));
    if (problems.length > before) context.push(`  ${p.name}'s requests, with their Graph audit:\n${(await Promise.all(requests.map((r) => describeWithAudit(world, r)))).join('\n')}`);
  }
  if (problems.length) throw new InvariantError(problems, context);
}

/** The stored assignments of `p` that are not what the request that holds each says (or are missing, or left over). */
async function staleAssignments(world: World, p: TeamsUser, requests: AccessRequest[]): Promise<Problem[]> {
  const stored = new Map((await world.assignments.listForPerson(p.aadObjectId)).map((a) => [a.packageId, a]));
  const problems: Problem[] = [];
  for (const spec of PACKAGES) {
    // Newest first: the latest request of the package that has an assignment is the one the record must show.
    const holder = requests.find((r) => r.packageId === spec.id && assignmentOf(r));
    const [want, have] = [holder && assignmentOf(holder), stored.get(spec.id)];
    if (JSON.stringify(want && comparable(want)) === JSON.stringify(have && comparable(have))) continue;
    const show = (a: Assignment | undefined) => (a ? `${a.state} from ${a.source.requestId.slice(0, 8)} v${a.source.version} [${comparable(a).resources.join(', ')}]` : 'none');
    problems.push({ kind: 'assignmentStale', text: `${p.name}'s assignment of ${spec.id} is ${show(have)}, but its request says ${show(want)}` });
  }
  return problems;
}

function comparable(a: Assignment) {
  return { state: a.state, requestIds: a.requestIds, endsAt: a.endsAt, resources: a.resources.map((r) => `${nameOf(identityOf(r.resource))}=${r.status}`) };
}

export async function settleAndCheck(world: World): Promise<void> {
  await settle(world);
  await checkInvariant(world);
}

/**
 * After the run: 20 days, a day at a time — every access ends, every approval times out, a removal Graph refused is
 * retried (faults are off) — then nobody holds anything and no request holds or waits for access (a delivery that
 * failed outright stays deliveryFailed, holding nothing, until someone reprocesses or cancels it).
 */
async function drain(world: World): Promise<void> {
  for (let day = 0; day < 20; day++) {
    world.clock.advance('P1D');
    await Promise.all([world.tick(0), world.tick(1)]);
    await world.idle();
  }
  await settleAndCheck(world);
  const problems: Problem[] = [];
  for (const p of REQUESTERS) {
    const held = [...heldInGraph(world.graph, p)];
    if (held.length) problems.push({ kind: 'notEnded', text: `${p.name} still holds ${held.map(nameOf).join(', ')} in Graph 20 days after the run` });
    for (const r of await world.requestsOf(p)) {
      if ([...OPEN_STATES, ...HOLDING_STATES].includes(r.state)) problems.push({ kind: 'notEnded', text: `${p.name}: ${describeRequest(r)} has not ended 20 days after the run` });
    }
  }
  if (problems.length) throw new InvariantError(problems);
}

function count(tally: Tally, key: string, n = 1): void {
  tally.set(key, (tally.get(key) ?? 0) + n);
}

/**
 * The paths a request went down that the invariant is about, from its record and audit trail: a resource kept for
 * another package, counted delivered because another grants it, a delivery waiting for another's removal, a removal
 * Graph refused, a partly or wholly failed delivery, a reprocess, a cancel of a failed delivery, a release, an
 * extension — printed per run, so a run that never reaches them shows.
 */
async function pathsOf(world: World, r: AccessRequest): Promise<string[]> {
  const found: string[] = [];
  const entries = await world.store.listAudit(r.id);
  for (const e of entries) {
    const outcome = e.outcome ?? '';
    if (outcome.startsWith('kept:')) found.push('kept for another');
    if (outcome.startsWith('delivered without a Graph write')) found.push('counted as granted');
    if (outcome.includes('waiting until')) found.push('waited for a removal');
    if (e.action === 'graphRemove' && outcome.startsWith('failed') && !outcome.includes('(will retry)')) found.push('removal refused');
    if (e.action === 'reprocess') found.push('reprocessed');
    if (e.action === 'cancel') found.push('failed delivery canceled');
  }
  if (entries.some((e) => /→ (partiallyDelivered|deliveryFailed)$/.test(e.outcome ?? ''))) found.push('delivery failed');
  if (r.releasedAt) found.push('released');
  if (r.extendedAt) found.push('extended');
  if (r.extensionOf) found.push('extension request');
  return found;
}

export interface RunResult {
  /** The step whose check failed (1-based), or undefined when the run passed. */
  failedAt?: number;
  error?: Error;
  tally: Tally;
  graphWrites: number;
  requests: number;
  states: Tally;
  /** How often the run went down the paths that matter here (see pathsOf). */
  paths: Tally;
  ms: number;
}

/**
 * Runs `steps` in a fresh world: each step's operations at once, a settle-and-check where the steps say so, then
 * a last settle-and-check and the drain. A failure is returned with the step it happened at.
 */
export async function runSteps(steps: readonly Step[], options: { drain?: boolean } = {}): Promise<RunResult> {
  const started = Date.now();
  const tally: Tally = new Map();
  const world = await World.start();
  let failedAt: number | undefined;
  let error: Error | undefined;
  try {
    for (const [i, step] of steps.entries()) {
      failedAt = i + 1;
      await Promise.all(step.map((op) => runOp(world, op, tally)));
    }
    failedAt = steps.length + 1;
    await settleAndCheck(world);
    if (options.drain ?? true) {
      failedAt = steps.length + 2;
      await drain(world);
    }
    failedAt = undefined;
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
  }
  const states: Tally = new Map();
  const paths: Tally = new Map();
  let requests = 0;
  try {
    for (const p of REQUESTERS) {
      for (const r of await world.requestsOf(p)) {
        requests++;
        count(states, r.state);
        for (const path of await pathsOf(world, r)) count(paths, path);
      }
    }
  } catch {
    // Only for the summary.
  }
  const graphWrites = world.graph.writes().length;
  await world.stop();
  return { failedAt, error, tally, graphWrites, requests, states, paths, ms: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Shrinking

/**
 * The shortest failing sequence we can find within `budgetInMs`: the steps up to the failing check (a final
 * settle-and-check follows them, and the drain when that is where it failed), then chunks removed while the rest
 * still fails the same way (ddmin: halves, quarters, … single steps). Every candidate is replayed in a fresh world.
 * The interleavings of two instances are not deterministic, so a candidate counts as failing when one of `tries`
 * replays fails with a problem of the same kind as the original. This is our own shrinker, not fast-check's: it
 * knows at which step the check failed, and each replay starts two bots.
 */
export async function shrink(
  steps: readonly Step[],
  failure: { failedAt: number; error: Error },
  options: { budgetInMs: number; tries?: number; log?: (line: string) => void },
): Promise<{ steps: Step[]; error: Error; replays: number }> {
  const deadline = Date.now() + options.budgetInMs;
  const tries = options.tries ?? 2;
  const drain = failure.failedAt > steps.length + 1;
  const kinds = kindsOf(failure.error);
  let replays = 0;
  let best: Step[] = steps.slice(0, Math.min(failure.failedAt, steps.length));
  let bestError = failure.error;
  const fails = async (candidate: Step[]): Promise<boolean> => {
    for (let t = 0; t < tries && Date.now() < deadline; t++) {
      replays++;
      const result = await runSteps(candidate, { drain });
      if (result.error && [...kindsOf(result.error)].some((k) => kinds.has(k))) {
        bestError = result.error;
        return true;
      }
    }
    return false;
  };
  let chunks = 2;
  while (best.length > 1 && Date.now() < deadline) {
    const size = Math.ceil(best.length / chunks);
    let removed = false;
    for (let start = 0; start < best.length && Date.now() < deadline; start += size) {
      const candidate = [...best.slice(0, start), ...best.slice(start + size)];
      if (candidate.length > 0 && (await fails(candidate))) {
        best = candidate;
        options.log?.(`        shrunk to ${best.length} steps (${replays} replays)`);
        removed = true;
        break;
      }
    }
    if (removed) chunks = Math.max(2, chunks - 1);
    else if (size === 1) break;
    else chunks = Math.min(best.length, chunks * 2);
  }
  return { steps: best, error: bestError, replays };
}

// ---------------------------------------------------------------------------------------------
// A whole invariant run

export interface InvariantRunOptions {
  seed: number;
  /** Operations in all, cut into runs of `perRun` steps, each in a fresh world. */
  operations: number;
  perRun: number;
  /** Time allowed to shrink a failure. */
  shrinkBudgetInMs: number;
  log: (line: string) => void;
}

function summary(result: RunResult): string {
  const states = [...result.states].sort().map(([s, n]) => `${s} ${n}`).join(', ');
  const paths = [...result.paths].sort().map(([s, n]) => `${s} ${n}`).join(', ');
  return `${result.requests} requests (${states}; ${paths}), ${result.graphWrites} Graph writes, ${(result.ms / 1000).toFixed(1)} s`;
}

/**
 * Runs the operations; on the first failure shrinks it and throws an error naming the seed, the failing step and
 * the shortest failing sequence. Returns how the clicks were answered and the paths taken, when everything held.
 */
export async function runInvariants(options: InvariantRunOptions): Promise<{ answers: Tally; paths: Tally }> {
  const { seed, perRun, log } = options;
  const runs = Math.max(1, Math.ceil(options.operations / perRun));
  const answers: Tally = new Map();
  const paths: Tally = new Map();
  for (let run = 0; run < runs; run++) {
    const length = Math.min(perRun, options.operations - run * perRun);
    const runSeed = (seed + run * 7_919) >>> 0;
    const steps = generateSteps(runSeed, length);
    const result = await runSteps(steps);
    for (const [k, n] of result.tally) count(answers, k, n);
    for (const [k, n] of result.paths) count(paths, k, n);
    log(`      run ${run + 1}/${runs} (seed ${seed}, run seed ${runSeed}): ${length} steps, ${summary(result)}${result.error ? ' — FAILED' : ''}`);
    if (result.error && result.failedAt !== undefined) {
      const where = result.failedAt > steps.length ? 'after the last step' : `at step ${result.failedAt}: ${describeStep(steps[result.failedAt - 1])}`;
      log(`      failed ${where}:\n${result.error.message}\n      shrinking (at most ${Math.round(options.shrinkBudgetInMs / 1000)} s)…`);
      const shrunk = await shrink(steps, { failedAt: result.failedAt, error: result.error }, { budgetInMs: options.shrinkBudgetInMs, log });
      throw new Error(
        `Records and the directory disagree. RELIABILITY_SEED=${seed} (run ${run + 1}, run seed ${runSeed}) failed ${where}\n` +
          `${result.error.message}\n\n` +
          `Shortest failing sequence found (${shrunk.steps.length} steps, ${shrunk.replays} replays; then a settle and the check${result.failedAt > steps.length + 1 ? ', and 20 days' : ''}):\n${describeSteps(shrunk.steps)}\n` +
          (shrunk.error !== result.error ? `\nwhich failed with:\n${shrunk.error.message}\n` : '') +
          `\nReplay it: npm run invariants -- --replay '${JSON.stringify(shrunk.steps)}'`,
      );
    }
  }
  return { answers, paths };
}

export function describeTally(tally: Tally): string {
  return [...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ×${n}`).join(', ');
}
