/**
 * `npm run doctor`: checks a deployment's configuration, storage, Microsoft Graph (reachability, the application
 * permissions granted to the bot's identity against those this deployment needs) and every directory object the
 * catalog names. Returns the rows and the exit code.
 *
 * Local mode (no BOT_ID): the embedded services are the bot's own and live only while `npm start` runs, so the
 * doctor starts its own copies of what the configuration leaves embedded — an in-memory Azurite (the bot's data
 * under DATA_DIR is never touched) and the Graph emulator seeded from DIRECTORY_SEED_FILE — and checks the
 * catalog against that seed. Whatever is configured (TABLES_*, GRAPH_BASE_URL) is checked where it points.
 */
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { CatalogError, loadCatalog, type CatalogIndex } from '../catalog/loader';
import { ConfigError, loadConfig, type Config } from '../config';
import { credentialsFor } from '../credentials';
import { GraphDirectory } from '../graph/directory';
import { createGraphClient, type GraphRetryOptions } from '../graph/graphClient';
import { buildTables, startGraph, startStorage, storagePlace, type StartedGraph, type Stopper } from '../services';
import type { TablesConnection } from '../storage/tables';
import { collectReferences, distinctIds, type CatalogReferences } from './catalogRefs';
import { checkPermissions } from './grantedPermissions';
import { checkReferences, graphReachableRow, probe, USERS_PROBE } from './graphChecks';
import { catalogGraphUse } from './permissionNeeds';
import { exitCodeOf, row, type CheckRow } from './report';
import { checkSchemaVersionRow, checkStorage } from './storageCheck';

export { formatTable, summaryOf, type CheckResult, type CheckRow } from './report';

export interface DoctorOptions {
  /** Relative CATALOG_FILE, DIRECTORY_SEED_FILE and DATA_DIR are resolved against it (default: the working folder). */
  cwd?: string;
  /** Makes the Azure credential (default: DefaultAzureCredential, which reads AZURE_* from process.env itself). */
  createCredential?: () => TokenCredential;
  /** Graph retries (default: 1 retry after 1 s, Retry-After honoured). */
  graphRetry?: GraphRetryOptions;
  /** Limit of one Graph HTTP attempt (default 15 s). */
  requestTimeoutInMs?: number;
}

export interface DoctorReport {
  rows: CheckRow[];
  /** 1 when any row is a problem. */
  exitCode: 0 | 1;
}

type Env = Record<string, string | undefined>;

export async function runDoctor(env: Env, options: DoctorOptions = {}): Promise<DoctorReport> {
  const rows: CheckRow[] = [];
  const cwd = options.cwd ?? process.cwd();
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    rows.push(row('configuration', 'problem', err.message));
    rows.push(row('other checks', 'skipped', 'fix the configuration first'));
    return { rows, exitCode: 1 };
  }
  rows.push(row('configuration', 'ok', describeConfig(config)));
  rows.push(modeRow(config));

  const stoppers: Stopper[] = [];
  try {
    const catalog = await loadCatalogRow(config, cwd, rows);
    let credentials: ReturnType<typeof credentialsFor>;
    try {
      credentials = credentialsFor(config, options.createCredential);
    } catch (err) {
      rows.push(row('Microsoft Graph', 'problem', `no credential: ${err instanceof Error ? err.message : String(err)}`));
      return finish(rows);
    }
    const [storage, graph] = await Promise.allSettled([
      startStorage(config, credentials, stoppers, { inMemory: true, cwd }),
      startGraph(config, stoppers, { cwd }),
    ]);
    rows.push(...(await storageRows(config, storage, cwd)));
    const refs = catalog ? collectReferences(catalog.file) : undefined;
    const graphInput = { refs, catalog, clientId: env.AZURE_CLIENT_ID?.trim() || undefined };
    rows.push(...(await graphRows(config, graph, credentials.graph, graphInput, options)));
    if (catalog) rows.push(...notificationRows(catalog));
    return finish(rows);
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  }
}

function finish(rows: CheckRow[]): DoctorReport {
  return { rows, exitCode: exitCodeOf(rows) };
}

function describeConfig(config: Config): string {
  const bot = config.bot ? `bot ${config.bot.appId} (${config.bot.type}), tenant ${config.tenantId}` : 'local mode (no BOT_ID)';
  const tables =
    config.tables.kind === 'connectionString'
      ? 'TABLES_CONNECTION_STRING'
      : config.tables.kind === 'endpoint'
        ? `TABLES_ENDPOINT ${config.tables.endpoint}`
        : 'embedded Azurite';
  const prefix = config.tablesPrefix ? ` (prefix "${config.tablesPrefix}")` : '';
  const graph = config.graphBaseUrl ?? 'embedded Graph emulator';
  return `${bot}; storage: ${tables}${prefix}; Graph: ${graph}; catalog: ${config.catalogFile}`;
}

