/**
 * Local mode as `npm start` runs it: the bot starts its own Azurite (data on disk) and Graph emulator.
 * A restart keeps every request; a bad setting stops start-up with one line naming it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { startAzurite } from '../../src/local/azurite';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { createLogger } from '../../src/logger';
import { SCHEMA_VERSION_ROW, STORAGE_SCHEMA_VERSION } from '../../src/storage/schemaVersion';
import { createTables } from '../../src/storage/tables';
import { RecordingLogger } from '../support/fakes';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient } from '../support/teamsClient';
import { PEOPLE } from './support';

async function startLocal(dataDir: string): Promise<RunningApp> {
  return startApp(loadConfig({ PORT: '0', DATA_DIR: dataDir }), createLogger('silent'), { sweepIntervalInMs: 3_600_000 });
}

describe('e2e: local mode', function () {
  this.timeout(90_000);
  let dataDir: string;
  let connector: FakeConnector;
  let app: RunningApp | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bot-data-'));
    connector = await startFakeConnector();
  });

  after(async () => {
    await app?.stop();
    await connector.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a pending request across a restart, and it can still be approved and delivered', async () => {
    app = await startLocal(dataDir);
    let teams = new TeamsClient(app.url, connector.url);
    await teams.install(PEOPLE.adele);
    await teams.install(PEOPLE.megan);
    await teams.say(PEOPLE.adele, 'request');
    const form = connector.inConversation(personalConversationId(PEOPLE.adele)).at(-1)!;
    const submitted = await teams.click(PEOPLE.adele, 'request.submit', { packageId: 'crm-users', justification: 'Survives restarts' }, form.activityId);
    assert.equal(submitted.statusCode, 200, submitted.message);
    await app.effects.idle();
    const approvalCard = connector.inConversation(personalConversationId(PEOPLE.megan)).at(-1)!;
    const approve = cardActions(cardOf(approvalCard)).find((a) => a.verb === 'request.approve');
    assert.ok(approve?.data);

    await app.stop();
    app = await startLocal(dataDir);
    teams = new TeamsClient(app.url, connector.url);

    const decided = await teams.click(PEOPLE.megan, 'request.approve', { ...approve.data, approverJustification: 'After the restart' }, approvalCard.activityId);
    assert.equal(decided.statusCode, 200, decided.message);
    await app.effects.idle();
    const last = connector.inConversation(personalConversationId(PEOPLE.adele)).filter((a) => a.kind === 'send').at(-1);
    assert.match(cardText(cardOf(last)), /You now have access to CRM users/);
  });
});

describe('e2e: a registered bot (BOT_ID) debugged locally with the embedded Azurite', function () {
  this.timeout(90_000);
  let dataDir: string;
  let app: RunningApp | undefined;
  let graph: GraphEmulator | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bot-tunnel-'));
    graph = await startGraphEmulator({ seedFile: 'directory.sample.json' });
  });

  after(async () => {
    await app?.stop();
    await graph?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts on the embedded Azurite under DATA_DIR with one warning, authentication on and the dev routes off', async () => {
    const logger = new RecordingLogger();
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: dataDir,
      BOT_ID: '00000000-aaaa-4bbb-8ccc-000000000001',
      BOT_PASSWORD: 'not-a-real-secret',
      TENANT_ID: '00000000-aaaa-4bbb-8ccc-0000000000ff',
      CATALOG_FILE: 'catalog.sample.json',
      GRAPH_BASE_URL: graph!.url,
    });
    app = await startApp(config, logger, { sweepIntervalInMs: 3_600_000 });

    const warnings = logger.at('warn');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0].msg), /embedded Azurite under DATA_DIR, which is for development only/);
    assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
    const teams = new TeamsClient(app.url, 'https://smba.trafficmanager.net/amer/');
    assert.equal((await teams.say(PEOPLE.adele, 'request')).status, 401, 'no token: 401');
    const tick = await fetch(`${app.url}/api/dev/tick`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(tick.status, 404, 'no dev routes');
    assert.ok((await readdir(join(dataDir, 'azurite'))).length > 0, 'the data is kept under DATA_DIR');
  });
});

interface Exit {
  code: number | null;
  stderr: string;
}

function runBot(env: Record<string, string>): Promise<Exit> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/index.ts'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr: stderr.split('\n').filter((l) => l && !/DeprecationWarning|trace-deprecation/.test(l)).join('\n') });
    });
  });
}

describe('e2e: start-up errors', function () {
  this.timeout(60_000);

  it('refuses to listen unauthenticated on a non-loopback HOST, in one line naming HOST', async () => {
    const { code, stderr } = await runBot({ HOST: '0.0.0.0' });
    assert.equal(code, 1);
    assert.equal(stderr.split('\n').length, 1, stderr);
    assert.match(stderr, /^Configuration error: HOST /);
  });

  it('names the variable of a bad value', async () => {
    const { code, stderr } = await runBot({ PORT: 'eighty' });
    assert.equal(code, 1);
    assert.match(stderr, /^Configuration error: PORT /);
  });

  it('never echoes a key or password of a bad setting', async () => {
    const secret = 'hunter2-S3cr3t';
    const settings: Array<Record<string, string>> = [{ TABLES_CONNECTION_STRING: `AccountName=accessbot;AccountKey=${secret}` }, { GRAPH_BASE_URL: `https://admin:${secret}@graph.example/v1.0` }];
    for (const env of settings) {
      const { code, stderr } = await runBot(env);
      assert.equal(code, 1);
      assert.equal(stderr.split('\n').length, 1, stderr);
      assert.match(stderr, /^Configuration error: (TABLES_CONNECTION_STRING|GRAPH_BASE_URL) /);
      assert.ok(!stderr.includes(secret), stderr);
    }
  });

  it('refuses data of a newer storage schema version in one line naming the data directory to remove', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bot-data-'));
    try {
      // What a newer bot left under DATA_DIR.
      const azurite = await startAzurite({ location: join(dir, 'azurite') });
      const tables = createTables({ connectionString: azurite.connectionString });
      await tables.ensureTables();
      await tables.client('work').createEntity({ ...SCHEMA_VERSION_ROW, version: STORAGE_SCHEMA_VERSION + 1 });
      await azurite.stop();

      const { code, stderr } = await runBot({ DATA_DIR: dir, PORT: '0' });
      assert.equal(code, 1);
      assert.equal(
        stderr,
        `Start-up error: The data directory ${dir} holds data of storage schema version ${STORAGE_SCHEMA_VERSION + 1}, newer than this bot's version ${STORAGE_SCHEMA_VERSION}, ` +
          `and there is no migration yet: run the bot version that wrote it, or remove ${dir} to start with empty storage (its requests are lost).`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the JSON path of a catalog error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const file = join(dir, 'catalog.json');
    await writeFile(file, JSON.stringify({ catalogs: [{ id: 'x', displayName: 'X', accessPackages: [{ id: 'p', displayName: 'P', resources: [{ type: 'group', groupId: 'nope' }], policies: [] }] }] }));
    try {
      const { code, stderr } = await runBot({ CATALOG_FILE: file, PORT: '0' });
      assert.equal(code, 1);
      assert.equal(stderr.split('\n').length, 1, stderr);
      assert.match(stderr, /\$\.catalogs\[0\]\.accessPackages\[0\]\.resources\[0\]\.groupId must be an Entra object id/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
