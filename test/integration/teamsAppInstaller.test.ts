/**
 * The proactive install against the Graph emulator: the emulator's `/users/{id}/teamwork/installedApps` answers as
 * Graph documents it, and GraphTeamsAppInstaller follows Teams' documented flow (install → find the installation →
 * its chat), binding the app in the configured Graph's catalog.
 */
import { strict as assert } from 'node:assert';
import { GraphCallError } from '../../src/graph/errors';
import { createGraphClient } from '../../src/graph/graphClient';
import { GraphTeamsAppInstaller } from '../../src/graph/teamsAppInstaller';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';

const DIEGO = '11111111-0000-4000-8000-000000000002';
const MEGAN = '11111111-0000-4000-8000-000000000005';
const APP = '55555555-0000-4000-8000-000000000001';
const OTHER_APP = '55555555-0000-4000-8000-000000000002';
const BOT = '55555555-0000-4000-8000-0000000000b0';
const NOT_IN_CATALOG = '77777777-0000-4000-8000-00000000dead';

/** Waits nothing, so retry tests run at once; counts the waits. */
function instantRetries() {
  const waits: number[] = [];
  return { waits, environment: { now: () => 0, sleep: async (ms: number) => void waits.push(ms), random: () => 0.5 } };
}

describe('Graph emulator: apps in a user\'s personal scope, and GraphTeamsAppInstaller', () => {
  let emulator: GraphEmulator;

  beforeEach(async () => {
    emulator = await startGraphEmulator({
      seed: {
        users: [
          { id: DIEGO, displayName: 'Diego Siciliani' },
          { id: MEGAN, displayName: 'Megan Bowen' },
        ],
        teamsApps: [
          { id: APP, displayName: 'Access Requests', botId: BOT },
          { id: OTHER_APP, displayName: 'Other app' },
        ],
      },
    });
  });
  afterEach(async () => emulator.close());

  /** Graph's answers, loosely typed: tests read the fields they check. */
  type Body = { value: Array<{ id: string; teamsApp?: unknown }>; id: string; chatType: string; error: { message: string } };

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Body };
  }

  const bind = (appId: string, root = emulator.url) => ({ 'teamsApp@odata.bind': `${root}/appCatalogs/teamsApps/${appId}` });

  it('installs (201, no body), lists the installation with $expand=teamsApp and the documented filter, and answers its chat', async () => {
    const installed = await call('POST', `/users/${DIEGO}/teamwork/installedApps`, bind(APP));
    assert.deepEqual(installed, { status: 201, body: undefined });
    await call('POST', `/users/${DIEGO}/teamwork/installedApps`, bind(OTHER_APP));

    const plain = await call('GET', `/users/${DIEGO}/teamwork/installedApps`);
    assert.equal(plain.body.value.length, 2);
    assert.deepEqual(Object.keys(plain.body.value[0]), ['id'], 'without $expand an installation is its id');

    const query = `$expand=teamsApp&$filter=${encodeURIComponent(`teamsApp/id eq '${APP}'`)}`;
    const found = await call('GET', `/users/${DIEGO}/teamwork/installedApps?${query}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.value.length, 1);
    const [installation] = found.body.value;
    assert.equal(Buffer.from(installation.id, 'base64').toString(), `${DIEGO}##${APP}`);
    assert.deepEqual(installation.teamsApp, { id: APP, externalId: null, displayName: 'Access Requests', distributionMethod: 'organization' });

    const chat = await call('GET', `/users/${DIEGO}/teamwork/installedApps/${encodeURIComponent(installation.id)}/chat`);
    assert.equal(chat.status, 200);
    assert.equal(chat.body.id, `19:${BOT}_${DIEGO}@unq.gbl.spaces`);
    assert.equal(chat.body.chatType, 'oneOnOne');

    assert.deepEqual((await call('GET', `/users/${MEGAN}/teamwork/installedApps?${query}`)).body.value, [], 'not installed: an empty list');
    assert.equal((await call('GET', `/users/${MEGAN}/teamwork/installedApps/${encodeURIComponent(installation.id)}/chat`)).status, 404);
  });

  it('refuses an app the catalog lacks (404), a second install (409), a bind outside its own Graph, and other filters (400)', async () => {
    const unknown = await call('POST', `/users/${DIEGO}/teamwork/installedApps`, bind(NOT_IN_CATALOG));
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /not found in the tenant's app catalog/);
    assert.equal((await call('POST', `/users/${DIEGO}/teamwork/installedApps`, bind(APP))).status, 201);
    const again = await call('POST', `/users/${DIEGO}/teamwork/installedApps`, bind(APP));
    assert.equal(again.status, 409);
    const elsewhere = await call('POST', `/users/${MEGAN}/teamwork/installedApps`, bind(APP, 'https://graph.microsoft.com/v1.0'));
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.error.message, /Invalid URL format specified in teamsApp@odata.bind/);
    assert.equal((await call('GET', `/users/${DIEGO}/teamwork/installedApps?$filter=${encodeURIComponent("displayName eq 'x'")}`)).status, 400);
    assert.equal((await call('GET', `/users/${DIEGO}/teamwork/installedApps?$expand=chat`)).status, 400);
  });

  it('GraphTeamsAppInstaller binds the app in the configured Graph (GRAPH_BASE_URL), installs, and finds the chat', async () => {
    const client = createGraphClient({ baseUrl: emulator.url });
    const installer = new GraphTeamsAppInstaller(client, { graphBaseUrl: `${emulator.url}/` });
    assert.equal(await installer.install(DIEGO, APP), 'installed');
    assert.equal(await installer.install(DIEGO, APP), 'alreadyInstalled');
    assert.equal(await installer.chatIdFor(DIEGO, APP), `19:${BOT}_${DIEGO}@unq.gbl.spaces`);

    // Bound in another Graph's catalog (the old hard-coded https://graph.microsoft.com), the emulator refuses it.
    const elsewhere = new GraphTeamsAppInstaller(client, { graphBaseUrl: 'https://graph.microsoft.com/v1.0' });
    await assert.rejects(elsewhere.install(MEGAN, APP), (err: unknown) => err instanceof GraphCallError && err.statusCode === 400);
    await assert.rejects(installer.install(MEGAN, NOT_IN_CATALOG), (err: unknown) => err instanceof GraphCallError && err.statusCode === 404);
  });

  it('looks for the installation and its chat again, with a bounded backoff, while Graph does not have them yet', async () => {
    const client = createGraphClient({ baseUrl: emulator.url });
    const retries = instantRetries();
    const installer = new GraphTeamsAppInstaller(client, { graphBaseUrl: emulator.url, retry: { maxAttempts: 4 }, environment: retries.environment });
    await installer.install(DIEGO, APP);
    emulator.failNext({ method: 'GET', path: /\/chat$/, status: 404, times: 1 });
    emulator.failNext({ method: 'GET', path: /\/chat$/, status: 502, times: 1 });
    assert.equal(await installer.chatIdFor(DIEGO, APP), `19:${BOT}_${DIEGO}@unq.gbl.spaces`);
    assert.deepEqual(retries.waits, [750, 1500]);

    // Never installed: undefined after the attempts allowed, never more.
    const before = emulator.requests().length;
    assert.equal(await installer.chatIdFor(MEGAN, APP), undefined);
    assert.equal(emulator.requests().length - before, 4);

    // A refusal no wait can fix is thrown at once.
    emulator.failNext({ method: 'GET', path: /installedApps$/, status: 403 });
    await assert.rejects(installer.chatIdFor(DIEGO, APP), (err: unknown) => err instanceof GraphCallError && err.statusCode === 403);
  });
});
