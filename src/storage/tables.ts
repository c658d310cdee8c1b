/**
 * Table clients for every table the bot uses, from a connection string (Azurite, keys) or an
 * endpoint with a token credential (managed identity), with an optional table name prefix.
 */
import { RestError, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';

export const TABLE_NAMES = {
  /** One partition per request: the request, its stages, resources, posted cards and outbox. */
  requests: 'requests',
  /** Conversation references of people and channels. */
  conversations: 'conversations',
  /** Work and small records: the outbox index (`outbox`), the due-time index (`due-…`), the scheduler's lease, the failed-requests index and the storage schema version (`meta`). */
  work: 'work',
  /** Requests by requester (partition = requester id), newest first, and (`live|` rows) those not over yet. */
  requesterIndex: 'requesterIndex',
  /** One partition per person: per access package, their latest request (`claim|…`) and their assignment (`assignment|…`). */
  assignments: 'assignments',
} as const;
export type TableKind = keyof typeof TABLE_NAMES;

export type TablesConnection = { connectionString: string } | { endpoint: string; credential: TokenCredential };

export type TablesOptions = TablesConnection & {
  /** Prefix of every table name (TABLES_PREFIX): letters and digits, starting with a letter. */
  prefix?: string;
  /** Extra client options (e.g. additional pipeline policies in tests). */
  clientOptions?: TableServiceClientOptions;
};

export class TablesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TablesConfigError';
  }
}

const TABLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
const LONGEST_NAME = Math.max(...Object.values(TABLE_NAMES).map((name) => name.length));

/** Throws a TablesConfigError naming TABLES_PREFIX when the prefix cannot form valid table names. */
export function validateTablePrefix(prefix: string): void {
  if (prefix === '') return;
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(prefix)) {
    throw new TablesConfigError(
      `TABLES_PREFIX "${prefix}" is not a valid table name prefix: use letters and digits only, starting with a letter`,
    );
  }
  if (prefix.length + LONGEST_NAME > 63) {
    throw new TablesConfigError(
      `TABLES_PREFIX "${prefix}" is too long: at most ${63 - LONGEST_NAME} characters (table names are at most 63)`,
    );
  }
}

export class Tables {
  private readonly prefix: string;
  private readonly clients = new Map<TableKind, TableClient>();

  constructor(private readonly options: TablesOptions) {
    this.prefix = options.prefix ?? '';
    validateTablePrefix(this.prefix);
  }

  tableName(kind: TableKind): string {
    const name = `${this.prefix}${TABLE_NAMES[kind]}`;
    if (!TABLE_NAME_PATTERN.test(name)) throw new TablesConfigError(`invalid table name "${name}"`);
    return name;
  }

  client(kind: TableKind): TableClient {
    let client = this.clients.get(kind);
    if (!client) {
      client = this.createClient(this.tableName(kind));
      this.clients.set(kind, client);
    }
    return client;
  }

  /** Creates every table the bot uses; tables that already exist are left as they are. */
  async ensureTables(): Promise<void> {
    await Promise.all((Object.keys(TABLE_NAMES) as TableKind[]).map((kind) => this.client(kind).createTable()));
  }

  private createClient(tableName: string): TableClient {
    const options = this.options;
    if ('connectionString' in options) {
      return TableClient.fromConnectionString(options.connectionString, tableName, {
        ...options.clientOptions,
        allowInsecureConnection: connectionStringIsHttp(options.connectionString),
      });
    }
    return new TableClient(options.endpoint, tableName, options.credential, {
      ...options.clientOptions,
      allowInsecureConnection: options.endpoint.toLowerCase().startsWith('http:'),
    });
  }
}

/**
 * Why the SDK cannot use this connection string, in words that never quote it (it holds the account key), or
 * undefined when it can.
 */
