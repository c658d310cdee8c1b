/**
 * Offline checks of the Azure deployment files (no Bicep compiler can run here, see TOOLCHAIN.md):
 * infra/main.bicep sets every setting the bot reads (derived from src/, not listed by hand) or the setting is
 * listed below as optional with a reason; the settings it sets make a valid production configuration for
 * loadConfig; nothing secret is set or stored; storage is keyless; the Agents Toolkit files point at files that exist.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const root = path.resolve(__dirname, '..', '..');
const text = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** Settings the bot reads that the template deliberately leaves unset. */
const OPTIONAL: Record<string, string> = {
  PORT: 'App Service sets PORT for the Node container itself (8080) and routes HTTPS traffic to it',
  BOT_PASSWORD: 'BOT_TYPE=UserAssignedMSI needs no password: the managed identity gets the Bot Framework token',
  TABLES_CONNECTION_STRING: 'not used with a managed identity: TABLES_ENDPOINT + DefaultAzureCredential, shared keys are off',
  DATA_DIR: 'local mode only (embedded Azurite)',
  DIRECTORY_SEED_FILE: 'local mode only (embedded Graph emulator)',
  AZURE_TENANT_ID: 'only for a client secret or certificate; the managed identity needs AZURE_CLIENT_ID alone',
  AZURE_CLIENT_SECRET: 'not with a managed identity: no secret anywhere',
};

/** Settings that hold or imply a secret: never set by the template. */
const SECRET_SETTINGS = ['BOT_PASSWORD', 'AZURE_CLIENT_SECRET', 'TABLES_CONNECTION_STRING'];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** Every environment variable the bot reads: the config reader calls, any process.env access in src/, and .env.sample. */
function variablesTheBotReads(): Set<string> {
  const names = new Set<string>();
  const config = text('src/config.ts');
  for (const m of config.matchAll(/\b(?:read|readGuid|readUrl|readEnum)(?:<[^>]*>)?\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]);
  for (const file of walk(path.join(root, 'src')).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g)) names.add(m[1] ?? m[2]);
  }
  for (const m of text('.env.sample').matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*=/gm)) names.add(m[1]);
  return names;
}

/** The bicep file without // comments (strings here hold no "//" except URLs, which stay). */
function withoutComments(bicep: string): string {
  return bicep
    .split('\n')
    .map((line) => line.replace(/(^|\s)\/\/.*$/, ''))
    .join('\n');
}

const bicep = text('infra/main.bicep');
const code = withoutComments(bicep);

/** The web app's appSettings array: name → the Bicep expression of its value. */
function appSettings(): Map<string, string> {
  const block = /appSettings:\s*concat\(\[([\s\S]*?)\],\s*additionalAppSettings\)/.exec(code);
  assert.ok(block, 'main.bicep has appSettings: concat([...], additionalAppSettings)');
  const settings = new Map<string, string>();
  for (const m of block[1].matchAll(/\{\s*name:\s*'([^']+)'\s*value:\s*([^\n]+?)\s*\}/g)) {
    assert.ok(!settings.has(m[1]), `app setting ${m[1]} is set twice`);
    settings.set(m[1], m[2]);
  }
  return settings;
}

/** `param name type = default` → default (string literals unquoted, other expressions as written). */
function paramDefaults(): Map<string, string> {
  const params = new Map<string, string>();
  for (const m of code.matchAll(/^param\s+(\w+)\s+\w+(?:\s*=\s*(.+))?$/gm)) {
    const value = (m[2] ?? '').trim();
    params.set(m[1], /^'.*'$/.test(value) ? value.slice(1, -1) : value);
  }
  return params;
}

/** A resource block by its Bicep type (up to the next top-level declaration). */
function resource(type: string): string {
  const start = code.search(new RegExp(`^resource\\s+\\w+\\s+'${type.replace(/[/.]/g, '\\$&')}@\\d{4}-\\d{2}-\\d{2}(?:-preview)?'`, 'm'));
  assert.ok(start >= 0, `main.bicep declares a ${type} resource with an API version`);
  const rest = code.slice(start + 1);
  const end = rest.search(/^(?:resource|output|param|var|module)\s/m);
  return end < 0 ? rest : rest.slice(0, end);
}

