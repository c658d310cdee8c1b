/**
 * Environment → typed Config, validated once at start-up (CONTRACT §2).
 * A bad setting becomes one ConfigError whose message names the variable.
 */
import { isIP } from 'node:net';
import { connectionStringProblem } from './storage/tables';

export type BotType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface BotIdentity {
  appId: string;
  password?: string;
  type: BotType;
  tenantId?: string;
}

export type TablesConfig =
  | { kind: 'embedded'; dataDir: string }
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'endpoint'; endpoint: string };

export interface Config {
  port: number;
  host: string;
  /** Unauthenticated Bot Framework traffic, embedded services allowed, dev routes on. */
  localMode: boolean;
  bot?: BotIdentity;
  /** The one tenant served; undefined accepts any (local mode only). */
  tenantId?: string;
  tables: TablesConfig;
  tablesPrefix: string;
  /** undefined: start the embedded Graph emulator. */
  graphBaseUrl?: string;
  /** Send a DefaultAzureCredential token to Graph; false only for a loopback Graph without AZURE_* settings. */
  graphAuthenticated: boolean;
  catalogFile: string;
  directorySeedFile: string;
  teamsServiceUrl?: string;
  teamsAppId?: string;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readGuid(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value !== undefined && !GUID.test(value)) throw new ConfigError(name, `must be a GUID, got "${value}"`);
  return value;
}

/**
 * A URL setting as it may be quoted in an error: without a user name, password, query or fragment, where keys
 * and SAS tokens would be.
 */
function quotableUrl(value: string): string {
  return value.replace(/^([^/?#@]*\/\/)?[^/?#]*@/, '$1…@').replace(/[?#].*$/s, '…');
}

/** An http(s) URL with no credentials in it (a setting is logged and shown in errors; secrets go elsewhere). */
function readUrl(env: Env, name: string): URL | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${quotableUrl(value)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `must be an http(s) URL, got "${quotableUrl(value)}"`);
  }
  if (url.username || url.password) {
    throw new ConfigError(name, `must not contain a user name or password ("${quotableUrl(value)}"); the bot authenticates with its own credentials`);
  }
  if (url.search) {
    throw new ConfigError(name, `must not have a query ("${quotableUrl(value)}"): a SAS token or key belongs in a connection string, not in a URL setting`);
  }
  return url;
}

function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(env, name) ?? fallback;
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  return match;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

function readPort(env: Env): number {
  const value = read(env, 'PORT') ?? '3978';
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new ConfigError('PORT', `must be a port number 0-65535, got "${value}"`);
  return port;
}

function readHost(env: Env): string {
  const host = read(env, 'HOST') ?? '127.0.0.1';
  if (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host) && host !== '::1') {
    throw new ConfigError('HOST', `must be an IP address or host name, got "${host}"`);
  }
  return host;
}

/**
 * The Bot Framework identity. Azure Bot Service creates no new multi-tenant bots since 2025-07-31, so the default is
 * SingleTenant, registered in the tenant the bot serves (BOT_TENANT_ID defaults to TENANT_ID); MultiTenant remains
 * for bots registered before. Settings that contradict each other stop start-up.
 */
