/**
 * Local mode as `npm start` runs it: the bot starts its own Azurite (data on disk) and Graph emulator.
 * A restart keeps every request; a bad setting stops start-up with one line naming it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { createLogger } from '../../src/logger';
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
