import { strict as assert } from 'node:assert';
import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import {
  checkSchemaVersion,
  findSchemaVersion,
  SCHEMA_VERSION_ROW,
  SchemaVersionError,
  STORAGE_SCHEMA_VERSION,
  type StoragePlace,
} from '../../src/storage/schemaVersion';
import { createTables, type Tables } from '../../src/storage/tables';
import { uniquePrefix, useAzurite, useTables } from '../support/azurite';

const LOCAL: StoragePlace = { dataDir: '/srv/bot/.data' };
const PRODUCTION: StoragePlace = { tablesPrefix: 'accessbot' };

async function recordedRow(tables: Tables): Promise<Record<string, unknown> | undefined> {
  try {
    return await tables.client('work').getEntity(SCHEMA_VERSION_ROW.partitionKey, SCHEMA_VERSION_ROW.rowKey);
  } catch {
    return undefined;
  }
}

function recordVersion(tables: Tables, version: unknown): Promise<unknown> {
  return tables.client('work').upsertEntity({ ...SCHEMA_VERSION_ROW, version: version as number });
}

async function refusal(check: Promise<unknown>): Promise<SchemaVersionError> {
  const error = await check.then(
    () => assert.fail('expected a SchemaVersionError'),
    (err: unknown) => err,
  );
  assert.ok(error instanceof SchemaVersionError, String(error));
  assert.ok(!error.message.includes('\n'), 'one line');
  return error;
}