function readBot(env: Env): BotIdentity | undefined {
  const appId = readGuid(env, 'BOT_ID');
  const password = read(env, 'BOT_PASSWORD');
  const type = readEnum<BotType>(env, 'BOT_TYPE', ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'], 'SingleTenant');
  const typeNamed = read(env, 'BOT_TYPE') ? '' : ' (the default)';
  const servedTenant = readGuid(env, 'TENANT_ID');
  const tenantId = readGuid(env, 'BOT_TENANT_ID') ?? (type === 'MultiTenant' ? undefined : servedTenant);
  if (!appId) {
    if (password) throw new ConfigError('BOT_PASSWORD', 'is set but BOT_ID is empty; set BOT_ID too, or neither for local mode');
    return undefined;
  }
  if (type === 'UserAssignedMSI' && password) {
    throw new ConfigError('BOT_PASSWORD', 'is set, but BOT_TYPE UserAssignedMSI takes no password (the managed identity gets the token): remove BOT_PASSWORD, or use BOT_TYPE=SingleTenant for an app registration with a secret');
  }
  if (type !== 'UserAssignedMSI' && !password) {
    throw new ConfigError('BOT_PASSWORD', `is required when BOT_TYPE is ${type}${typeNamed}; for a managed identity set BOT_TYPE=UserAssignedMSI`);
  }
  if (type !== 'MultiTenant' && !tenantId) {
    throw new ConfigError('TENANT_ID', `is required when BOT_ID is set: the bot serves exactly one Entra tenant, where its ${type}${typeNamed} identity is registered`);
  }
  if (type !== 'MultiTenant' && servedTenant && tenantId && tenantId.toLowerCase() !== servedTenant.toLowerCase()) {
    throw new ConfigError('BOT_TENANT_ID', `is ${tenantId} but TENANT_ID is ${servedTenant}: a ${type} bot is reachable only from the tenant it is registered in; make them the same`);
  }
  return { appId, password, type, tenantId };
}

function readTables(env: Env): TablesConfig {
  const connectionString = read(env, 'TABLES_CONNECTION_STRING');
  const endpoint = readUrl(env, 'TABLES_ENDPOINT');
  if (connectionString && endpoint) {
    throw new ConfigError('TABLES_ENDPOINT', 'cannot be set together with TABLES_CONNECTION_STRING; choose one');
  }
  if (connectionString) {
    const problem = connectionStringProblem(connectionString);
    if (problem) throw new ConfigError('TABLES_CONNECTION_STRING', `${problem} (the value is not shown: it holds a key)`);
    return { kind: 'connectionString', connectionString };
  }
  if (endpoint) return { kind: 'endpoint', endpoint: endpoint.toString().replace(/\/$/, '') };
  return { kind: 'embedded', dataDir: read(env, 'DATA_DIR') ?? '.data' };
}

function readTablesPrefix(env: Env): string {
  const prefix = read(env, 'TABLES_PREFIX') ?? '';
  if (prefix && !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(prefix)) {
    throw new ConfigError('TABLES_PREFIX', `must start with a letter and hold only letters and digits (at most 40), got "${prefix}"`);
  }
  return prefix;
}

/** True when any AZURE_* credential setting is present (DefaultAzureCredential reads them itself). */
function readGraphCredentialPresent(env: Env): boolean {
  const tenantId = readGuid(env, 'AZURE_TENANT_ID');
  const clientId = readGuid(env, 'AZURE_CLIENT_ID');
  const clientSecret = read(env, 'AZURE_CLIENT_SECRET');
  if (clientSecret && !(tenantId && clientId)) {
    throw new ConfigError('AZURE_CLIENT_SECRET', 'is set, so AZURE_TENANT_ID and AZURE_CLIENT_ID are needed too');
  }
  return Boolean(tenantId || clientId || clientSecret);
}

function readCatalogFile(env: Env, localMode: boolean): string {
  const file = read(env, 'CATALOG_FILE');
  if (file) return file;
  if (!localMode) throw new ConfigError('CATALOG_FILE', 'is required when BOT_ID is set (the sample catalog is for local mode)');
  return 'catalog.sample.json';
}

/**
 * Parses and validates the environment. Throws ConfigError (one line naming the variable) on the first problem.
 */
export function loadConfig(env: Env = process.env): Config {
  const port = readPort(env);
  const host = readHost(env);
  const bot = readBot(env);
  const localMode = bot === undefined;
  if (localMode && !isLoopbackHost(host)) {
    throw new ConfigError('HOST', `is "${host}", but without BOT_ID the bot runs unauthenticated and only listens on loopback (127.0.0.1 or ::1); set BOT_ID/BOT_PASSWORD to listen elsewhere`);
  }
  const tables = readTables(env);
  const graphUrl = readUrl(env, 'GRAPH_BASE_URL');
  if (!localMode && !graphUrl) {
    throw new ConfigError('GRAPH_BASE_URL', 'is required when BOT_ID is set, e.g. https://graph.microsoft.com/v1.0');
  }
  const graphOnLoopback = graphUrl === undefined || isLoopbackHost(graphUrl.hostname);
  if (!graphOnLoopback && graphUrl?.protocol !== 'https:') {
    throw new ConfigError('GRAPH_BASE_URL', 'must use https unless it points at loopback');
  }
  const tenantId = readGuid(env, 'TENANT_ID');
  if (!localMode && !tenantId) {
    throw new ConfigError('TENANT_ID', 'is required when BOT_ID is set: the bot serves exactly one Entra tenant');
  }
  const teamsServiceUrl = readUrl(env, 'TEAMS_SERVICE_URL');
  return {
    port,
    host,
    localMode,
    bot,
    tenantId,
    tables,
    tablesPrefix: readTablesPrefix(env),
    graphBaseUrl: graphUrl?.toString().replace(/\/$/, ''),
    graphAuthenticated: readGraphCredentialPresent(env) || !graphOnLoopback,
    catalogFile: readCatalogFile(env, localMode),
    directorySeedFile: read(env, 'DIRECTORY_SEED_FILE') ?? 'directory.sample.json',
    teamsServiceUrl: teamsServiceUrl?.toString(),
    teamsAppId: read(env, 'TEAMS_APP_ID'),
    logLevel: readEnum<LogLevel>(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
  };
}