export function connectionStringProblem(connectionString: string): string | undefined {
  if (!/(^|;)\s*(TableEndpoint|AccountName|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
    return 'does not look like an Azure Storage connection string (no TableEndpoint or AccountName)';
  }
  try {
    TableClient.fromConnectionString(connectionString, 'probe');
    return undefined;
  } catch (err) {
    const secrets = connectionString.split(';').map((part) => part.slice(part.indexOf('=') + 1).trim()).filter((value) => value.length >= 4);
    const said = secrets.reduce((text, secret) => text.split(secret).join('…'), err instanceof Error ? err.message : String(err));
    return `is not a valid Azure Storage connection string: ${said.replace(/\.$/, '')}`;
  }
}

export function createTables(options: TablesOptions): Tables {
  return new Tables(options);
}

function connectionStringIsHttp(connectionString: string): boolean {
  const settings = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) settings.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (settings.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const endpoint = settings.get('tableendpoint');
  if (endpoint) return endpoint.toLowerCase().startsWith('http:');
  return settings.get('defaultendpointsprotocol')?.toLowerCase() === 'http';
}

// ---------------------------------------------------------------------------------------------
// Keys and columns

/**
 * Makes any string usable as a PartitionKey/RowKey: the characters keys may not contain (/ \ # ?
 * and control characters) and '%' itself become %XX, so the encoding is reversible.
 */
export function encodeKey(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** RowKey bounds of the rows whose key starts with `prefix` (ending in '|'): RowKey ge `from` and lt `to`. */
export function rowKeyRange(prefix: string): { from: string; to: string } {
  // Every RowKey starting with the prefix sorts before the prefix with its '|' raised to '}'.
  return { from: prefix, to: `${prefix.slice(0, -1)}}` };
}

/** A string property holds at most 64 KiB (32K UTF-16 characters); longer JSON is split across columns. */
const MAX_CHARS_PER_COLUMN = 32_000;

/** `{ data: '...' }`, or `{ data, data2, data3, ... }` when the JSON is longer than one column holds. */
export function jsonColumns(name: string, value: unknown): Record<string, string> {
  return splitJsonColumns(name, JSON.stringify(value));
}

export function splitJsonColumns(name: string, json: string): Record<string, string> {
  const columns: Record<string, string> = { [name]: json.slice(0, MAX_CHARS_PER_COLUMN) };
  for (let at = MAX_CHARS_PER_COLUMN, part = 2; at < json.length; at += MAX_CHARS_PER_COLUMN, part++) {
    columns[`${name}${part}`] = json.slice(at, at + MAX_CHARS_PER_COLUMN);
  }
  return columns;
}

/** The JSON text written by jsonColumns, reassembled. */
export function readJsonText(entity: Record<string, unknown>, name: string): string {
  let json = stringColumn(entity, name);
  for (let part = 2; typeof entity[`${name}${part}`] === 'string'; part++) json += entity[`${name}${part}`] as string;
  return json;
}

export function readJsonColumns(entity: Record<string, unknown>, name: string): unknown {
  return JSON.parse(readJsonText(entity, name));
}

export function stringColumn(entity: Record<string, unknown>, name: string): string {
  const value = entity[name];
  if (typeof value !== 'string') throw new Error(`table row ${String(entity.rowKey)}: column ${name} is missing`);
  return value;
}

export function optionalStringColumn(entity: Record<string, unknown>, name: string): string | undefined {
  const value = entity[name];
  return typeof value === 'string' ? value : undefined;
}

/** The error code of a failed Table call: `code` for a failed transaction, `details.errorCode` otherwise. */
export function tableErrorCode(error: unknown): string | undefined {
  if (!isRestError(error)) return undefined;
  const details = (error as { details?: unknown }).details;
  const fromDetails =
    details && typeof details === 'object' && typeof (details as { errorCode?: unknown }).errorCode === 'string'
      ? (details as { errorCode: string }).errorCode
      : undefined;
  return error.code ?? fromDetails;
}

export function isRestError(error: unknown): error is RestError {
  return error instanceof RestError || (error instanceof Error && error.name === 'RestError');
}

export function restStatus(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}
