import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { formatTable, runDoctor, summaryOf, type CheckRow } from '../../src/doctor';
import { ALL_GRAPH_PERMISSIONS } from '../../src/graph/permissions';
import { LOCAL_GRAPH_CLIENT_ID, startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { STORAGE_SCHEMA_VERSION } from '../../src/storage/schemaVersion';
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

  afterEach(() => {
    emulator.clearFaults();
    // Back to what local mode grants: every permission the bot may need, nothing else.
    for (const permission of emulator.grantedPermissions()) emulator.withdrawPermission(permission);
    for (const permission of ALL_GRAPH_PERMISSIONS) emulator.grantPermission(permission);
  });

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

  it('passes the sample catalog: every row ok, exit code 0, probe entity gone', async () => {
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
      'Graph identity',
      'permission User.Read.All',
      'permission GroupMember.ReadWrite.All',
      'permission Application.Read.All',
      'permission AppRoleAssignment.ReadWrite.All',
      'permission TeamsAppInstallation.ReadWriteSelfForUser.All',
      'catalog users',
      'catalog groups',
      'catalog service principals',
      'catalog app roles',
      'notification channel "sales"',
    ]) {
      assert.equal(find(rows, check).result, 'ok', `${check}\n${formatTable(rows)}`);
    }
    assert.match(find(rows, 'Graph identity').detail, new RegExp(`appId ${LOCAL_GRAPH_CLIENT_ID}\\), found from the Graph emulator's caller app`));
    assert.match(find(rows, 'permission GroupMember.ReadWrite.All').detail, /^granted to .*: the bot adds and removes members of 3 groups/);
    // Local mode grants all: what this catalog does not need is said so, without a warning.
    assert.match(find(rows, 'permission TeamsAppInstallation.ReadWriteSelfForUser.All').detail, /^granted, as local mode grants every permission .*TEAMS_APP_ID is empty/);
    assert.deepEqual(rows.filter((r) => r.result !== 'ok'), [], formatTable(rows));
    assert.match(find(rows, 'catalog groups').detail, /5 references to 4 groups, all found/);
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

  it('says a granted permission that Graph still refuses has not reached the token yet (managed identity tokens are cached)', async () => {
    emulator.failNext({ method: 'GET', path: '/users', status: 403 });
    const { rows, exitCode } = await runDoctor(envFor(), fast);
    assert.equal(exitCode, 1);
    assert.equal(find(rows, 'Microsoft Graph').result, 'ok', 'a 403 still means Graph was reached');
    const users = find(rows, 'permission User.Read.All');
    assert.equal(users.result, 'problem');
    assert.match(users.detail, /^granted to .*, but GET \/users\?\$top=1&\$select=id still answered 403 Authorization_RequestDenied: .*up to about 24 hours to reach its tokens/);
    assert.deepEqual(problems(rows).map((r) => r.check), ['permission User.Read.All']);
  });

  it('needs TeamsAppInstallation.ReadWriteSelfForUser.All only when TEAMS_APP_ID is set, and checks it', async () => {
    const env = envFor(undefined, { TEAMS_APP_ID: 'b3c1e7a2-0000-4000-8000-00000000a991' });
    const first = await runDoctor(env, fast);
    assert.match(find(first.rows, 'permission TeamsAppInstallation.ReadWriteSelfForUser.All').detail, /^granted to .*: the bot installs its Teams app \(TEAMS_APP_ID b3c1e7a2/, formatTable(first.rows));
    assert.equal(first.exitCode, 0);

    emulator.withdrawPermission('TeamsAppInstallation.ReadWriteSelfForUser.All');
    const second = await runDoctor(env, fast);
    const row = find(second.rows, 'permission TeamsAppInstallation.ReadWriteSelfForUser.All');
    assert.equal(row.result, 'problem');
    assert.match(row.detail, /^not granted to .*: the bot installs its Teams app .*; grant it to the bot's identity/);
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

  it('says the storage schema version, without recording it, and a version of another bot as a problem in the words npm start uses', async () => {
    const env = envFor();
    const workTable = TableClient.fromConnectionString(connectionString, `${env.TABLES_PREFIX}work`, { allowInsecureConnection: true });
    const schemaRow = async () => find((await runDoctor(env, fast)).rows, 'storage schema');

    const empty = await schemaRow();
    assert.equal(empty.result, 'ok');
    assert.equal(empty.detail, `no data yet: the bot records version ${STORAGE_SCHEMA_VERSION} (its own) in ${env.TABLES_PREFIX}work, partition "meta" at its first start`);
    await assert.rejects(workTable.getEntity('meta', 'schemaVersion'), /ResourceNotFound|does not exist/, 'the doctor records nothing');

    await workTable.upsertEntity({ partitionKey: 'meta', rowKey: 'schemaVersion', version: STORAGE_SCHEMA_VERSION });
    assert.deepEqual(await schemaRow(), { check: 'storage schema', result: 'ok', detail: `version ${STORAGE_SCHEMA_VERSION}, this bot's (recorded in ${env.TABLES_PREFIX}work, partition "meta")` });

    await workTable.upsertEntity({ partitionKey: 'meta', rowKey: 'schemaVersion', version: STORAGE_SCHEMA_VERSION + 1 });
    const { rows, exitCode } = await runDoctor(env, fast);
    assert.equal(exitCode, 1);
    assert.deepEqual(problems(rows), [
      {
        check: 'storage schema',
        result: 'problem',
        detail:
          `Table Storage (TABLES_PREFIX "${env.TABLES_PREFIX}") holds data of storage schema version ${STORAGE_SCHEMA_VERSION + 1}, newer than this bot's version ${STORAGE_SCHEMA_VERSION}, and there is no migration yet: ` +
          'deploy the bot version that wrote it, or give this one empty storage (a new TABLES_PREFIX or another storage account).',
      },
    ]);
  });

  it('skips the storage schema row when storage is not usable', async () => {
    const env = envFor(undefined, {
      TABLES_CONNECTION_STRING: connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9'),
    });
    const { rows } = await runDoctor(env, fast);
    assert.deepEqual(find(rows, 'storage schema'), { check: 'storage schema', result: 'skipped', detail: 'storage is not usable' });
  });

  describe('application permissions granted to the Graph identity', () => {
    const TEAMS_APP_ID = 'b3c1e7a2-0000-4000-8000-00000000a991';

    it('names a withdrawn permission as not granted (problem, exit code 1), every other needed one ok', async () => {
      emulator.withdrawPermission('AppRoleAssignment.ReadWrite.All');
      const { rows, exitCode } = await runDoctor(envFor(), fast);
      assert.equal(exitCode, 1);
      const missing = find(rows, 'permission AppRoleAssignment.ReadWrite.All');
      assert.equal(missing.result, 'problem');
      assert.match(
        missing.detail,
        /^not granted to Access Requests \(local Graph identity\): the bot assigns and removes app roles of 1 service principal; grant it to the bot's identity as a Microsoft Graph application permission with admin consent \(docs\/deploy\.md, step 4\)/,
      );
      assert.deepEqual(problems(rows).map((r) => r.check), ['permission AppRoleAssignment.ReadWrite.All'], formatTable(rows));
      for (const permission of ['User.Read.All', 'GroupMember.ReadWrite.All', 'Application.Read.All']) {
        assert.match(find(rows, `permission ${permission}`).detail, /^granted to Access Requests \(local Graph identity\): the bot /);
      }
      assert.deepEqual(rows.filter((r) => r.result === 'warning'), []);
    });

    it('asks for Group.ReadWrite.All exactly when the catalog grants a group as owner', async () => {
      emulator.withdrawPermission('Group.ReadWrite.All');
      const sample = await runDoctor(envFor(), fast);
      assert.equal(sample.exitCode, 0, formatTable(sample.rows));
      assert.equal(sample.rows.find((r) => r.check === 'permission Group.ReadWrite.All'), undefined);

      const file = await catalogWith('owner-group', (c) => {
        c.catalogs[0].accessPackages[1].resources[0].role = 'owner';
      });
      const owner = await runDoctor(envFor(file), fast);
      assert.equal(owner.exitCode, 1);
      const row = find(owner.rows, 'permission Group.ReadWrite.All');
      assert.equal(row.result, 'problem');
      assert.match(row.detail, /^not granted to .*: the bot adds and removes owners of 1 group \(resources with role "owner"\); grant it/);

      emulator.grantPermission('Group.ReadWrite.All');
      const granted = await runDoctor(envFor(file), fast);
      assert.equal(granted.exitCode, 0, formatTable(granted.rows));
      assert.match(find(granted.rows, 'permission Group.ReadWrite.All').detail, /^granted to .*: the bot adds and removes owners of 1 group/);
    });

    it('asks for GroupMember.Read.All when the catalog names approver groups but grants no group', async () => {
      const file = await catalogWith('app-roles-only', (c) => {
        const appRole = c.catalogs[0].accessPackages[0].resources[1];
        for (const pkg of c.catalogs[0].accessPackages) pkg.resources = [appRole];
      });
      // No group permission at all (local mode grants the ReadWrite ones, which would read the groups too).
      for (const permission of ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All']) emulator.withdrawPermission(permission);
      const missing = await runDoctor(envFor(file), fast);
      assert.equal(missing.exitCode, 1);
      const row = find(missing.rows, 'permission GroupMember.Read.All');
      assert.equal(row.result, 'problem');
      assert.match(row.detail, /^not granted to .*: the bot reads the members of 1 approver group; grant it/);
      // The doctor cannot read the groups either.
      assert.deepEqual(problems(missing.rows).map((r) => r.check), ['permission GroupMember.Read.All', 'catalog groups'], formatTable(missing.rows));
      emulator.grantPermission('GroupMember.Read.All');
      const granted = await runDoctor(envFor(file), fast);
      assert.equal(granted.exitCode, 0, formatTable(granted.rows));
      // The sample grants groups: their GroupMember.ReadWrite.All reads them, so GroupMember.Read.All is not asked for.
      emulator.grantPermission('GroupMember.ReadWrite.All');
      emulator.withdrawPermission('GroupMember.Read.All');
      const sample = await runDoctor(envFor(), fast);
      assert.equal(sample.exitCode, 0, formatTable(sample.rows));
      assert.equal(sample.rows.find((r) => r.check === 'permission GroupMember.Read.All'), undefined);
    });

    it('warns about permissions granted beyond need, such as the old TeamsAppInstallation.ReadWriteForUser.All', async () => {
      const env = envFor(undefined, { TEAMS_APP_ID });
      emulator.grantPermission('TeamsAppInstallation.ReadWriteForUser.All');
      emulator.grantPermission('Application.ReadWrite.All');
      const both = await runDoctor(env, fast);
      assert.equal(both.exitCode, 0, formatTable(both.rows));
      const old = find(both.rows, 'permission TeamsAppInstallation.ReadWriteForUser.All');
      assert.equal(old.result, 'warning');
      assert.match(
        old.detail,
        /^granted beyond need: TeamsAppInstallation\.ReadWriteSelfForUser\.All, also granted, is enough for what the bot does with it; remove app role assignment \S{43} \(docs\/deploy\.md, step 4\)$/,
      );
      const unused = find(both.rows, 'permission Application.ReadWrite.All');
      assert.equal(unused.result, 'warning');
      assert.match(unused.detail, /^granted beyond need \(the bot does not use it\); remove app role assignment/);
      assert.match(summaryOf(both.rows), /2 warnings/);

      // Only the old one: it stands in for the new one, which is then enough and worth the swap.
      emulator.withdrawPermission('TeamsAppInstallation.ReadWriteSelfForUser.All');
      const oldOnly = await runDoctor(env, fast);
      assert.equal(oldOnly.exitCode, 0, formatTable(oldOnly.rows));
      const self = find(oldOnly.rows, 'permission TeamsAppInstallation.ReadWriteSelfForUser.All');
      assert.equal(self.result, 'ok');
      assert.match(self.detail, /^not granted itself, but the higher-privileged TeamsAppInstallation\.ReadWriteForUser\.All is, which allows it too: the bot installs its Teams app/);
      assert.match(
        find(oldOnly.rows, 'permission TeamsAppInstallation.ReadWriteForUser.All').detail,
        /^granted beyond need: TeamsAppInstallation\.ReadWriteSelfForUser\.All would be enough .*; remove app role assignment \S+ \(docs\/deploy\.md, step 4\) after granting TeamsAppInstallation\.ReadWriteSelfForUser\.All$/,
      );
    });

    it('falls back to harmless reads when the grants cannot be read (no Application.Read.All), and names a missing permission on a 403', async () => {
      const file = await catalogWith('no-app-role', (c) => {
        c.catalogs[0].accessPackages[0].resources.splice(1, 1);
      });
      emulator.withdrawPermission('Application.Read.All');
      const first = await runDoctor(envFor(file), fast);
      assert.equal(first.exitCode, 0, formatTable(first.rows));
      const grants = find(first.rows, 'granted permissions');
      assert.equal(grants.result, 'skipped');
      assert.match(
        grants.detail,
        /GET \/servicePrincipals\(appId='00000003-0000-0000-c000-000000000000'\)\?\$select=id,appRoles answered 403 Authorization_RequestDenied \(reading them needs Application\.Read\.All\); each permission is checked by a harmless read instead$/,
      );
      assert.match(find(first.rows, 'permission GroupMember.ReadWrite.All').detail, /^GET \/groups\/\S+\/members\?\$top=1&\$select=id answered: group members can be read — a read proves read access only/);

      emulator.withdrawPermission('User.Read.All');
      const second = await runDoctor(envFor(file), fast);
      assert.equal(second.exitCode, 1);
      const users = find(second.rows, 'permission User.Read.All');
      assert.equal(users.result, 'problem');
      assert.match(
        users.detail,
        /^GET \/users\?\$top=1&\$select=id: 403 Authorization_RequestDenied — the app lacks User\.Read\.All; grant it .*\(docs\/deploy\.md, step 4\), then restart the bot\. A permission newly granted to a managed identity can take up to about 24 hours to reach its tokens/,
      );
    });

    it('warns that the install permission cannot work when the Teams app (BOT_ID) is not the app calling Graph', async () => {
      const env = envFor(undefined, {
        BOT_ID: '66666666-0000-4000-8000-000000000001',
        BOT_TYPE: 'UserAssignedMSI',
        TENANT_ID: '77777777-0000-4000-8000-000000000001',
        TEAMS_APP_ID,
      });
      const { rows } = await runDoctor(env, fast);
      const install = find(rows, 'permission TeamsAppInstallation.ReadWriteSelfForUser.All');
      assert.equal(install.result, 'warning');
      assert.match(
        install.detail,
        new RegExp(`lets an app install only its own Teams app, whose webApplicationInfo\\.id \\(BOT_ID 66666666-0000-4000-8000-000000000001 in appPackage/manifest\\.json\\) must be the client id of the identity calling Graph, here ${LOCAL_GRAPH_CLIENT_ID}`),
      );
    });
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
