/**
 * Two bot processes sharing one storage account, both schedulers running: every reminder and every expiry
 * happens once, whichever instance runs it; the same request submitted to both at once is stored once.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient, type TeamsUser } from '../support/teamsClient';
import { CRM_SP, CRM_USERS as CRM_USERS_GROUP } from '../support/demoTenant';
import { freePort, PEOPLE } from './support';

/** catalog.sample.json plus "CRM group": the CRM Users group of "CRM users" alone, no approval, as long as CRM users. */
async function catalogWithSharedGroup(dir: string): Promise<string> {
  const catalog = JSON.parse(await readFile('catalog.sample.json', 'utf8')) as { catalogs: Array<{ accessPackages: Array<Record<string, unknown>> }> };
  const packages = catalog.catalogs[0].accessPackages;
  const crmUsers = packages.find((p) => p.id === 'crm-users') as { resources: unknown[]; policies: Array<Record<string, unknown>> };
  packages.push({
    id: 'crm-group',
    displayName: 'CRM group',
    description: 'The CRM Users group alone.',
    managers: [],
    assignmentManagers: [],
    resources: [crmUsers.resources[0]],
    policies: [{ ...crmUsers.policies[0], id: 'no-approval', approval: { required: false, stages: [] } }],
  });
  const file = join(dir, 'catalog.json');
  await writeFile(file, JSON.stringify(catalog));
  return file;
}

interface Instance {
  url: string;
  process: ChildProcess;
}

