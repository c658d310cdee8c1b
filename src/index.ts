/**
 * Composition root: reads the configuration, starts what local mode embeds (Azurite, the Graph
 * emulator), builds every adapter and use-case, and serves HTTP. Nothing else wires modules together.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppContext } from './app/context';
import { runDueItem } from './app/dueWork';
import { describe } from './app/describe';
import { EffectRunner } from './app/effectRunner';
import type { Clock, Logger } from './app/ports';
import { ResourceNamer } from './app/resourceNames';
import { Scheduler } from './app/scheduler';
import { CatalogError, loadCatalog } from './catalog/loader';
import { systemClock } from './clock';
import { ConfigError, loadConfig, type Config } from './config';
import { GraphDirectory } from './graph/directory';
import { createGraphClient } from './graph/graphClient';
import { GraphProvisioner } from './graph/provisioner';
import { GraphTeamsAppInstaller } from './graph/teamsAppInstaller';
import { AzuriteInUseError } from './local/azurite';
import { DevClock } from './local/devClock';
import { GraphSeedError } from './local/graphEmulator';
import { credentialsFor } from './credentials';
import { createLogger } from './logger';
import { createServer } from './server';
import { buildTables, startGraph, startStorage, storagePlace, type Stopper } from './services';
import { TableConversationStore } from './storage/conversationStore';
import { TableLease } from './storage/lease';
import { TableRequestStore } from './storage/requestStore';
import { TableScheduleIndex } from './storage/scheduleIndex';
import { TableFailedRequestsIndex } from './storage/failedRequestsIndex';
import { TableApprovalIndex } from './storage/approvalIndex';
import { TablePackageIndex } from './storage/packageIndex';
import { TableAssignmentStore } from './storage/assignmentStore';
import { TablePackageClaims } from './storage/packageClaims';
import { checkSchemaVersion, SchemaVersionError } from './storage/schemaVersion';
import { StorageHealth } from './storage/storageHealth';
import { TablesConfigError, type Tables } from './storage/tables';
import { createAdapter } from './teams/adapter';
import { createBotApplication } from './teams/application';
import { TeamsBot } from './teams/bot';
import { ConversationRecorder } from './teams/conversationRecorder';
import { TeamsNotifier } from './teams/notifier';

export interface StartOptions {
  clock?: Clock;
  /** How often unfinished outbox effects are looked for (default 30 s). */
  sweepIntervalInMs?: number;
  /** How often the scheduler looks for due work (default 60 s); 0 = no timer (tests tick by hand). */
  schedulerIntervalInMs?: number;
  /** The Bot Framework's OpenID metadata (default: the public cloud's); tests make it unreachable. */
  openIdMetadataUrl?: string;
}

export interface RunningApp {
  /** e.g. http://127.0.0.1:3978 */
  url: string;
  effects: EffectRunner;
  scheduler: Scheduler;
  /** The bot's clock: a DevClock in local mode. */
  clock: Clock;
  stop(): Promise<void>;
}

/** Long enough for one sweep; short enough that a crashed holder blocks the others only briefly. */
const SWEEP_LEASE_IN_MS = 2 * 60_000;

