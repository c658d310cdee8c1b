import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { formatTable, runDoctor, summaryOf, type CheckRow } from '../../src/doctor';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { useAzurite, uniquePrefix } from '../support/azurite';

const ROOT = resolve(__dirname, '../..');
const MISSING_GROUP = '22222222-0000-4000-8000-000000000999';
const MISSING_ROLE = '44444444-0000-4000-8000-000000000999';
const fast = { graphRetry: { maxRetries: 0, delayInSeconds: 0 }, requestTimeoutInMs: 5_000 };

type CatalogJson = {
  catalogs: Array<{ notificationChannel?: unknown; accessPackages: Array<{ resources: Array<Record<string, string>> }> }>;
};

const problems = (rows: CheckRow[]) => rows.filter((r) => r.result === 'problem');
const find = (rows: CheckRow[], check: string) => {
  const found = rows.find((r) => r.check === check);
  assert.ok(found, `no row "${check}" in\n${formatTable(rows)}`);
  return found;
};

describe('npm run doctor against the Graph emulator and Azurite', () => {
  let emulator: GraphEmulator;
  let connectionString: string;
  let work: string;
  let sample: CatalogJson;

  before(async () => {
    emulator = await startGraphEmulator({ seedFile: join(ROOT, 'directory.sample.json') });
    connectionString = (await useAzurite()).connectionString;
    work = await mkdtemp(join(tmpdir(), 'doctor-test-'));
    sample = JSON.parse(await readFile(join(ROOT, 'catalog.sample.json'), 'utf8')) as CatalogJson;
  });

  after(async () => {
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  });

  afterEach(() => emulator.clearFaults());

  /** The environment of a deployment whose storage is the test Azurite and whose Graph is the emulator. */
  function envFor(catalogFile = join(ROOT, 'catalog.sample.json'), extra: Record<string, string> = {}): Record<string, string> {
    return { TABLES_CONNECTION_STRING: connectionString, TABLES_PREFIX: uniquePrefix(), GRAPH_BASE_URL: emulator.url, CATALOG_FILE: catalogFile, ...extra };
  }

  async function catalogWith(name: string, change: (catalog: CatalogJson) => void): Promise<string> {
    const catalog = structuredClone(sample);
    change(catalog);
    const file = join(work, `${name}.json`);
    await writeFile(file, JSON.stringify(catalog, null, 2));
    return file;
  }

  it('passes the sample catalog: every row ok (app install skipped without TEAMS_APP_ID), exit code 0, probe entity gone', async () => {
    const env = envFor();
    const { rows, exitCode } = await runDoctor(env, fast);
    assert.deepEqual(problems(rows), [], formatTable(rows));
    assert.equal(exitCode, 0);
    for (const check of [
      'configuration',
      'mode',
      'catalog file',
      'storage',
      'Microsoft Graph',
      'permission User.Read.All',
      'permission GroupMember.ReadWrite.All',
      'permission Application.Read.All',
      'permission AppRoleAssignment.ReadWrite.All',
      'catalog users',
      'catalog groups',
      'catalog service principals',
      'catalog app roles',
      'notification channel "sales"',
    ]) {
      assert.equal(find(rows, check).result, 'ok', `${check}\n${formatTable(rows)}`);
    }
    assert.equal(find(rows, 'permission TeamsAppInstallation.ReadWriteForUser.All').result, 'skipped');
    assert.match(find(rows, 'permission GroupMember.ReadWrite.All').detail, /a read proves read access only/);
    assert.match(find(rows, 'catalog groups').detail, /4 references to 4 groups, all found/);
    assert.match(find(rows, 'mode').detail, /checks the configured storage and GRAPH_BASE_URL/);

    // The probe was written under the `doctor` partition of the work table and deleted again.
    const workTable = TableClient.fromConnectionString(connectionString, `${env.TABLES_PREFIX}work`, { allowInsecureConnection: true });
    const left = [];
    for await (const entity of workTable.listEntities({ queryOptions: { filter: "PartitionKey eq 'doctor'" } })) left.push(entity);
    assert.deepEqual(left, []);
    // Only harmless reads reached Graph.
    assert.deepEqual(emulator.writes(), []);
  });

  it('names the JSON path of a group that does not exist, exit code 1', async () => {
    const file = await catalogWith('missing-group', (c) => {
      c.catalogs[0].accessPackages[1].resources[0].groupId = MISSING_GROUP;
    });
    const { rows, exitCode } = await runDoctor(envFor(file), fast);
    assert.equal(exitCode, 1);
    assert.equal(find(rows, 'catalog groups').result, 'problem');
    assert.deepEqual(
      rows.filter((r) => r.check === 'catalog group'),
      [{ check: 'catalog group', result: 'problem', detail: `$.catalogs[0].accessPackages[1].resources[0].groupId ${MISSING_GROUP} not found` }],
    );
    // Everything else still checks out.
    assert.deepEqual(
      problems(rows).map((r) => r.check),
      ['catalog groups', 'catalog group'],
    );
  });

  it('names an app role the service principal does not have', async () => {
    const file = await catalogWith('missing-role', (c) => {
      c.catalogs[0].accessPackages[0].resources[1].appRoleId = MISSING_ROLE;
    });
    const { rows, exitCode } = await runDoctor(envFor(file), fast);
    assert.equal(exitCode, 1);
    const missing = rows.filter((r) => r.check === 'catalog app role');
    assert.equal(missing.length, 1, formatTable(rows));
    assert.match(missing[0].detail, new RegExp(`^\\$\\.catalogs\\[0\\]\\.accessPackages\\[0\\]\\.resources\\[1\\]\\.appRoleId ${MISSING_ROLE} not found among the app roles of Contoso CRM`));
    assert.equal(find(rows, 'catalog service principals').result, 'ok');
  });

  it('reports a 403 on GET /users as the missing User.Read.All permission and how to grant it', async () => {
    emulator.failNext({ method: 'GET', path: '/users', status: 403 });
    const { rows, exitCode } = await runDoctor(envFor(), fast);
    assert.equal(exitCode, 1);
    assert.equal(find(rows, 'Microsoft Graph').result, 'ok', 'a 403 still means Graph was reached');
    const users = find(rows, 'permission User.Read.All');
    assert.equal(users.result, 'problem');
    assert.match(users.detail, /403 Authorization_RequestDenied — the app lacks User\.Read\.All; grant it .*admin consent \(docs\/deploy\.md, step 4\)/);
    assert.deepEqual(problems(rows).map((r) => r.check), ['permission User.Read.All']);
  });

  it('reads installed apps when TEAMS_APP_ID is set, and names TeamsAppInstallation.ReadWriteForUser.All on a 403', async () => {
    const env = envFor(undefined, { TEAMS_APP_ID: 'b3c1e7a2-0000-4000-8000-00000000a991' });
    const first = await runDoctor(env, fast);
    assert.equal(find(first.rows, 'permission TeamsAppInstallation.ReadWriteForUser.All').result, 'ok', formatTable(first.rows));
    assert.equal(first.exitCode, 0);

    emulator.failNext({ method: 'GET', path: /\/teamwork\/installedApps$/, status: 403 });
    const second = await runDoctor(env, fast);
    const row = find(second.rows, 'permission TeamsAppInstallation.ReadWriteForUser.All');
    assert.equal(row.result, 'problem');
    assert.match(row.detail, /lacks TeamsAppInstallation\.ReadWriteForUser\.All/);
  });

  it('turns a bad setting into one problem row naming the variable, exit code 1', async () => {
    const { rows, exitCode } = await runDoctor(envFor(undefined, { TABLES_PREFIX: '1-bad' }), fast);
    assert.equal(exitCode, 1);
    assert.equal(problems(rows).length, 1);
    assert.equal(rows[0].check, 'configuration');
    assert.match(rows[0].detail, /^TABLES_PREFIX must start with a letter/);
  });

  it('says "no credential" when no token can be had, and checks nothing further in Graph', async () => {
    const failing: TokenCredential = {
      getToken: async (): Promise<AccessToken | null> => {
        throw new Error('CredentialUnavailableError: EnvironmentCredential is unavailable. No underlying credential could be used.');
      },
    };
    const env = envFor(undefined, { AZURE_CLIENT_ID: '55555555-0000-4000-8000-000000000001' });
    const { rows, exitCode } = await runDoctor(env, { ...fast, createCredential: () => failing });
    assert.equal(exitCode, 1);
    const graph = find(rows, 'Microsoft Graph');
    assert.equal(graph.result, 'problem');
    assert.match(graph.detail, /^no credential: could not get a token .*EnvironmentCredential is unavailable/);
    assert.equal(find(rows, 'catalog references').result, 'skipped');
    assert.equal(find(rows, 'storage').result, 'ok');
  });

  it('warns, without failing, about a catalog without a notification channel', async () => {
    const file = await catalogWith('no-channel', (c) => {
      delete c.catalogs[0].notificationChannel;
    });
    const { rows, exitCode } = await runDoctor(envFor(file), fast);
    assert.equal(exitCode, 0);
    const channel = find(rows, 'notification channel "sales"');
    assert.equal(channel.result, 'warning');
    assert.match(channel.detail, /managers get no alert/);
    assert.match(summaryOf(rows), /^All checks passed: .*1 warning/);
  });

  it('reports unreachable storage as a problem row', async () => {
    const env = envFor(undefined, {
      TABLES_CONNECTION_STRING: connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9'),
    });
    const { rows, exitCode } = await runDoctor(env, fast);
    assert.equal(exitCode, 1);
    const storage = find(rows, 'storage');
    assert.equal(storage.result, 'problem');
    assert.match(storage.detail, /^http:\/\/127\.0\.0\.1:9\/devstoreaccount1: creating the tables failed/);
  });

  it('`npm run doctor` prints the table and exits 1 for a missing group', async function () {
    this.timeout(60_000);
    const file = await catalogWith('missing-group-cli', (c) => {
      c.catalogs[0].accessPackages[1].resources[0].groupId = MISSING_GROUP;
    });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...envFor(file) };
    const result = await promisify(execFile)('npm', ['run', '--silent', 'doctor'], { cwd: ROOT, env }).then(
      (out) => ({ code: 0, ...out }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^check +\| result +\| detail$/m);
    assert.match(result.stdout, new RegExp(`^catalog group +\\| problem +\\| \\$\\.catalogs\\[0\\]\\.accessPackages\\[1\\]\\.resources\\[0\\]\\.groupId ${MISSING_GROUP} not found$`, 'm'));
    assert.match(result.stdout, /^Problems found: .*2 problems/m);
  });
});

describe('doctor table', () => {
  it('aligns the columns and wraps long details under the detail column (lines within the width)', () => {
    const text = formatTable(
      [
        { check: 'storage', result: 'ok', detail: 'fine' },
        { check: 'catalog group', result: 'problem', detail: 'one two three four five six seven eight nine ten' },
      ],
      { width: 60 },
    );
    assert.equal(
      text,
      [
        'check         | result  | detail',
        '--------------+---------+-------',
        'storage       | ok      | fine',
        'catalog group | problem | one two three four five six seven',
        '              |         | eight nine ten',
      ].join('\n'),
    );
  });
});