async function waitUntilHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the bot at ${url} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the bot at ${url} did not become healthy`);
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '--disable-warning=DEP0111', 'src/index.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url, child);
  return { url, process: child };
}

async function post(url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return res.json();
}

/** Moves both clocks to the same instant, then ticks both schedulers at the same moment. */
async function tickBothAt(instances: Instance[], now: Date): Promise<Array<{ done?: number }>> {
  await Promise.all(instances.map((i) => post(`${i.url}/api/dev/clock`, { now: now.toISOString() })));
  return (await Promise.all(instances.map((i) => post(`${i.url}/api/dev/tick`)))) as Array<{ done?: number }>;
}

function cardsTo(connector: FakeConnector, user: TeamsUser, pattern: RegExp): number {
  return connector
    .inConversation(personalConversationId(user))
    .filter((a) => a.kind === 'send' && pattern.test(cardText(cardOf(a))))
    .length;
}

describe('e2e: two bot processes sharing one storage', function () {
  this.timeout(120_000);
  let graph: GraphEmulator;
  let connector: FakeConnector;
  let instances: Instance[] = [];
  let dir: string;
  const requesters = [PEOPLE.adele, PEOPLE.isaiah, PEOPLE.lee, PEOPLE.patti];

  before(async () => {
    const { connectionString } = await useAzurite();
    graph = await startGraphEmulator({ seedFile: 'directory.sample.json' });
    connector = await startFakeConnector();
    dir = await mkdtemp(join(tmpdir(), 'two-instances-'));
    const env = {
      TABLES_CONNECTION_STRING: connectionString,
      TABLES_PREFIX: uniquePrefix(),
      GRAPH_BASE_URL: graph.url,
      CATALOG_FILE: await catalogWithSharedGroup(dir),
    };
    instances = await Promise.all([startInstance(env), startInstance(env)]);
  });

  after(async () => {
    await Promise.all(
      instances.map(
        (i) =>
          new Promise<void>((done) => {
            if (i.process.exitCode !== null) return done();
            i.process.once('exit', () => done());
            i.process.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all([graph?.close(), connector?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores one request when the same person submits the same package to both instances at once', async () => {
    const [a, b] = instances.map((i) => new TeamsClient(i.url, connector.url));
    const diego = PEOPLE.diego;
    await a.install(diego);
    await a.say(diego, 'request');
    const form = connector.inConversation(personalConversationId(diego)).at(-1)!;
    const data = { packageId: 'sales-team', justification: 'Twice at once' };
    const answers = await Promise.all([a.click(diego, 'request.submit', data, form.activityId), b.click(diego, 'request.submit', data, form.activityId)]);
    assert.deepEqual(answers.map((x) => x.statusCode).sort(), [200, 409], JSON.stringify(answers));
    // Diego reads Japanese.
    assert.match(answers.find((x) => x.statusCode === 409)?.message ?? '', /Sales team (は既に申請済み|の要求を現在保存しています|は .* まで利用できます)/);
    await a.say(diego, 'status');
    const status = cardText(cardOf(connector.inConversation(personalConversationId(diego)).at(-1)));
    assert.equal(status.match(/Sales team/g)?.length, 1, status);
  });

  it('sends each reminder and each expiry once, with both schedulers ticking at the same time', async () => {
    const [a, b] = instances.map((i) => new TeamsClient(i.url, connector.url));
    for (const person of Object.values(PEOPLE)) await a.install(person);

    // Requests submitted through both instances; their clocks start together.
    const start = new Date('2030-01-07T09:00:00Z');
    await Promise.all(instances.map((i) => post(`${i.url}/api/dev/clock`, { now: start.toISOString() })));
    for (const [n, requester] of requesters.entries()) {
      const client = n % 2 ? b : a;
      await client.say(requester, 'request');
      const form = connector.inConversation(personalConversationId(requester)).at(-1)!;
      const answer = await client.click(requester, 'request.submit', { packageId: 'crm-users', justification: `Request ${n}` }, form.activityId);
      assert.equal(answer.statusCode, 200, answer.message);
    }
    // Let both instances finish sending the approval cards.
    await tickBothAt(instances, start);

    // CRM users: 14-day timeout, a reminder one day before.
    const reminders = await tickBothAt(instances, new Date(start.getTime() + 13 * 86_400_000 + 3_600_000));
    assert.equal(reminders.reduce((sum, s) => sum + (s.done ?? 0), 0), requesters.length, JSON.stringify(reminders));
    assert.equal(cardsTo(connector, PEOPLE.megan, /^Reminder/m), requesters.length, 'Megan: one reminder per request');

    const expiries = await tickBothAt(instances, new Date(start.getTime() + 14 * 86_400_000 + 3_600_000));
    assert.equal(expiries.reduce((sum, s) => sum + (s.done ?? 0), 0), requesters.length, JSON.stringify(expiries));
    for (const requester of requesters) {
      assert.equal(cardsTo(connector, requester, /expired/i), 1, `${requester.name}: one expiry notice`);
    }
  });
  it('ends two accesses sharing a group, expired on both instances at the same moment, with the group removed once and for all', async () => {
    const [a, b] = instances.map((i) => new TeamsClient(i.url, connector.url));
    const megan = PEOPLE.megan;
    await a.install(megan);
    const start = new Date('2032-03-01T09:00:00Z');
    await Promise.all(instances.map((i) => post(`${i.url}/api/dev/clock`, { now: start.toISOString() })));
    // Megan gets CRM group (no approval) on one instance and CRM users, approved by Diego, on the other.
    for (const [client, packageId] of [[a, 'crm-group'], [b, 'crm-users']] as const) {
      await client.say(megan, 'request');
      const form = connector.inConversation(personalConversationId(megan)).at(-1)!;
      const answer = await client.click(megan, 'request.submit', { packageId, justification: 'Shared group' }, form.activityId);
      assert.equal(answer.statusCode, 200, answer.message);
    }
    await tickBothAt(instances, start);
    const approval = connector.inConversation(personalConversationId(PEOPLE.diego)).filter((x) => x.kind === 'send' && /Megan Bowen/.test(cardText(cardOf(x)))).at(-1);
    const approve = (cardOf(approval) as { actions?: Array<{ verb?: string; data?: Record<string, unknown> }> }).actions?.find((x) => x.verb === 'request.approve');
    assert.ok(approve?.data, 'Diego can approve');
    const decided = await a.click(PEOPLE.diego, 'request.approve', { ...approve.data, approverJustification: 'ok' }, approval?.activityId);
    assert.equal(decided.statusCode, 200, decided.message);
    await tickBothAt(instances, start);
    const member = () => graph.store.getGroup(CRM_USERS_GROUP).members.has(megan.aadObjectId.toLowerCase());
    assert.ok(member(), 'both delivered');

    // Both accesses end a year later; both schedulers tick at the same moment.
    await tickBothAt(instances, new Date(start.getTime() + 367 * 86_400_000));
    await tickBothAt(instances, new Date(start.getTime() + 367 * 86_400_000 + 60_000));
    assert.equal(member(), false, 'the shared group went with the last access granting it');
    assert.deepEqual(graph.store.listAssignments(CRM_SP).filter((x) => x.principalId.toLowerCase() === megan.aadObjectId.toLowerCase()), []);
  });
});