/** Starts the bot. Throws one of SETUP_ERRORS for a bad setup. */
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningApp> {
  const stoppers: Stopper[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch((err) => logger.warn({ err: describe(err) }, 'stop step failed'));
  };
  try {
    return await start(config, logger, options, stoppers, stopAll);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function start(config: Config, logger: Logger, options: StartOptions, stoppers: Stopper[], stopAll: Stopper): Promise<RunningApp> {
  // Local mode runs on a DevClock (over the given clock, if any) so /api/dev/clock can move it.
  const clock = config.localMode && !(options.clock instanceof DevClock) ? new DevClock(options.clock) : (options.clock ?? systemClock);
  const catalog = await loadCatalog(resolve(config.catalogFile));
  const credentials = credentialsFor(config);

  const built: { bot?: TeamsBot; tick?: () => Promise<unknown>; tables?: Tables; storageHealth?: StorageHealth } = {};
  let notReady: string | undefined = 'storage and Microsoft Graph are starting';
  const dev =
    clock instanceof DevClock
      ? { clock, tick: () => (built.tick ? built.tick() : Promise.reject(new Error('the scheduler is not running yet'))) }
      : undefined;
  const readiness = {
    startingReason: () => notReady,
    healthProblem: async () => notReady ?? (await built.storageHealth?.problem()),
  };
  const server = createServer({ logger, readiness, localMode: config.localMode, bot: () => built.bot, dev });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => done());
  });
  stoppers.push(() => new Promise<void>((done) => server.close(() => done())));
  const address = server.address();
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;

  if (!config.localMode && config.tables.kind === 'embedded') {
    logger.warn(
      { dataDir: config.tables.dataDir },
      'BOT_ID is set without TABLES_CONNECTION_STRING or TABLES_ENDPOINT: requests are kept in the embedded Azurite under DATA_DIR, which is for development only',
    );
  }
  // Tables, then the storage schema version (data of another version stops start-up); again after an embedded
  // Azurite restart, which may have lost both if they were written in its last unsaved seconds.
  const setUpTables = async (tables: Tables) => {
    await tables.ensureTables();
    await checkSchemaVersion(tables, storagePlace(config));
  };
  const [tablesConnection, graph] = await Promise.all([startStorage(config, credentials, stoppers, { logger, onRestart: () => (built.tables ? setUpTables(built.tables) : Promise.resolve()) }), startGraph(config, stoppers)]);
  if (graph.emulator) {
    // Where to switch faults on (POST /_emulator/faults) to see failed deliveries and reprocess locally.
    logger.info({ graph: graph.emulator.url, faults: `${graph.emulator.controlUrl}/faults` }, 'Graph emulator ready');
  }
  const tables = buildTables(config, tablesConnection);
  await setUpTables(tables);
  built.tables = tables;
  built.storageHealth = new StorageHealth(buildTables(config, tablesConnection, { retryOptions: { maxRetries: 0 } }), logger);

  const graphClient = createGraphClient({
    baseUrl: graph.baseUrl,
    credential: credentials.graph,
  });
  const conversations = new TableConversationStore({ tables });
  const adapter = createAdapter(config.bot, { openIdMetadataUrl: options.openIdMetadataUrl });
  const botAppId = config.bot?.appId ?? '';
  const directory = new GraphDirectory(graphClient);
  const app: AppContext = {
    catalog,
    store: new TableRequestStore({ tables }),
    schedule: new TableScheduleIndex({ tables }),
    failedRequests: new TableFailedRequestsIndex({ tables }),
    claims: new TablePackageClaims({ tables }),
    assignments: new TableAssignmentStore({ tables }),
    approvals: new TableApprovalIndex({ tables }),
    packages: new TablePackageIndex({ tables }),
    directory,
    resourceNames: new ResourceNamer({ directory, clock, logger }),
    provisioner: new GraphProvisioner(graphClient, { graphBaseUrl: graph.baseUrl }),
    notifier: new TeamsNotifier({
      adapter,
      botAppId,
      conversations,
      catalog,
      clock,
      teamsServiceUrl: config.teamsServiceUrl,
      tenantId: config.tenantId,
      teamsAppId: config.teamsAppId,
      installer: new GraphTeamsAppInstaller(graphClient, { graphBaseUrl: graph.baseUrl }),
    }),
    clock,
    logger,
    newRequestId: randomUUID,
  };
  // Names for the cards, looked up once now so the first submits need not wait for Graph.
  app.resourceNames
    .warm(catalog.allPackages().flatMap((entry) => entry.accessPackage.resources))
    .catch((err) => logger.warn({ err: describe(err) }, 'warming resource names failed'));
  // With its own embedded Azurite the bot is the storage's only user: whatever was left unfinished (a crash,
  // kill -9) is its own, so it resumes all of it at start-up, with no lease to wait for, and runs it as its own.
  const soleOwner = config.tables.kind === 'embedded';
  const effects = new EffectRunner(app, { soleOwner });
  const application = createBotApplication({
    adapter,
    botAppId,
    tenantId: config.tenantId,
    app,
    effects,
    recorder: new ConversationRecorder(conversations, clock),
  });
  built.bot = new TeamsBot(adapter, application, logger, { teamsOnly: !config.localMode });
  stoppers.push(() => effects.idle());

  // One id and one lease table for this process: the scheduler and the outbox sweep each run on one instance at a time.
  const holderId = randomUUID();
  const lease = new TableLease({ tables });
  const scheduler = new Scheduler({
    index: app.schedule,
    lease,
    clock,
    logger,
    holderId,
    runDue: (item) => runDueItem(app, effects, item),
  });
  built.tick = async () => {
    const summary = await scheduler.tick();
    const retried = effects.wakeDue();
    await effects.idle();
    return { ...summary, retried };
  };
  const schedulerIntervalInMs = options.schedulerIntervalInMs ?? 60_000;
  if (schedulerIntervalInMs > 0) scheduler.start(schedulerIntervalInMs);
  stoppers.push(() => scheduler.stop());

  let sweeping: Promise<void> = Promise.resolve();
  const sweep = (atStartup: boolean) => {
    sweeping = sweeping.then(async () => {
      try {
        if (atStartup && soleOwner) {
          await effects.sweep(undefined, 0);
          return;
        }
        if (!(await lease.acquire('outbox-sweep', holderId, SWEEP_LEASE_IN_MS, clock.now()))) return;
        try {
          await effects.sweep();
        } finally {
          await lease.release('outbox-sweep', holderId);
        }
      } catch (err) {
        logger.warn({ err: describe(err) }, 'outbox sweep failed');
      }
    });
    return sweeping;
  };
  void sweep(true);
  // Stopping waits for a sweep under way, so its lease is given back.
  stoppers.push(() => sweeping);
  const timer = setInterval(() => void sweep(false), options.sweepIntervalInMs ?? 30_000);
  timer.unref();
  stoppers.push(async () => clearInterval(timer));

  notReady = undefined;
  logger.info({ url, localMode: config.localMode, packages: catalog.allPackages().length }, 'bot ready');
  return { url, effects, scheduler, clock, stop: stopAll };
}

const SETUP_ERRORS = [ConfigError, CatalogError, TablesConfigError, GraphSeedError, AzuriteInUseError, SchemaVersionError];

async function main(): Promise<void> {
  let config: Config;
  try {
    // A local .env (see .env.sample) fills in what the environment does not already set.
    if (existsSync('.env')) process.loadEnvFile('.env');
    config = loadConfig();
  } catch (err) {
    console.error(`Configuration error: ${(err as Error).message}`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  let running: RunningApp;
  try {
    running = await startApp(config, logger);
  } catch (err) {
    const setupError = SETUP_ERRORS.some((type) => err instanceof type);
    console.error(setupError ? `Start-up error: ${(err as Error).message}` : `Start-up failed: ${describe(err)}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) void main();
