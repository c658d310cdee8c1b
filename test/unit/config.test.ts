import { strict as assert } from 'node:assert';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/config';

type Env = Record<string, string | undefined>;

const BOT_ID = '00000000-aaaa-4bbb-8ccc-000000000001';
const TENANT = '00000000-aaaa-4bbb-8ccc-0000000000f0';

/** A complete production environment: every test of a missing or bad setting removes or changes one thing. */
const production: Env = {
  HOST: '0.0.0.0',
  PORT: '8080',
  BOT_ID,
  BOT_PASSWORD: 'not-a-real-secret',
  TENANT_ID: TENANT,
  TABLES_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=accessbot;AccountKey=a2V5;EndpointSuffix=core.windows.net',
  GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0',
  CATALOG_FILE: '/etc/access-bot/catalog.json',
};

function without(env: Env, ...names: string[]): Env {
  const out = { ...env };
  for (const name of names) delete out[name];
  return out;
}

/** The ConfigError names the variable first, on one line. */
function configError(variable: string, mentions?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${variable} `), `message should start with "${variable} ": ${err.message}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    if (mentions) assert.match(err.message, mentions);
    return true;
  };
}

async function refused(env: Env, variable: string, mentions?: RegExp): Promise<void> {
  await assert.rejects(async () => loadConfig(env), configError(variable, mentions));
}

