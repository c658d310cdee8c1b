/**
 * The production authentication paths, without a network: the Bot Framework identity per BOT_TYPE, Table
 * Storage through TABLES_ENDPOINT with a token (keyless), and Graph with a token.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { ManagedIdentityServiceClientCredentialsFactory, PasswordServiceClientCredentialFactory } from 'botframework-connector';
import { loadConfig } from '../../src/config';
import { credentialsFor } from '../../src/credentials';
import { GraphDirectory } from '../../src/graph/directory';
import { createGraphClient } from '../../src/graph/graphClient';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { createTables } from '../../src/storage/tables';
import { createAdapter } from '../../src/teams/adapter';

const BOT_ID = '55555555-0000-4000-8000-000000000001';
const TENANT = '99999999-0000-4000-8000-000000000001';
const PRODUCTION = {
  BOT_ID,
  TENANT_ID: TENANT,
  CATALOG_FILE: 'catalog.sample.json',
  GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0',
  TABLES_ENDPOINT: 'https://contosobot.table.core.windows.net',
};

/** A credential that hands out a fixed token and remembers the scopes it was asked for. */
class RecordingCredential implements TokenCredential {
  readonly scopes: string[] = [];
  constructor(private readonly token: string) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** The adapter's credentials factory, under the configuration wrapper botbuilder puts around it. */
function innerFactory(adapter: ReturnType<typeof createAdapter>): unknown {
  return (adapter.credentialsFactory as unknown as { inner: unknown }).inner;
}

describe('production wiring (no network)', () => {
  describe('Bot Framework identity per BOT_TYPE', () => {
    it('MultiTenant and SingleTenant use the app password; SingleTenant keeps its tenant', async () => {
      const multi = createAdapter(loadConfig({ ...PRODUCTION, BOT_PASSWORD: 'p', BOT_TYPE: 'MultiTenant' }).bot);
      assert.ok(innerFactory(multi) instanceof PasswordServiceClientCredentialFactory);
      assert.equal(await multi.credentialsFactory.isValidAppId(BOT_ID), true);
      assert.equal(await multi.credentialsFactory.isValidAppId('00000000-0000-4000-8000-000000000000'), false);

      const single = createAdapter(loadConfig({ ...PRODUCTION, BOT_PASSWORD: 'p', BOT_TYPE: 'SingleTenant', BOT_TENANT_ID: TENANT }).bot);
      const factory = innerFactory(single) as PasswordServiceClientCredentialFactory;
      assert.ok(factory instanceof PasswordServiceClientCredentialFactory);
      assert.equal(factory.tenantId, TENANT);
    });

    it('UserAssignedMSI uses the managed identity, with no password', async () => {
      const config = loadConfig({ ...PRODUCTION, BOT_TYPE: 'UserAssignedMSI', BOT_TENANT_ID: TENANT });
      assert.equal(config.bot?.password, undefined);
      const adapter = createAdapter(config.bot);
      assert.ok(innerFactory(adapter) instanceof ManagedIdentityServiceClientCredentialsFactory);
      assert.equal(await adapter.credentialsFactory.isValidAppId(BOT_ID), true);
    });

    it('local mode authenticates nothing', async () => {
      const adapter = createAdapter(loadConfig({}).bot);
      assert.equal(await adapter.credentialsFactory.isAuthenticationDisabled(), true);
    });
  });

  describe('which credential each service gets', () => {
    const made = () => new RecordingCredential('t');

    it('production: one DefaultAzureCredential-style credential shared by Table Storage and Graph', () => {
      const credentials = credentialsFor(loadConfig({ ...PRODUCTION, BOT_PASSWORD: 'p' }), made);
      assert.ok(credentials.tables);
      assert.equal(credentials.graph, credentials.tables);
    });

    it('local mode: no credential at all; a connection string needs none for storage', () => {
      assert.deepEqual(credentialsFor(loadConfig({}), made), {});
      const withKeys = loadConfig({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0' });
      const credentials = credentialsFor(withKeys, made);
      assert.equal(credentials.tables, undefined);
      assert.ok(credentials.graph, 'a non-loopback Graph always gets a token');
    });

    it('a loopback Graph gets a token only when AZURE_* settings ask for one', () => {
      assert.equal(credentialsFor(loadConfig({ GRAPH_BASE_URL: 'http://127.0.0.1:5050/v1.0' }), made).graph, undefined);
      const withClient = loadConfig({ GRAPH_BASE_URL: 'http://127.0.0.1:5050/v1.0', AZURE_CLIENT_ID: '66666666-0000-4000-8000-000000000001' });
      assert.ok(credentialsFor(withClient, made).graph);
    });
  });

  describe('Table Storage through TABLES_ENDPOINT is keyless', () => {
    let server: Server;
    let port: number;
    const seen: Array<{ method?: string; url?: string; authorization?: string }> = [];
    const previousTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

    before(async () => {
      // Azure's SDK sends bearer tokens over HTTPS only: serve HTTPS locally with a test certificate.
      const tls = join(__dirname, '..', 'fixtures', 'tls');
      server = createServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, (req, res) => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
        res.writeHead(204);
        res.end();
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      port = (server.address() as { port: number }).port;
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    });

    after(async () => {
      if (previousTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTls;
      await new Promise<void>((done) => server.close(() => done()));
    });

    it('sends the managed identity token for the storage scope, no account key', async () => {
      const credential = new RecordingCredential('identity-token');
      const tables = createTables({ endpoint: `https://127.0.0.1:${port}`, credential, prefix: 'bot' });
      await tables.client('requests').createTable();
      assert.deepEqual(credential.scopes, ['https://storage.azure.com/.default']);
      assert.deepEqual(seen.map((r) => [r.method, r.url, r.authorization]), [['POST', '/Tables', 'Bearer identity-token']]);
    });
  });

  describe('Graph with a token', () => {
    let emulator: GraphEmulator;

    before(async () => {
      emulator = await startGraphEmulator({ seedFile: 'directory.sample.json', requireToken: 'graph-token' });
    });

    after(async () => emulator.close());

    it('sends the credential token for the Graph scope; without it Graph refuses', async () => {
      const credential = new RecordingCredential('graph-token');
      const directory = new GraphDirectory(createGraphClient({ baseUrl: emulator.url, credential }));
      const user = await directory.getUser('11111111-0000-4000-8000-000000000001');
      assert.equal(user?.displayName, 'Adele Vance');
      assert.deepEqual([...new Set(credential.scopes)], ['https://graph.microsoft.com/.default']);

      const anonymous = new GraphDirectory(createGraphClient({ baseUrl: emulator.url, retry: { maxRetries: 0 } }));
      await assert.rejects(anonymous.getUser('11111111-0000-4000-8000-000000000001'), (err: Error) => /401|InvalidAuthenticationToken/.test(err.message));
    });
  });
});