describe('storage schema version', () => {
  it('is recorded at first start on empty storage, and the same version passes after', async () => {
    const tables = await useTables();
    assert.deepEqual(await findSchemaVersion(tables), { version: STORAGE_SCHEMA_VERSION, how: 'empty' });
    assert.equal(await recordedRow(tables), undefined, 'finding it writes nothing');

    assert.deepEqual(await checkSchemaVersion(tables, LOCAL), { version: STORAGE_SCHEMA_VERSION, how: 'empty' });
    assert.equal((await recordedRow(tables))?.version, STORAGE_SCHEMA_VERSION);
    assert.deepEqual(await checkSchemaVersion(tables, LOCAL), { version: STORAGE_SCHEMA_VERSION, how: 'recorded' });
  });

  it('takes data written before the version was recorded as version 1: older than this bot, refused, nothing recorded', async () => {
    const tables = await useTables();
    await tables.client('conversations').createEntity({ partitionKey: 'user', rowKey: 'someone', data: '{}' });
    assert.deepEqual(await findSchemaVersion(tables), { version: 1, how: 'unrecorded' });
    const error = await refusal(checkSchemaVersion(tables, PRODUCTION));
    assert.match(error.message, new RegExp(`holds data of storage schema version 1, older than this bot's version ${STORAGE_SCHEMA_VERSION},`));
    assert.equal(await recordedRow(tables), undefined);
  });

  it("does not take the doctor's probe partition for data", async () => {
    const tables = await useTables();
    await tables.client('work').createEntity({ partitionKey: 'doctor', rowKey: 'probe-left-over' });
    assert.equal((await findSchemaVersion(tables)).how, 'empty');
  });

  it('refuses data of a newer version in one line: local mode names the data directory to remove', async () => {
    const tables = await useTables();
    await recordVersion(tables, STORAGE_SCHEMA_VERSION + 1);
    const error = await refusal(checkSchemaVersion(tables, LOCAL));
    assert.equal(
      error.message,
      `The data directory /srv/bot/.data holds data of storage schema version ${STORAGE_SCHEMA_VERSION + 1}, newer than this bot's version ${STORAGE_SCHEMA_VERSION}, ` +
        'and there is no migration yet: run the bot version that wrote it, or remove /srv/bot/.data to start with empty storage (its requests are lost).',
    );
    assert.equal((await recordedRow(tables))?.version, STORAGE_SCHEMA_VERSION + 1, 'the row is left as it was');
  });

  it('refuses data of an older version in one line: production says to deploy the version that wrote it or use empty storage', async () => {
    const tables = await useTables();
    await recordVersion(tables, 0);
    const error = await refusal(checkSchemaVersion(tables, PRODUCTION));
    assert.equal(
      error.message,
      `Table Storage (TABLES_PREFIX "accessbot") holds data of storage schema version 0, older than this bot's version ${STORAGE_SCHEMA_VERSION}, ` +
        'and there is no migration yet: deploy the bot version that wrote it, or give this one empty storage (a new TABLES_PREFIX or another storage account).',
    );
    const unprefixed = await refusal(checkSchemaVersion(tables, { tablesPrefix: '' }));
    assert.match(unprefixed.message, /^Table Storage \(no TABLES_PREFIX\) holds /);
  });

  it('refuses a version row it cannot read', async () => {
    const tables = await useTables();
    await recordVersion(tables, 'two');
    const error = await refusal(checkSchemaVersion(tables, PRODUCTION));
    assert.match(error.message, new RegExp(`holds a storage schema version this bot \\(version ${STORAGE_SCHEMA_VERSION}\\) cannot read \\("two"\\), and there is no migration yet: `));
  });

  it('lets instances starting at once on empty storage all pass, one of them recording the version', async () => {
    const tables = await useTables();
    const results = await Promise.all(Array.from({ length: 4 }, () => checkSchemaVersion(tables, PRODUCTION)));
    for (const result of results) assert.equal(result.version, STORAGE_SCHEMA_VERSION);
    assert.equal((await recordedRow(tables))?.version, STORAGE_SCHEMA_VERSION);
  });

  for (const [theirs, outcome] of [
    [STORAGE_SCHEMA_VERSION, 'passes'],
    [STORAGE_SCHEMA_VERSION + 1, 'refuses'],
  ] as const) {
    it(`${outcome} when another instance records version ${theirs} between its read and its create (theirs stands)`, async () => {
      const { tables, other, done } = await withOtherInstance((request) => request.method === 'POST', (other) => recordVersion(other, theirs));
      if (outcome === 'passes') {
        assert.deepEqual(await checkSchemaVersion(tables, PRODUCTION), { version: theirs, how: 'recorded' });
      } else {
        assert.match((await refusal(checkSchemaVersion(tables, PRODUCTION))).message, new RegExp(`version ${theirs}, newer than`));
      }
      assert.ok(done(), 'the create was tried');
      assert.equal((await recordedRow(other))?.version, theirs);
    });
  }

  it('does not take the data of an instance that recorded its version meanwhile for unrecorded data', async () => {
    // Right after this instance found no version row, the other records its version and writes data.
    const { tables, done } = await withOtherInstance(
      (request) => request.method === 'GET',
      async (other) => {
        await recordVersion(other, STORAGE_SCHEMA_VERSION);
        await other.client('conversations').createEntity({ partitionKey: 'user', rowKey: 'someone', data: '{}' });
      },
      'after',
    );
    // Taken for unrecorded data it would be version 1 whatever the other recorded (the version before versions were).
    assert.deepEqual(await findSchemaVersion(tables), { version: STORAGE_SCHEMA_VERSION, how: 'recorded' });
    assert.ok(done());
  });
});

/**
 * Tables on fresh storage, and the same storage as another instance sees it: `act` runs once, for the first
 * request of these tables that `matches` once created, before it is sent or (`when` = 'after') once answered.
 */
async function withOtherInstance(matches: (request: PipelineRequest) => boolean, act: (other: Tables) => Promise<unknown>, when: 'before' | 'after' = 'before') {
  const { connectionString } = await useAzurite();
  const prefix = uniquePrefix();
  const other = createTables({ connectionString, prefix });
  let armed = false;
  let acted = false;
  const policy: PipelinePolicy = {
    name: 'other-instance',
    sendRequest: async (request, next) => {
      const now = armed && matches(request);
      if (!now) return next(request);
      armed = false;
      acted = true;
      if (when === 'before') await act(other);
      try {
        return await next(request);
      } finally {
        // An answer such as 404 or 409 comes back as a thrown RestError.
        if (when === 'after') await act(other);
      }
    },
  };
  const tables = createTables({ connectionString, prefix, clientOptions: { additionalPolicies: [{ policy, position: 'perCall' }] } });
  await tables.ensureTables();
  armed = true;
  return { tables, other, done: () => acted };
}