function modeRow(config: Config): CheckRow {
  if (!config.localMode) return row('mode', 'ok', 'BOT_ID is set: checking the configured storage and Graph');
  const storage = config.tables.kind === 'embedded' ? 'its own in-memory Azurite (DATA_DIR untouched)' : undefined;
  const graph = config.graphBaseUrl ? undefined : `the Graph emulator seeded from ${config.directorySeedFile} (the catalog is checked against that seed, not a real tenant)`;
  const started = [storage, graph].filter(Boolean).join(' and ');
  const configured = [storage ? undefined : 'the configured storage', graph ? undefined : `GRAPH_BASE_URL ${config.graphBaseUrl}`].filter(Boolean).join(' and ');
  const parts = [started ? `the doctor started ${started}` : undefined, configured ? `it checks ${configured}` : undefined].filter(Boolean);
  return row('mode', 'ok', `local mode: embedded services run only inside npm start; ${parts.join('; ')}`);
}

async function loadCatalogRow(config: Config, cwd: string, rows: CheckRow[]): Promise<CatalogIndex | undefined> {
  try {
    const catalog = await loadCatalog(resolve(cwd, config.catalogFile));
    const packages = catalog.allPackages().length;
    rows.push(row('catalog file', 'ok', `${config.catalogFile}: ${catalog.file.catalogs.length} catalog(s), ${packages} access package(s)`));
    return catalog;
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    rows.push(row('catalog file', 'problem', err.message));
    return undefined;
  }
}

/** The storage row, then the storage schema row (skipped when storage is not usable). */
async function storageRows(config: Config, started: PromiseSettledResult<TablesConnection>, cwd: string): Promise<CheckRow[]> {
  const unusable = (storage: CheckRow) => [storage, row('storage schema', 'skipped', 'storage is not usable')];
  if (started.status === 'rejected') {
    const reason = started.reason instanceof Error ? started.reason.message : String(started.reason);
    return unusable(row('storage', 'problem', `could not start the embedded Azurite: ${reason}`));
  }
  let tables;
  try {
    // One quick retry: a storage that does not answer should say so in seconds, not minutes.
    tables = buildTables(config, started.value, { retryOptions: { maxRetries: 1, retryDelayInMs: 500, maxRetryDelayInMs: 2000 } });
  } catch (err) {
    return unusable(row('storage', 'problem', err instanceof Error ? err.message : String(err)));
  }
  const keyless = config.tables.kind === 'endpoint';
  const storage = await checkStorage(tables, keyless);
  if (storage.result !== 'ok') return unusable(storage);
  return [storage, await checkSchemaVersionRow(tables, storagePlace(config, { cwd }), keyless)];
}

async function graphRows(
  config: Config,
  started: PromiseSettledResult<StartedGraph>,
  credential: TokenCredential | undefined,
  input: { refs?: CatalogReferences; catalog?: CatalogIndex; clientId?: string },
  options: DoctorOptions,
): Promise<CheckRow[]> {
  const { refs } = input;
  const skipped = (why: string) => [row('Graph permissions', 'skipped', why), row('catalog references', 'skipped', why)];
  if (started.status === 'rejected') {
    const reason = started.reason instanceof Error ? started.reason.message : String(started.reason);
    return [row('Microsoft Graph', 'problem', `could not start the Graph emulator: ${reason}`), ...skipped('Microsoft Graph is not available')];
  }
  const { baseUrl, emulator } = started.value;
  const client = createGraphClient({
    baseUrl,
    credential,
    retry: options.graphRetry ?? { maxRetries: 1, delayInSeconds: 1 },
    requestTimeoutInMs: options.requestTimeoutInMs ?? 15_000,
  });
  const tokenSource = credential
    ? '(with a token from DefaultAzureCredential)'
    : emulator
      ? '(the embedded emulator, no token)'
      : '(no token: loopback GRAPH_BASE_URL without AZURE_* settings)';
  const usersProbe = await probe(client, USERS_PROBE);
  const reachable = graphReachableRow(usersProbe, baseUrl, tokenSource);
  if (!reachable.reached) return [reachable.row, ...skipped('Microsoft Graph was not reached')];
  const permissions = await checkPermissions({
    client,
    usersProbe,
    use: input.catalog ? catalogGraphUse(input.catalog.file) : undefined,
    userIds: refs ? distinctIds(refs.users) : [],
    teamsAppId: config.teamsAppId,
    botAppId: config.bot?.appId,
    clientId: input.clientId,
    credential,
  });
  const rows = [reachable.row, ...permissions];
  if (refs) rows.push(...(await checkReferences(new GraphDirectory(client), refs)));
  else rows.push(row('catalog references', 'skipped', 'the catalog file could not be loaded'));
  return rows;
}

function notificationRows(catalog: CatalogIndex): CheckRow[] {
  return catalog.file.catalogs.map((c) =>
    c.notificationChannel
      ? row(`notification channel "${c.id}"`, 'ok', `team ${c.notificationChannel.teamId}, channel ${c.notificationChannel.channelId}`)
      : row(
          `notification channel "${c.id}"`,
          'warning',
          `catalog "${c.id}" has no notificationChannel: its managers get no alert in Teams when a delivery fails`,
        ),
  );
}