describe('config', () => {
  describe('defaults (local mode)', () => {
    it('an empty environment is local mode on 127.0.0.1:3978 with embedded tables in .data and the sample catalog', () => {
      const config = loadConfig({});
      assert.equal(config.localMode, true);
      assert.equal(config.bot, undefined);
      assert.equal(config.host, '127.0.0.1');
      assert.equal(config.port, 3978);
      assert.deepEqual(config.tables, { kind: 'embedded', dataDir: '.data' });
      assert.equal(config.tablesPrefix, '');
      assert.equal(config.catalogFile, 'catalog.sample.json');
      assert.equal(config.directorySeedFile, 'directory.sample.json');
      assert.equal(config.graphBaseUrl, undefined, 'undefined starts the embedded Graph emulator');
      assert.equal(config.graphAuthenticated, false);
      assert.equal(config.tenantId, undefined);
      assert.equal(config.logLevel, 'info');
      assert.equal(config.teamsServiceUrl, undefined);
      assert.equal(config.teamsAppId, undefined);
    });

    it('blank values count as unset', () => {
      const config = loadConfig({ PORT: '  ', HOST: '', LOG_LEVEL: ' ', DATA_DIR: '' });
      assert.equal(config.port, 3978);
      assert.equal(config.host, '127.0.0.1');
      assert.equal(config.logLevel, 'info');
      assert.deepEqual(config.tables, { kind: 'embedded', dataDir: '.data' });
    });

    it('takes DATA_DIR, DIRECTORY_SEED_FILE, CATALOG_FILE, TEAMS_APP_ID and a case-insensitive LOG_LEVEL', () => {
      const config = loadConfig({
        DATA_DIR: '/tmp/bot-data',
        DIRECTORY_SEED_FILE: 'seed.json',
        CATALOG_FILE: 'my-catalog.json',
        TEAMS_APP_ID: 'app-1',
        LOG_LEVEL: 'DEBUG',
        PORT: '4000',
        HOST: 'localhost',
      });
      assert.deepEqual(config.tables, { kind: 'embedded', dataDir: '/tmp/bot-data' });
      assert.equal(config.directorySeedFile, 'seed.json');
      assert.equal(config.catalogFile, 'my-catalog.json');
      assert.equal(config.teamsAppId, 'app-1');
      assert.equal(config.logLevel, 'debug');
      assert.equal(config.port, 4000);
      assert.equal(config.host, 'localhost');
    });

    it('loopback names are recognised', () => {
      for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
      for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', 'localhost.example.com']) assert.equal(isLoopbackHost(host), false, host);
      assert.equal(loadConfig({ HOST: '::1' }).host, '::1');
    });
  });

  describe('bad settings stop start-up naming the variable', () => {
    it('PORT', async () => {
      await refused({ PORT: 'abc' }, 'PORT', /"abc"/);
      await refused({ PORT: '65536' }, 'PORT');
      await refused({ PORT: '-1' }, 'PORT');
      await refused({ PORT: '80.5' }, 'PORT');
    });

    it('HOST: not loopback without BOT_ID (unauthenticated), or not a host at all', async () => {
      await refused({ HOST: '0.0.0.0' }, 'HOST', /BOT_ID/);
      await refused({ HOST: '10.1.2.3' }, 'HOST');
      await refused({ HOST: 'bad host!' }, 'HOST');
    });

    it('BOT_ID must be a GUID', async () => {
      await refused({ ...production, BOT_ID: 'my-bot' }, 'BOT_ID', /GUID/);
    });

    it('BOT_TYPE defaults to SingleTenant (no new multi-tenant bots since 2025-07-31), registered in TENANT_ID', () => {
      const config = loadConfig(production);
      assert.deepEqual(config.bot, { appId: BOT_ID, password: 'not-a-real-secret', type: 'SingleTenant', tenantId: TENANT });
    });

    it('BOT_PASSWORD is required for SingleTenant (the default type) and MultiTenant, and needs BOT_ID', async () => {
      await refused(without(production, 'BOT_PASSWORD'), 'BOT_PASSWORD', /SingleTenant \(the default\).*UserAssignedMSI/);
      await refused({ ...without(production, 'BOT_PASSWORD'), BOT_TYPE: 'MultiTenant' }, 'BOT_PASSWORD', /MultiTenant/);
      await refused({ BOT_PASSWORD: 'secret' }, 'BOT_PASSWORD', /BOT_ID/);
    });

    it('BOT_TYPE must be a known type; a single-tenant identity lives in the tenant served', async () => {
      await refused({ ...production, BOT_TYPE: 'Federated' }, 'BOT_TYPE');
      await refused({ ...production, BOT_TYPE: 'SingleTenant', BOT_TENANT_ID: 'contoso' }, 'BOT_TENANT_ID', /GUID/);
      const other = '99999999-0000-4000-8000-000000000001';
      await refused({ ...production, BOT_TYPE: 'SingleTenant', BOT_TENANT_ID: other }, 'BOT_TENANT_ID', /TENANT_ID/);
      await refused({ ...without(production, 'TENANT_ID'), BOT_TYPE: 'SingleTenant' }, 'TENANT_ID', /SingleTenant/);
      const config = loadConfig({ ...production, BOT_TYPE: 'singletenant', BOT_TENANT_ID: TENANT.toUpperCase() });
      assert.deepEqual(config.bot, { appId: BOT_ID, password: 'not-a-real-secret', type: 'SingleTenant', tenantId: TENANT.toUpperCase() });
    });

    it('MultiTenant (bots registered before 2025-07-31) needs no tenant', () => {
      const config = loadConfig({ ...production, BOT_TYPE: 'MultiTenant' });
      assert.deepEqual(config.bot, { appId: BOT_ID, password: 'not-a-real-secret', type: 'MultiTenant', tenantId: undefined });
    });

    it('UserAssignedMSI takes no password, and a tenant (TENANT_ID by default)', async () => {
      const config = loadConfig({ ...without(production, 'BOT_PASSWORD'), BOT_TYPE: 'UserAssignedMSI' });
      assert.deepEqual(config.bot, { appId: BOT_ID, password: undefined, type: 'UserAssignedMSI', tenantId: TENANT });
      assert.equal(config.localMode, false);
      await refused({ ...production, BOT_TYPE: 'UserAssignedMSI' }, 'BOT_PASSWORD', /UserAssignedMSI takes no password/);
      await refused({ ...without(production, 'BOT_PASSWORD', 'TENANT_ID'), BOT_TYPE: 'UserAssignedMSI' }, 'TENANT_ID', /UserAssignedMSI/);
    });

    it('TABLES_CONNECTION_STRING and TABLES_ENDPOINT together are refused; each must look right', async () => {
      await refused({ ...production, TABLES_ENDPOINT: 'https://accessbot.table.core.windows.net' }, 'TABLES_ENDPOINT', /TABLES_CONNECTION_STRING/);
      await refused({ TABLES_CONNECTION_STRING: 'hello' }, 'TABLES_CONNECTION_STRING');
      await refused({ TABLES_ENDPOINT: 'accessbot.table.core.windows.net' }, 'TABLES_ENDPOINT');
      await refused({ TABLES_ENDPOINT: 'ftp://accessbot.table.core.windows.net' }, 'TABLES_ENDPOINT');
    });

    it('TABLES_PREFIX: a letter, then letters and digits, at most 40', async () => {
      for (const prefix of ['1bot', 'my-bot', 'my_bot', 'a'.repeat(41)]) await refused({ TABLES_PREFIX: prefix }, 'TABLES_PREFIX');
      assert.equal(loadConfig({ TABLES_PREFIX: 'Dev2' }).tablesPrefix, 'Dev2');
      assert.equal(loadConfig({ TABLES_PREFIX: 'a'.repeat(40) }).tablesPrefix, 'a'.repeat(40));
    });

    it('LOG_LEVEL', async () => {
      await refused({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /debug, info, warn, error/);
    });

    it('GRAPH_BASE_URL: https unless loopback, and a URL', async () => {
      await refused({ GRAPH_BASE_URL: 'http://graph.microsoft.com/v1.0' }, 'GRAPH_BASE_URL', /https/);
      await refused({ ...production, GRAPH_BASE_URL: 'http://10.0.0.5/v1.0' }, 'GRAPH_BASE_URL', /https/);
      await refused({ GRAPH_BASE_URL: 'graph.microsoft.com' }, 'GRAPH_BASE_URL');
      await refused({ GRAPH_BASE_URL: 'ftp://127.0.0.1/v1.0' }, 'GRAPH_BASE_URL');
    });

    it('TENANT_ID, TEAMS_SERVICE_URL and AZURE_* are checked', async () => {
      await refused({ ...production, TENANT_ID: 'contoso.onmicrosoft.com' }, 'TENANT_ID', /GUID/);
      await refused({ TEAMS_SERVICE_URL: 'smba.trafficmanager.net' }, 'TEAMS_SERVICE_URL');
      await refused({ AZURE_CLIENT_SECRET: 's' }, 'AZURE_CLIENT_SECRET', /AZURE_TENANT_ID/);
      await refused({ AZURE_CLIENT_ID: 'app' }, 'AZURE_CLIENT_ID', /GUID/);
    });
  });

  describe('production (BOT_ID set)', () => {
    it('a complete environment loads', () => {
      const config = loadConfig(production);
      assert.equal(config.localMode, false);
      assert.deepEqual(config.bot, { appId: BOT_ID, password: 'not-a-real-secret', type: 'SingleTenant', tenantId: TENANT });
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 8080);
      assert.equal(config.tenantId, TENANT);
      assert.equal(config.tables.kind, 'connectionString');
      assert.equal(config.graphBaseUrl, 'https://graph.microsoft.com/v1.0');
      assert.equal(config.graphAuthenticated, true);
      assert.equal(config.catalogFile, '/etc/access-bot/catalog.json');
    });

    it('accepts TABLES_ENDPOINT (managed identity) instead of a connection string', () => {
      const config = loadConfig({ ...without(production, 'TABLES_CONNECTION_STRING'), TABLES_ENDPOINT: 'https://accessbot.table.core.windows.net/' });
      assert.deepEqual(config.tables, { kind: 'endpoint', endpoint: 'https://accessbot.table.core.windows.net' });
    });

    const required: Array<[string, string]> = [
      ['TENANT_ID', 'TENANT_ID'],
      ['CATALOG_FILE', 'CATALOG_FILE'],
      ['GRAPH_BASE_URL', 'GRAPH_BASE_URL'],
    ];
    for (const [removed, named] of required) {
      it(`refuses to start without ${removed}`, async () => {
        await refused(without(production, removed), named, /BOT_ID/);
      });
    }
  });

  describe('BOT_ID with the embedded Azurite (debugging a registered bot through a dev tunnel)', () => {
    it('keeps authentication on and uses the embedded Azurite under DATA_DIR when no storage is set', () => {
      const config = loadConfig({ ...without(production, 'TABLES_CONNECTION_STRING'), DATA_DIR: '/tmp/dev-tunnel-data' });
      assert.equal(config.localMode, false, 'authenticated, no dev routes');
      assert.equal(config.bot?.appId, BOT_ID);
      assert.deepEqual(config.tables, { kind: 'embedded', dataDir: '/tmp/dev-tunnel-data' });
    });
  });

  describe('secrets are never quoted in an error', () => {
    const SECRET = 'hunter2-S3cr3t';
    const quiet = (variable: string) => (err: unknown) => configError(variable)(err) && !(err as Error).message.includes(SECRET);

    it('a malformed TABLES_CONNECTION_STRING is described without its key', async () => {
      for (const connectionString of [
        `AccountName=accessbot;AccountKey=${SECRET}`,
        `DefaultEndpointsProtocol=https;AccountName=accessbot;AccountKey=${SECRET}`,
        `TableEndpoint=not a url;AccountName=accessbot;AccountKey=${SECRET}`,
        `AccountKey=${SECRET}`,
      ]) {
        await assert.rejects(async () => loadConfig({ ...production, TABLES_CONNECTION_STRING: connectionString }), quiet('TABLES_CONNECTION_STRING'), connectionString);
      }
    });

    it('a URL setting with a user name, password or query is refused without quoting them', async () => {
      const urls: Array<[string, string]> = [
        ['GRAPH_BASE_URL', `https://admin:${SECRET}@graph.microsoft.com/v1.0`],
        ['GRAPH_BASE_URL', `admin:${SECRET}@graph.microsoft.com`],
        ['GRAPH_BASE_URL', `ftp://admin:${SECRET}@graph.microsoft.com`],
        ['TABLES_ENDPOINT', `https://accessbot.table.core.windows.net/?sv=2024&sig=${SECRET}`],
        ['TEAMS_SERVICE_URL', `https://smba.trafficmanager.net/amer/?token=${SECRET}`],
      ];
      for (const [variable, url] of urls) {
        const env = variable === 'TABLES_ENDPOINT' ? { ...without(production, 'TABLES_CONNECTION_STRING'), [variable]: url } : { ...production, [variable]: url };
        await assert.rejects(async () => loadConfig(env), quiet(variable), url);
      }
    });
  });

  describe('graphAuthenticated', () => {
    it('no token for the embedded emulator or a loopback Graph without AZURE_* settings', () => {
      assert.equal(loadConfig({}).graphAuthenticated, false);
      const loopback = loadConfig({ GRAPH_BASE_URL: 'http://127.0.0.1:5001/v1.0/' });
      assert.equal(loopback.graphAuthenticated, false);
      assert.equal(loopback.graphBaseUrl, 'http://127.0.0.1:5001/v1.0', 'trailing slash removed');
      assert.equal(loadConfig({ GRAPH_BASE_URL: 'http://localhost:5001/v1.0' }).graphAuthenticated, false);
      assert.equal(loadConfig({ GRAPH_BASE_URL: 'http://[::1]:5001/v1.0' }).graphAuthenticated, false);
    });

    it('a token for a loopback Graph when AZURE_* settings are present', () => {
      assert.equal(loadConfig({ GRAPH_BASE_URL: 'http://127.0.0.1:5001/v1.0', AZURE_CLIENT_ID: BOT_ID }).graphAuthenticated, true);
      const withSecret = { GRAPH_BASE_URL: 'http://127.0.0.1:5001/v1.0', AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: BOT_ID, AZURE_CLIENT_SECRET: 's' };
      assert.equal(loadConfig(withSecret).graphAuthenticated, true);
    });

    it('always a token for a non-loopback Graph, even without AZURE_* (managed identity)', () => {
      assert.equal(loadConfig({ GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0' }).graphAuthenticated, true);
      assert.equal(loadConfig(production).graphAuthenticated, true);
    });
  });
});
