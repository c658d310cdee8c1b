/**
 * The embedded Azurite of local mode (issue 10). A signal to the bot's whole process group (what systemd, Docker or a supervisor sends) right after an approval
 * was answered: restarted at once on the same DATA_DIR, the bot still has the approval and finishes the delivery,
 * writing each resource once. Its embedded Azurite must survive the signal long enough to save. And when Azurite
 * dies under a running bot, /healthz says so and the bot brings it back on the same data.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../../src/local/azurite';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP, CRM_SP } from '../support/demoTenant';
import { dataDirFree, delayGraphAnswers, startBotProcess, stopBotProcess, until, type BotProcess } from '../reliability/support';
import { PEOPLE } from './support';

const { adele, megan } = PEOPLE;

describe('e2e: SIGTERM or SIGKILL to the bot’s whole process group', function () {
  this.timeout(120_000);
  let root: string;
  let dataDir: string;
  let graph: GraphEmulator;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'group-kill-'));
  });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(root, 'data-'));
    graph = await startGraphEmulator({ seedFile: 'directory.sample.json' });
    connector = await startFakeConnector();
    // Slow Graph answers keep the delivery in flight when the signal lands.
    await delayGraphAnswers(graph.url, 150);
  });

  afterEach(async () => {
    if (bot) await signalGroup(bot, 'SIGKILL');
    bot = undefined;
    await Promise.all([graph.close(), connector.close()]);
  });

  after(async () => {
    // A killed bot's Azurite closes by itself within moments: none may be left behind.
    await until('no Azurite left on the test folders', () => dataDirFree(root), 10_000);
    await rm(root, { recursive: true, force: true });
  });

  function startBot(): Promise<BotProcess> {
    return startBotProcess({ DATA_DIR: dataDir, GRAPH_BASE_URL: graph.url }, 60_000, { detached: true });
  }

  /** Signals the bot's process group, as a service manager does, and waits for the bot to exit. */
  async function signalGroup(running: BotProcess, signal: NodeJS.Signals): Promise<void> {
    const { process: child } = running;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(-(child.pid as number), signal);
    await exited;
  }

  function toldOfDelivery(): boolean {
    return connector
      .inConversation(personalConversationId(adele))
      .some((a) => a.kind === 'send' && /You now have access to CRM users/.test(cardText(cardOf(a))));
  }

  async function submitAndApprove(teams: TeamsClient): Promise<void> {
    for (const person of Object.values(PEOPLE)) await teams.install(person);
    await teams.say(adele, 'request');
    const form = connector.inConversation(personalConversationId(adele)).at(-1)!;
    const submitted = await teams.click(adele, 'request.submit', { packageId: 'crm-users', justification: 'group signal' }, form.activityId);
    assert.equal(submitted.statusCode, 200, submitted.message);
    const card = await until('the approval card to reach Megan', () =>
      connector
        .inConversation(personalConversationId(megan))
        .find((a) => a.kind === 'send' && cardActions(cardOf(a)).some((x) => x.verb === 'request.approve')),
    );
    const approve = cardActions(cardOf(card)).find((a) => a.verb === 'request.approve')!;
    const approved = await teams.click(megan, 'request.approve', { ...approve.data, approverJustification: 'ok' }, card.activityId);
    assert.equal(approved.statusCode, 200, approved.message);
  }

  async function storedState(): Promise<string | undefined> {
    const azurite = await startAzurite({ location: join(dataDir, 'azurite') });
    try {
      const store = new TableRequestStore({ tables: createTables({ connectionString: azurite.connectionString }) });
      const [request] = await store.listByRequester(adele.aadObjectId, 1);
      return request?.state;
    } finally {
      await azurite.stop();
    }
  }

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`keeps the answered approval and finishes the delivery after ${signal} to the group`, async () => {
      bot = await startBot();
      await submitAndApprove(new TeamsClient(bot.url, connector.url));
      await signalGroup(bot, signal);
      const signalledAt = Date.now();

      // Restarted at once, as a supervisor does: the bot copes with an Azurite of the old one still saving.
      bot = await startBot();
      await until('Adele to be told of the delivery', () => toldOfDelivery(), 30_000 - (Date.now() - signalledAt));

      const succeeded = graph.writes().filter((w) => w.status >= 200 && w.status < 300);
      assert.equal(succeeded.filter((w) => w.path === `/v1.0/groups/${CRM_USERS_GROUP}/members/$ref`).length, 1);
      assert.equal(succeeded.filter((w) => w.path === `/v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`).length, 1);
      await signalGroup(bot, 'SIGTERM');
      bot = undefined;
      assert.equal(await storedState(), 'delivered');
    });
  }
});

describe('e2e: the embedded Azurite dies while the bot runs', function () {
  this.timeout(90_000);
  let dataDir: string;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'azurite-dies-'));
    connector = await startFakeConnector();
  });

  after(async () => {
    if (bot) await stopBotProcess(bot, 'SIGTERM');
    await connector.close();
    await until('no Azurite left on the test folder', () => dataDirFree(dataDir), 10_000);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function health(): Promise<{ status: number; body: { status?: string; reason?: string } }> {
    const res = await fetch(`${bot!.url}/healthz`);
    return { status: res.status, body: (await res.json()) as { status?: string; reason?: string } };
  }

  it('/healthz says so (503 with the reason), the bot restarts it on the same data, and requests work again', async () => {
    bot = await startBotProcess({ DATA_DIR: dataDir });
    const teams = new TeamsClient(bot.url, connector.url);
    await teams.install(adele);
    assert.deepEqual(await health(), { status: 200, body: { status: 'ok' } });

    const pidFile = join(dataDir, 'azurite', 'azurite.pid');
    const azuritePid = Number((await readFile(pidFile, 'utf8')).trim());
    // Frozen first, so the outage lasts until the test ends it: the probe gets no answer.
    process.kill(azuritePid, 'SIGSTOP');
    const down = await until('/healthz to report storage down', async () => {
      const answer = await health();
      return answer.status === 503 ? answer : undefined;
    });
    assert.deepEqual(down.body, { status: 'unavailable', reason: 'Table Storage did not answer within 2 s' });

    // Then killed: the bot starts another on the same port and data.
    process.kill(azuritePid, 'SIGKILL');
    await until('another Azurite', async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) !== azuritePid || undefined, 30_000);
    await until('/healthz to be ok again', async () => (await health()).status === 200, 30_000);
    const before = connector.inConversation(personalConversationId(adele)).length;
    assert.equal((await teams.say(adele, 'request')).status, 200);
    const form = await until('the request form', () => connector.inConversation(personalConversationId(adele)).slice(before).find((a) => cardOf(a)));
    assert.match(cardText(cardOf(form)), /CRM users/);
  });
});
