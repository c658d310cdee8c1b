/**
 * Reliability: kill -9 at random moments during 50 lifecycles (submit → approve → delivered, 2 resources each).
 * The bot runs in local mode with its own Azurite on a temp DATA_DIR; five waves of 10 concurrent lifecycles, and
 * in each wave the bot is killed with SIGKILL at a moment drawn from a seeded PRNG and restarted, the lifecycles
 * carrying on. At the end every request is delivered exactly as without crashes (one request per requester),
 * and no resource was written twice (one successful write per resource per request; assignment ids stored =
 * the emulator's).
 *
 * Reproduce a run's kill moments: `RELIABILITY_SEED=<seed> npx mocha test/reliability/crashLifecycles.test.ts`.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../../src/local/azurite';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { VERBS } from '../../src/teams/verbs';
import { CRM_SP, CRM_USERS } from '../support/demoTenant';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient, type TeamsUser } from '../support/teamsClient';
import { PEOPLE } from '../e2e/support';
import { dataDirFree, delayGraphAnswers, extraRequesters, seedWith, sleep, startBotProcess, stopBotProcess, until, type BotProcess } from './support';

const SEED = Number(process.env.RELIABILITY_SEED ?? 0x5eed_0006);
const LIFECYCLES = 50;
const WAVES = 5;
/** A kill lands this long after its wave started: from before the first submit to well into delivery. */
const KILL_WINDOW_IN_MS: [number, number] = [30, 1_500];

