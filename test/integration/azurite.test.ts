import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzuriteInUseError, startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createTables, TablesConfigError, validateTablePrefix } from '../../src/storage/tables';
import { TableRequestStore } from '../../src/storage/requestStore';
import type { AccessRequest } from '../../src/domain/request';
import { aRequest } from '../support/builders';
import { uniquePrefix, useAzurite } from '../support/azurite';
import { sleep, until } from '../reliability/support';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The store of the requests table on `azurite`, created. */
async function storeOn(azurite: RunningAzurite): Promise<TableRequestStore> {
  const tables = createTables({ connectionString: azurite.connectionString, prefix: 'disk' });
  await tables.ensureTables();
  return new TableRequestStore({ tables });
}

async function storedRequest(azurite: RunningAzurite): Promise<AccessRequest> {
  const request = aRequest();
  await (await storeOn(azurite)).create(request, { effects: [{ kind: 'startStage' }] });
  return request;
}

/** Waits for the supervisor to bring up a child other than `pid`. */
function restarted(azurite: RunningAzurite, pid: number): Promise<true> {
  return until('Azurite to be restarted', () => azurite.up && azurite.pid !== pid, 20_000);
}

describe('startAzurite', function () {
  this.timeout(60_000);
  const started: RunningAzurite[] = [];
  let dir: string;
  let n = 0;
  const newLocation = () => join(dir, `data${++n}`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'azurite-test-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((azurite) => azurite.stop()));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps data on disk across stop and start, and stops at once though clients keep sockets open', async () => {
    const location = newLocation();
    const first = await startAzurite({ location });
    started.push(first);
    const request = await storedRequest(first);
    // The client's keep-alive sockets are still open: closing must not wait for them until the SIGKILL.
    const stopping = Date.now();
    await first.stop();
    assert.ok(Date.now() - stopping < 3_000, `stop took ${Date.now() - stopping} ms`);

    const second = await startAzurite({ location });
    started.push(second);
    const loaded = await (await storeOn(second)).get(request.id);
    assert.deepEqual(loaded?.request, request);
    assert.equal(loaded?.effects.length, 1);
  });

  it('closes gracefully on SIGTERM (nothing written is lost) and is restarted', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const azurite = await startAzurite({ location: newLocation(), logger: { warn: (obj, msg) => warnings.push({ ...obj, msg }) } });
    started.push(azurite);
    const request = await storedRequest(azurite);
    const { pid } = azurite;
    process.kill(pid, 'SIGTERM');
    await restarted(azurite, pid);
    assert.equal(isAlive(pid), false);
    assert.deepEqual((await (await storeOn(azurite)).get(request.id))?.request, request);
    assert.deepEqual(
      warnings.map((w) => w.msg),
      ['embedded Azurite exited unexpectedly; restarting it', 'embedded Azurite restarted'],
    );
    // It exited by itself after saving, not killed by the SIGTERM.
    assert.equal(warnings[0].code, 0);
    assert.equal(warnings[0].signal, null);
  });

  it('restarts a child killed with SIGKILL on the same port, with the data it had saved', async () => {
    const location = newLocation();
    const first = await startAzurite({ location });
    started.push(first);
    const request = await storedRequest(first);
    await first.stop();
    const warnings: Array<Record<string, unknown>> = [];
    const azurite = await startAzurite({ location, logger: { warn: (obj, msg) => warnings.push({ ...obj, msg }) } });
    started.push(azurite);
    const store = await storeOn(azurite);

    const { pid, port } = azurite;
    process.kill(pid, 'SIGKILL');
    await restarted(azurite, pid);
    assert.equal(azurite.port, port);
    // The same client, on the connection string it was built with.
    assert.deepEqual((await store.get(request.id))?.request, request);
    assert.deepEqual(warnings[0], { pid, code: null, signal: 'SIGKILL', restartInMs: 500, msg: 'embedded Azurite exited unexpectedly; restarting it' });
    assert.deepEqual(warnings[1], { pid: azurite.pid, port, msg: 'embedded Azurite restarted' });

    await azurite.stop();
    assert.equal(azurite.up, false);
    assert.equal(isAlive(azurite.pid), false);
  });

  it('waits for a previous Azurite still running on the folder before starting', async () => {
    const location = newLocation();
    const first = await startAzurite({ location });
    started.push(first);
    const request = await storedRequest(first);
    assert.equal(await readFile(join(location, 'azurite.pid'), 'utf8'), `${first.pid}\n`);

    let secondStarted = false;
    const starting = startAzurite({ location }).then((second) => {
      started.push(second);
      secondStarted = true;
      return second;
    });
    await sleep(1_000);
    assert.equal(secondStarted, false);
    await first.stop();
    const second = await starting;
    assert.deepEqual((await (await storeOn(second)).get(request.id))?.request, request);
    await second.stop();
    assert.equal(existsSync(join(location, 'azurite.pid')), false);
  });

  it('fails with one sentence naming the folder and the pid when the previous Azurite does not exit', async () => {
    const location = newLocation();
    const first = await startAzurite({ location });
    started.push(first);
    await assert.rejects(
      startAzurite({ location, previousExitTimeoutInMs: 500 }),
      (error: unknown) =>
        error instanceof AzuriteInUseError &&
        error.message === `Another Azurite (pid ${first.pid}) is still running on ${location} after 0.5 s: is a second bot using the same DATA_DIR?`,
    );
    assert.ok(isAlive(first.pid));
  });

  it('ignores a stale pid file', async () => {
    const location = newLocation();
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await mkdir(location, { recursive: true });
    await writeFile(join(location, 'azurite.pid'), `${gone.pid}\n`);
    const starting = Date.now();
    started.push(await startAzurite({ location, previousExitTimeoutInMs: 30_000 }));
    assert.ok(Date.now() - starting < 15_000);
  });

  it('stop() ends the child process and frees the port', async () => {
    const azurite = await startAzurite();
    assert.ok(isAlive(azurite.pid));
    await azurite.stop();
    assert.equal(isAlive(azurite.pid), false);
    await azurite.stop(); // a second stop is harmless
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(azurite.port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails with Azurite’s own words when the port is taken', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await assert.rejects(startAzurite({ port }), /exited during start-up[\s\S]*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Tables', function () {
  this.timeout(30_000);

  it('creates every table, and creating them again is fine', async () => {
    const { connectionString } = await useAzurite();
    const tables = createTables({ connectionString, prefix: uniquePrefix() });
    await tables.ensureTables();
    await tables.ensureTables();
    const names = ['requests', 'conversations', 'work', 'requesterIndex'] as const;
    for (const name of names) {
      // A query on a missing table would fail with 404.
      const page = await tables.client(name).listEntities().byPage({ maxPageSize: 1 }).next();
      assert.equal(page.done, false);
    }
  });

  it('validates TABLES_PREFIX with a message that names it', () => {
    for (const bad of ['1abc', 'has-dash', 'under_score', 'x'.repeat(50)]) {
      assert.throws(() => validateTablePrefix(bad), (error: unknown) => error instanceof TablesConfigError && /TABLES_PREFIX/.test(error.message));
      assert.throws(() => createTables({ connectionString: 'UseDevelopmentStorage=true', prefix: bad }), TablesConfigError);
    }
    for (const good of ['', 'a', 'Bot1', 'x'.repeat(49)]) validateTablePrefix(good);
    assert.equal(createTables({ connectionString: 'UseDevelopmentStorage=true', prefix: 'dev' }).tableName('work'), 'devwork');
  });
});
