import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createTables, TablesConfigError, validateTablePrefix } from '../../src/storage/tables';
import { TableRequestStore } from '../../src/storage/requestStore';
import { aRequest } from '../support/builders';
import { uniquePrefix, useAzurite } from '../support/azurite';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('startAzurite', function () {
  this.timeout(60_000);
  const started: RunningAzurite[] = [];
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'azurite-test-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((azurite) => azurite.stop()));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps data on disk across stop and start', async () => {
    const location = join(dir, 'data');
    const first = await startAzurite({ location });
    started.push(first);
    const tables = createTables({ connectionString: first.connectionString, prefix: 'disk' });
    await tables.ensureTables();
    const request = aRequest();
    await new TableRequestStore({ tables }).create(request, { effects: [{ kind: 'startStage' }] });
    await first.stop();

    const second = await startAzurite({ location });
    started.push(second);
    const again = new TableRequestStore({ tables: createTables({ connectionString: second.connectionString, prefix: 'disk' }) });
    const loaded = await again.get(request.id);
    assert.deepEqual(loaded?.request, request);
    assert.equal(loaded?.effects.length, 1);
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
