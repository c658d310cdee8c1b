/**
 * From a Config to the storage and Microsoft Graph the bot talks to: starts what local mode embeds (Azurite,
 * the Graph emulator) and builds the Table clients (credentials: credentials.ts). Shared by the bot (index.ts) and `npm run doctor`.
 */
import { resolve } from 'node:path';
import type { Logger } from './app/ports';
import type { Config } from './config';
import type { AzureCredentials } from './credentials';
import { startAzurite } from './local/azurite';
import { startGraphEmulator, type GraphEmulator } from './local/graphEmulator';
import type { StoragePlace } from './storage/schemaVersion';
import { createTables, type Tables, type TablesConnection, type TablesOptions } from './storage/tables';

export type Stopper = () => Promise<void>;

export interface StorageOptions {
  /** Local mode: run the embedded Azurite in memory instead of under DATA_DIR (the doctor, so it never touches the bot's data). */
  inMemory?: boolean;
  /** Relative DATA_DIR is resolved against this (default: the working folder). */
  cwd?: string;
  /** Gets a warn line each time the embedded Azurite exits unexpectedly and is restarted. */
  logger?: Logger;
  /** Runs after the embedded Azurite was restarted (its last unsaved seconds, tables included, may be gone). */
  onRestart?: () => Promise<void>;
}

/** The Table connection: the configured one, or an embedded Azurite (its stop is pushed on `stoppers`). */
export async function startStorage(
  config: Config,
  credentials: AzureCredentials,
  stoppers: Stopper[],
  options: StorageOptions = {},
): Promise<TablesConnection> {
  switch (config.tables.kind) {
    case 'connectionString':
      return { connectionString: config.tables.connectionString };
    case 'endpoint':
      // credentialsFor always gives Table Storage a credential when it is reached through an endpoint.
      if (!credentials.tables) throw new Error('TABLES_ENDPOINT needs a credential (credentialsFor(config).tables)');
      return { endpoint: config.tables.endpoint, credential: credentials.tables };
    case 'embedded': {
      const location = options.inMemory ? undefined : resolve(options.cwd ?? '.', config.tables.dataDir, 'azurite');
      const azurite = await startAzurite({ location, logger: options.logger, onRestart: options.onRestart });
      stoppers.push(() => azurite.stop());
      return { connectionString: azurite.connectionString };
    }
  }
}

/** Every table client of the bot, with the configured prefix (not created yet: call `ensureTables`). */
export function buildTables(config: Config, connection: TablesConnection, clientOptions?: TablesOptions['clientOptions']): Tables {
  return createTables({ ...connection, prefix: config.tablesPrefix, ...(clientOptions ? { clientOptions } : {}) });
}

/** Where the bot's data is, for the schema version's sentence: the embedded Azurite's DATA_DIR (absolute), or the configured Table Storage. */
export function storagePlace(config: Config, options: { cwd?: string } = {}): StoragePlace {
  return config.tables.kind === 'embedded' ? { dataDir: resolve(options.cwd ?? '.', config.tables.dataDir) } : { tablesPrefix: config.tablesPrefix };
}

export interface StartedGraph {
  /** GRAPH_BASE_URL, or the embedded emulator's. */
  baseUrl: string;
  /** Set when local mode started the embedded emulator (its stop is pushed on `stoppers`). */
  emulator?: GraphEmulator;
}

/** The configured Graph, or the embedded emulator seeded from DIRECTORY_SEED_FILE. */
export async function startGraph(config: Config, stoppers: Stopper[], options: { cwd?: string } = {}): Promise<StartedGraph> {
  if (config.graphBaseUrl) return { baseUrl: config.graphBaseUrl };
  const emulator = await startGraphEmulator({ seedFile: resolve(options.cwd ?? '.', config.directorySeedFile) });
  stoppers.push(() => emulator.close());
  return { baseUrl: emulator.url, emulator };
}