const IDENTITY_CLIENT_ID = '11111111-2222-4333-8444-555555555555';
const IDENTITY_TENANT_ID = '99999999-8888-4777-8666-555555555555';

/** The environment App Service would give the bot: each setting's Bicep expression evaluated with sample values. */
function productionEnvironment(): Record<string, string> {
  const params = paramDefaults();
  const env: Record<string, string> = { PORT: '8080' };
  for (const [name, expression] of appSettings()) {
    let value: string;
    if (/^'.*'$/.test(expression)) value = expression.slice(1, -1);
    else if (expression === 'identity.properties.clientId') value = IDENTITY_CLIENT_ID;
    else if (expression === 'identity.properties.tenantId') value = IDENTITY_TENANT_ID;
    else if (expression === 'storage.properties.primaryEndpoints.table') value = 'https://accessbotabc.table.core.windows.net/';
    else if (params.has(expression)) value = params.get(expression) ?? '';
    else throw new Error(`app setting ${name}: cannot evaluate "${expression}" offline; extend the test`);
    env[name] = value;
  }
  return env;
}

describe('Azure deployment (infra/, m365agents.yml, env/)', () => {
  describe('every setting the bot reads', () => {
    const read = variablesTheBotReads();
    const set = appSettings();

    it('is derived from the source (the scan finds the known ones)', () => {
      for (const name of ['PORT', 'HOST', 'BOT_ID', 'BOT_TYPE', 'TENANT_ID', 'TABLES_ENDPOINT', 'GRAPH_BASE_URL', 'AZURE_CLIENT_ID', 'CATALOG_FILE', 'LOG_LEVEL']) {
        assert.ok(read.has(name), `scan of src/config.ts and .env.sample should find ${name}`);
      }
      assert.ok(read.size >= 20, `found only ${read.size} variables: ${[...read].join(', ')}`);
    });

    it('is set by the template or listed as optional with a reason', () => {
      const missing = [...read].filter((name) => !set.has(name) && !(name in OPTIONAL));
      assert.deepEqual(missing, [], `set these in main.bicep's appSettings or document them in OPTIONAL: ${missing.join(', ')}`);
      for (const [name, reason] of Object.entries(OPTIONAL)) {
        assert.ok(read.has(name), `OPTIONAL lists ${name}, which the bot no longer reads`);
        assert.ok(reason.length > 10, `OPTIONAL ${name} needs a reason`);
        assert.ok(!set.has(name), `${name} is listed as optional but the template sets it`);
      }
    });

    it('sets the managed-identity production values', () => {
      assert.equal(set.get('BOT_TYPE'), "'UserAssignedMSI'");
      assert.equal(set.get('BOT_ID'), 'identity.properties.clientId');
      assert.equal(set.get('AZURE_CLIENT_ID'), 'identity.properties.clientId', 'DefaultAzureCredential must pick the user-assigned identity');
      assert.equal(set.get('BOT_TENANT_ID'), 'identity.properties.tenantId');
      assert.equal(set.get('TENANT_ID'), 'identity.properties.tenantId');
      assert.equal(set.get('TABLES_ENDPOINT'), 'storage.properties.primaryEndpoints.table');
      assert.equal(set.get('HOST'), "'0.0.0.0'");
      assert.equal(paramDefaults().get(set.get('GRAPH_BASE_URL') ?? ''), 'https://graph.microsoft.com/v1.0');
    });

    it('makes a valid production configuration for loadConfig', () => {
      const config = loadConfig(productionEnvironment());
      assert.equal(config.localMode, false);
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 8080);
      assert.deepEqual(config.bot, { appId: IDENTITY_CLIENT_ID, password: undefined, type: 'UserAssignedMSI', tenantId: IDENTITY_TENANT_ID });
      assert.equal(config.tenantId, IDENTITY_TENANT_ID);
      assert.deepEqual(config.tables, { kind: 'endpoint', endpoint: 'https://accessbotabc.table.core.windows.net' });
      assert.equal(config.graphBaseUrl, 'https://graph.microsoft.com/v1.0');
      assert.equal(config.graphAuthenticated, true);
      assert.equal(config.catalogFile, '/home/site/wwwroot/catalog.json');
      assert.equal(config.teamsAppId, undefined, 'empty until the app is in the org catalog');
    });
  });

  describe('no secret', () => {
    const deploymentFiles = ['infra/main.bicep', 'infra/main.parameters.json', 'm365agents.yml', 'env/.env.dev'];

    it('sets no secret-bearing setting', () => {
      const set = appSettings();
      for (const name of SECRET_SETTINGS) assert.ok(!set.has(name), `${name} must not be set`);
      for (const name of set.keys()) assert.doesNotMatch(name, /PASSWORD|SECRET|KEY|CONNECTION_STRING/i);
    });

    it('holds no key, connection string or password literal', () => {
      for (const file of deploymentFiles) {
        const content = text(file);
        for (const pattern of [/AccountKey\s*=/i, /SharedAccessSignature|SharedAccessKey/i, /DefaultEndpointsProtocol/i, /listKeys\s*\(/i, /listConnectionStrings/i, /\bpassword\s*[:=]\s*\S/i]) {
          assert.doesNotMatch(content, pattern, `${file} contains ${pattern}`);
        }
      }
      const dotEnv = text('env/.env.dev');
      assert.doesNotMatch(dotEnv, /^\s*SECRET_/m, 'SECRET_* values belong in the git-ignored env/.env.dev.user');
      assert.match(text('env/.gitignore'), /\.env\.\*\.user/);
    });

    it('marks any sensitive-looking parameter @secure()', () => {
      for (const m of code.matchAll(/^param\s+(\w+)/gm)) {
        if (!/password|secret|key|token|connection/i.test(m[1])) continue;
        const before = code.slice(0, m.index).trimEnd();
        assert.match(before.split('\n').slice(-3).join('\n'), /@secure\(\)/, `param ${m[1]} must be @secure()`);
      }
    });
  });

  describe('resources', () => {
    it('storage is keyless: shared keys off, no public blobs, TLS 1.2, https only', () => {
      const storage = resource('Microsoft.Storage/storageAccounts');
      assert.match(storage, /allowSharedKeyAccess:\s*false/);
      assert.doesNotMatch(code, /allowSharedKeyAccess:\s*true/);
      assert.match(storage, /allowBlobPublicAccess:\s*false/);
      assert.match(storage, /minimumTlsVersion:\s*'TLS1_2'/);
      assert.match(storage, /supportsHttpsTrafficOnly:\s*true/);
      assert.match(storage, /name:\s*'Standard_LRS'/);
      assert.match(storage, /kind:\s*'StorageV2'/);
    });

    it('the identity gets Storage Table Data Contributor on the account', () => {
      const assignment = resource('Microsoft.Authorization/roleAssignments');
      assert.match(assignment, /scope:\s*storage\b/);
      assert.match(assignment, /principalId:\s*identity\.properties\.principalId/);
      assert.match(assignment, /principalType:\s*'ServicePrincipal'/);
      const roleVar = /roleDefinitionId:\s*subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(\w+)\)/.exec(assignment);
      assert.ok(roleVar, 'roleDefinitionId from subscriptionResourceId(...roleDefinitions, <var>)');
      assert.match(code, new RegExp(`var\\s+${roleVar[1]}\\s*=\\s*'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'`));
    });

    it('the web app: Linux, Node 20 LTS, Always On, https only, no FTP, the user-assigned identity, starts dist/src/index.js', () => {
      const plan = resource('Microsoft.Web/serverfarms');
      assert.match(plan, /reserved:\s*true/);
      const site = resource('Microsoft.Web/sites');
      assert.match(site, /kind:\s*'app,linux'/);
      assert.match(site, /linuxFxVersion:\s*'NODE\|20-lts'/);
      assert.match(site, /alwaysOn:\s*true/);
      assert.match(site, /httpsOnly:\s*true/);
      assert.match(site, /ftpsState:\s*'Disabled'/);
      assert.match(site, /type:\s*'UserAssigned'/);
      assert.match(site, /'\$\{identity\.id\}':\s*\{\}/);
      assert.match(site, /healthCheckPath:\s*'\/healthz'/);
      const command = /appCommandLine:\s*'node ([^']+)'/.exec(site);
      assert.ok(command, 'appCommandLine runs node');
      // `npm run build` (tsc, outDir dist, rootDir .) emits src/index.ts as dist/src/index.js, package.json's main.
      const tsconfig = JSON.parse(text('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
      assert.equal(path.posix.join(tsconfig.compilerOptions.outDir, path.posix.relative(tsconfig.compilerOptions.rootDir, 'src/index.js')), command[1]);
      assert.equal((JSON.parse(text('package.json')) as { main: string }).main, command[1]);
      assert.ok(existsSync(path.join(root, 'src/index.ts')));
    });

    it('the web app keeps its stdout/stderr for `az webapp log tail` (Linux container logging to the file system)', () => {
      const logs = resource('Microsoft.Web/sites/config');
      assert.match(logs, /parent:\s*webApp\b/);
      assert.match(logs, /name:\s*'logs'/);
      const httpLogs = /httpLogs:\s*\{\s*fileSystem:\s*\{([^}]*)\}/.exec(logs);
      assert.ok(httpLogs, 'logs sets httpLogs.fileSystem');
      assert.match(httpLogs[1], /enabled:\s*true/);
      const quota = Number(/retentionInMb:\s*(\d+)/.exec(httpLogs[1])?.[1]);
      assert.ok(quota >= 25 && quota <= 100, `retentionInMb ${quota} is within App Service's 25-100 MB`);
      assert.match(logs, /applicationLogs:\s*\{\s*fileSystem:\s*\{\s*level:\s*'Information'/);
    });

    it('the Azure Bot uses the managed identity, /api/messages and the Teams channel', () => {
      const bot = resource('Microsoft.BotService/botServices');
      assert.match(bot, /location:\s*'global'/);
      assert.match(bot, /msaAppType:\s*'UserAssignedMSI'/);
      assert.match(bot, /msaAppId:\s*identity\.properties\.clientId/);
      assert.match(bot, /msaAppMSIResourceId:\s*identity\.id/);
      assert.match(bot, /msaAppTenantId:\s*identity\.properties\.tenantId/);
      const endpoint = /endpoint:\s*'([^']+)'/.exec(bot);
      assert.ok(endpoint, 'the bot has an endpoint');
      assert.match(endpoint[1], /^https:\/\/\$\{webApp\.properties\.defaultHostName\}\/api\/messages$/);
      assert.match(bot, /name:\s*botSku/);
      assert.match(code, /@allowed\(\[\s*'F0'\s*'S1'\s*\]\)\s*param botSku string/);
      const channel = resource('Microsoft.BotService/botServices/channels');
      assert.match(channel, /parent:\s*bot\b/);
      assert.match(channel, /name:\s*'MsTeamsChannel'/);
      assert.match(channel, /channelName:\s*'MsTeamsChannel'/);
    });

    it('outputs the site URL, bot id, identity ids and table endpoint', () => {
      const outputs = new Set([...code.matchAll(/^output\s+(\w+)\s+string\s*=/gm)].map((m) => m[1]));
      for (const name of ['SITE_URL', 'BOT_ID', 'BOT_DOMAIN', 'BOT_ENDPOINT', 'BOT_AZURE_APP_SERVICE_RESOURCE_ID', 'IDENTITY_CLIENT_ID', 'IDENTITY_PRINCIPAL_ID', 'TABLES_ENDPOINT']) {
        assert.ok(outputs.has(name), `output ${name}`);
      }
    });
  });

  describe('parameters and Agents Toolkit files', () => {
    const envDev = new Set([...text('env/.env.dev').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const placeholders = (content: string): string[] => [...content.matchAll(/\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]);

    it('main.parameters.json only sets parameters main.bicep declares, from variables env/.env.dev defines', () => {
      const file = JSON.parse(text('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };
      const declared = paramDefaults();
      for (const name of Object.keys(file.parameters)) assert.ok(declared.has(name), `main.bicep has no param ${name}`);
      for (const name of placeholders(text('infra/main.parameters.json'))) assert.ok(envDev.has(name), `env/.env.dev does not define ${name}`);
    });

    it('every ${{VAR}} of m365agents.yml and the manifest is defined in env/.env.dev', () => {
      for (const file of ['m365agents.yml', 'appPackage/manifest.json']) {
        for (const name of placeholders(text(file))) assert.ok(envDev.has(name), `${file} uses ${name}, which env/.env.dev does not define`);
      }
      assert.ok(envDev.has('TEAMSFX_ENV'));
    });

    it('m365agents.yml references files that exist, in the provision and deploy order', () => {
      const yml = text('m365agents.yml');
      assert.match(yml, /^version:\s*v\d+\.\d+\s*$/m);
      assert.match(yml, /^environmentFolderPath:\s*\.\/env\s*$/m);
      for (const m of yml.matchAll(/^\s*-?\s*(?:path|parameters|manifestPath|ignoreFile|artifactFolder):\s*(\S+)\s*$/gm)) {
        assert.ok(existsSync(path.join(root, m[1])), `m365agents.yml references ${m[1]}, which does not exist`);
      }
      const provision = yml.slice(yml.indexOf('\nprovision:'), yml.indexOf('\ndeploy:'));
      const deploy = yml.slice(yml.indexOf('\ndeploy:'), yml.indexOf('\npublish:'));
      const publish = yml.slice(yml.indexOf('\npublish:'));
      const uses = (section: string) => [...section.matchAll(/^\s*-\s*uses:\s*(\S+)/gm)].map((m) => m[1]);
      assert.deepEqual(uses(provision), ['teamsApp/create', 'arm/deploy', 'teamsApp/validateManifest', 'teamsApp/zipAppPackage', 'teamsApp/validateAppPackage', 'teamsApp/update']);
      assert.deepEqual(uses(deploy), ['cli/runNpmCommand', 'cli/runNpmCommand', 'azureAppService/zipDeploy']);
      // Publishing to the org catalog yields the catalog id the bot installs itself with (TEAMS_APP_ID on the web app).
      assert.deepEqual(uses(publish), ['teamsApp/validateManifest', 'teamsApp/zipAppPackage', 'teamsApp/validateAppPackage', 'teamsApp/update', 'teamsApp/publishAppPackage']);
      assert.match(publish, /publishedAppId:\s*TEAMS_APP_CATALOG_ID/);
      assert.match(text('infra/main.parameters.json'), /"teamsAppCatalogId":\s*\{\s*"value":\s*"\$\{\{TEAMS_APP_CATALOG_ID\}\}"/);
      assert.match(provision, /path:\s*\.\/infra\/main\.bicep/);
      // The package built by zipAppPackage is the one validated and uploaded, under the git-ignored appPackage/build/.
      const zips = [...provision.matchAll(/(?:outputZipPath|appPackagePath):\s*(\S+)/g)].map((m) => m[1]);
      assert.deepEqual(zips, ['./appPackage/build/app.zip', './appPackage/build/app.zip', './appPackage/build/app.zip']);
      assert.match(text('.gitignore'), /^appPackage\/build\/$/m);
      assert.match(deploy, /resourceId:\s*\$\{\{BOT_AZURE_APP_SERVICE_RESOURCE_ID\}\}/);
      assert.match(code, /^output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp\.id$/m);
    });

    it('the upload leaves out local state and secrets but keeps what App Service builds from', () => {
      const ignore = text('infra/.webappignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      for (const entry of ['.env', '.data/', 'env/', 'node_modules/']) assert.ok(ignore.includes(entry), `.webappignore should list ${entry}`);
      for (const kept of ['src', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'cards']) {
        assert.ok(!ignore.some((entry) => entry.replace(/\/$/, '') === kept), `.webappignore must not drop ${kept}`);
      }
      assert.match(appSettings().get('SCM_DO_BUILD_DURING_DEPLOYMENT') ?? '', /^'true'$/);
    });
  });
});