/** mulberry32: a small seeded PRNG, so the kill moments of a run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('reliability: kill -9 at random moments during 50 lifecycles', function () {
  this.timeout(90_000);
  const requesters = extraRequesters(LIFECYCLES);
  const random = prng(SEED);
  let dataDir: string;
  let graph: GraphEmulator;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;
  /** The running bot; replaced by a promise of the next one while it restarts. */
  let ready: Promise<BotProcess>;
  /** Every bot process this test started: the ones killed, and the ones to clean up whatever happens. */
  const started: BotProcess[] = [];
  const killed = new Set<BotProcess>();
  let finished = false;
  const killLeftovers = () => started.forEach((b) => b.process.exitCode === null && b.process.signalCode === null && b.process.kill('SIGKILL'));
  process.once('exit', killLeftovers);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'crash-lifecycles-'));
    graph = await startGraphEmulator({ seed: seedWith(requesters) });
    connector = await startFakeConnector();
    await delayGraphAnswers(graph.url, 40);
  });

  after(async () => {
    finished = true;
    await Promise.all(started.map((b) => stopBotProcess(b, 'SIGKILL')));
    if (dataDir) await until('the data folder to be released', () => dataDirFree(dataDir));
    await Promise.all([graph?.close(), connector?.close()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<BotProcess> {
    if (finished) throw new Error('the test is over');
    bot = await startBotProcess({ DATA_DIR: dataDir, GRAPH_BASE_URL: graph.url });
    started.push(bot);
    if (finished) killLeftovers();
    return bot;
  }

  async function killAndRestart(): Promise<void> {
    const victim = bot!;
    let restarted!: (b: BotProcess) => void;
    ready = new Promise((done) => (restarted = done));
    killed.add(victim);
    await stopBotProcess(victim, 'SIGKILL');
    await until('the killed bot to release its data', () => dataDirFree(dataDir));
    restarted(await start());
  }

  /** Runs `step` against the current bot; when the bot dies under it, waits for the next one and says so. */
  async function onBot<T>(step: (teams: TeamsClient) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const running = await ready;
    try {
      return { ok: true, value: await step(new TeamsClient(running.url, connector.url)) };
    } catch (error) {
      // A call the kill cut short (its 'exit' event may not have arrived yet); anything else is a failure.
      if (!killed.has(running)) throw error;
      return { ok: false };
    }
  }

  function approvalCard(requester: TeamsUser) {
    return connector
      .inConversation(personalConversationId(PEOPLE.megan))
      .filter((a) => a.kind === 'send' && cardText(cardOf(a)).includes(requester.name))
      .map((a) => ({ activityId: a.activityId, approve: cardActions(cardOf(a)).find((x) => x.verb === VERBS.approve) }))
      .find((c) => c.approve);
  }

  function delivered(requester: TeamsUser): boolean {
    return connector
      .inConversation(personalConversationId(requester))
      .some((a) => a.kind === 'send' && /You now have access to CRM users/.test(cardText(cardOf(a))));
  }

  /** Does the requester have a stored request? Asked of the bot (`status`), for a submit whose answer was lost. */
  async function hasRequest(requester: TeamsUser): Promise<boolean> {
    for (;;) {
      const asked = await onBot(async (teams) => {
        const before = connector.inConversation(personalConversationId(requester)).length;
        const { status } = await teams.say(requester, 'status');
        assert.equal(status, 200);
        return connector.inConversation(personalConversationId(requester)).slice(before).some((a) => /CRM users/.test(cardText(cardOf(a))));
      });
      if (asked.ok) return asked.value;
    }
  }

  const interrupted = { submit: 0, approve: 0 };

  async function lifecycle(requester: TeamsUser, n: number): Promise<void> {
    // Submit, unless a submit whose answer the crash swallowed was stored after all.
    for (;;) {
      const submitted = await onBot((teams) => teams.click(requester, VERBS.submitRequest, { packageId: 'crm-users', justification: `lifecycle ${n}` }));
      // A submit the crash cut off between its claim and its request is "being saved" for 10 s: ask again then.
      if (submitted.ok && submitted.value.statusCode === 409 && /being saved/.test(submitted.value.message ?? '')) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (submitted.ok) {
        assert.equal(submitted.value.statusCode, 200, `${requester.name}: ${submitted.value.message}`);
        break;
      }
      interrupted.submit++;
      if (await hasRequest(requester)) break;
    }
    // Approve from Megan's card (the startup sweep sends it if the crash came first); a repeated click is a 409.
    const card = await until(`${requester.name}'s approval card`, () => approvalCard(requester), 40_000);
    for (;;) {
      const approved = await onBot((teams) => teams.click(PEOPLE.megan, VERBS.approve, { ...card.approve!.data, approverJustification: `ok ${n}` }, card.activityId));
      if (approved.ok) {
        assert.ok(approved.value.statusCode === 200 || (approved.value.statusCode === 409 && /Megan/.test(approved.value.message ?? '')), `${requester.name}: ${approved.value.statusCode} ${approved.value.message}`);
        break;
      }
      interrupted.approve++;
    }
    await until(`${requester.name} to be told of the delivery`, () => delivered(requester), 60_000);
  }

  it('delivers every request once, writing each resource once, whatever the kills interrupted', async () => {
    const started = Date.now();
    ready = start();
    const first = await ready;
    const teams = new TeamsClient(first.url, connector.url);
    await teams.install(PEOPLE.megan);

    const kills: number[] = [];
    const perWave = LIFECYCLES / WAVES;
    for (let wave = 0; wave < WAVES; wave++) {
      const killAfter = Math.round(KILL_WINDOW_IN_MS[0] + random() * (KILL_WINDOW_IN_MS[1] - KILL_WINDOW_IN_MS[0]));
      kills.push(killAfter);
      const lifecycles = requesters.slice(wave * perWave, (wave + 1) * perWave).map((r, i) => lifecycle(r, wave * perWave + i));
      const killer = sleep(killAfter).then(killAndRestart);
      await Promise.all([...lifecycles, killer]);
    }
    console.log(
      `      ${LIFECYCLES} lifecycles, ${kills.length} kills at ${kills.join(', ')} ms into their waves (seed ${SEED}); ` +
        `interrupted: ${interrupted.submit} submits, ${interrupted.approve} approvals; ${Date.now() - started} ms`,
    );

    // One successful write per resource per request, nothing refused or repeated after a crash.
    const succeeded = graph.writes().filter((w) => w.status >= 200 && w.status < 300);
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/groups/${CRM_USERS}/members/$ref`).length, LIFECYCLES, 'one membership write per request');
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`).length, LIFECYCLES, 'one assignment per request');
    const members = new Set(graph.store.listReferences(CRM_USERS, 'members').flatMap((m) => (m.kind === 'user' ? [m.user.id] : [])));

    // The stored end state, read from the data folder once the bot is gone.
    await stopBotProcess(bot!, 'SIGTERM');
    bot = undefined;
    await until('the data folder to be released', () => dataDirFree(dataDir));
    const azurite = await startAzurite({ location: join(dataDir, 'azurite') });
    try {
      const store = new TableRequestStore({ tables: createTables({ connectionString: azurite.connectionString }) });
      for (const requester of requesters) {
        const requests = await store.listByRequester(requester.aadObjectId, 10);
        assert.equal(requests.length, 1, `${requester.name}: one request, as without crashes`);
        const [request] = requests;
        assert.equal(request.state, 'delivered', requester.name);
        assert.deepEqual(request.resources.map((r) => r.status), ['delivered', 'delivered'], requester.name);
        assert.ok(members.has(requester.aadObjectId), `${requester.name} is a member of CRM Users`);
        const assignments = graph.store.listAssignments(CRM_SP, requester.aadObjectId);
        assert.equal(assignments.length, 1, `${requester.name}: one app-role assignment`);
        assert.equal(request.resources[1].assignmentId, assignments[0].id, `${requester.name}: the stored assignment id is the emulator's`);
      }
    } finally {
      await azurite.stop();
    }
  });
});
