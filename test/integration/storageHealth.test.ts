/** What /healthz says of storage: a probe of a real Azurite, cached, and a reason that names no host or key. */
import { strict as assert } from 'node:assert';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { azuriteConnectionString, startAzurite } from '../../src/local/azurite';
import { StorageHealth } from '../../src/storage/storageHealth';
import { createTables } from '../../src/storage/tables';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { RecordingLogger } from '../support/fakes';
import { freePort } from '../e2e/support';

describe('StorageHealth (Azurite)', function () {
  this.timeout(30_000);
  let probes = 0;
  const counting: PipelinePolicy = {
    name: 'countProbes',
    sendRequest: (request, next) => {
      probes++;
      return next(request);
    },
  };
  const noRetries = { retryOptions: { maxRetries: 0 }, additionalPolicies: [{ policy: counting, position: 'perCall' as const }] };

  beforeEach(() => (probes = 0));

  it('is healthy when the tables answer, and probes at most once per period however often it is asked', async () => {
    const { connectionString } = await useAzurite();
    const tables = createTables({ connectionString, prefix: uniquePrefix(), clientOptions: noRetries });
    await tables.ensureTables();
    probes = 0;
    const health = new StorageHealth(tables, new RecordingLogger(), 60_000);
    const answers = await Promise.all([health.problem(), health.problem(), health.problem()]);
    assert.deepEqual(answers, [undefined, undefined, undefined]);
    assert.equal(await health.problem(), undefined);
    assert.equal(probes, 1);
  });

  it('says the tables are missing (404 TableNotFound is not a healthy answer)', async () => {
    const { connectionString } = await useAzurite();
    const health = new StorageHealth(createTables({ connectionString, prefix: uniquePrefix(), clientOptions: noRetries }), new RecordingLogger(), 0);
    assert.equal(await health.problem(), 'Table Storage answered 404 TableNotFound');
  });

  it('says storage is unreachable without naming its host, warns once, and says when it answers again', async () => {
    const port = await freePort();
    const logger = new RecordingLogger();
    const health = new StorageHealth(createTables({ connectionString: azuriteConnectionString(port), clientOptions: noRetries }), logger, 0);
    for (let i = 0; i < 3; i++) assert.equal(await health.problem(), 'Table Storage is unreachable (ECONNREFUSED)');
    assert.equal(logger.at('warn').length, 1, 'one warning for the outage, not one per probe');
    assert.match(JSON.stringify(logger.at('warn')[0].obj), /ECONNREFUSED/);
    assert.equal(probes, 3, 'no retries inside a probe');

    const azurite = await startAzurite({ port });
    try {
      await createTables({ connectionString: azurite.connectionString }).ensureTables();
      assert.equal(await health.problem(), undefined);
      assert.deepEqual(logger.at('info').map((entry) => entry.msg), ['Table Storage answers again']);
    } finally {
      await azurite.stop();
    }
  });
});
