/**
 * The storage schema version: one row (`work` table, partition `meta`, row `schemaVersion`, column `version`)
 * saying which shape of rows the storage holds. The bot records it at its first start and refuses to start on
 * data of another version, with one line saying what to do, rather than misread it. There is no migration yet.
 */
import { odata } from '@azure/data-tables';
import { restStatus, TABLE_NAMES, type TableKind, type Tables } from './tables';

/**
 * The version of the rows this code reads and writes. Bump it with any change to what rows mean or how they are
 * keyed (a renamed or re-keyed row, a column read differently, a table split or merged) — and, until there is a
 * migration, say in the change that older data must be removed or kept on the version that wrote it.
 */
export const STORAGE_SCHEMA_VERSION = 2;

/**
 * What storage holding rows but no version row is: data written before the version was recorded, whose rows
 * have the shape of version 1. Stays 1 when STORAGE_SCHEMA_VERSION is bumped.
 */
const UNRECORDED_VERSION = 1;

export const SCHEMA_VERSION_ROW = { partitionKey: 'meta', rowKey: 'schemaVersion' } as const;

/** Partitions of the `work` table that are not data: this row's, and the doctor's probe (written and deleted at once). */
const NOT_DATA_PARTITIONS = [SCHEMA_VERSION_ROW.partitionKey, 'doctor'];

/** Where the data is, for the sentence saying what to do: the embedded Azurite's DATA_DIR, or configured Table Storage. */
export type StoragePlace = { dataDir: string } | { tablesPrefix: string };

/** The storage holds data of another schema version; the message is the one line to show. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';

  constructor(
    readonly found: unknown,
    place: StoragePlace,
  ) {
    super(mismatchSentence(found, place));
  }
}

export interface FoundSchemaVersion {
  /** The recorded version (normally a number, but whatever the row holds), or what unrecorded data is. */
  version: unknown;
  /** `recorded`: the row exists; `unrecorded`: data but no row (written before versions were recorded); `empty`: no data. */
  how: 'recorded' | 'unrecorded' | 'empty';
}

/** What the storage holds, without writing anything (the doctor). The tables must exist. */
export async function findSchemaVersion(tables: Tables): Promise<FoundSchemaVersion> {
  const recorded = await readRecordedVersion(tables);
  if (recorded.exists) return { version: recorded.version, how: 'recorded' };
  if (!(await holdsData(tables))) return { version: STORAGE_SCHEMA_VERSION, how: 'empty' };
  // Data but no row, unless an instance starting meanwhile recorded its version before writing that data.
  const again = await readRecordedVersion(tables);
  return again.exists ? { version: again.version, how: 'recorded' } : { version: UNRECORDED_VERSION, how: 'unrecorded' };
}

/** The sentence for data of `found`, or undefined when it is this bot's version. */
export function schemaVersionProblem(found: unknown, place: StoragePlace): string | undefined {
  return found === STORAGE_SCHEMA_VERSION ? undefined : mismatchSentence(found, place);
}

/**
 * Checks the storage's schema version at start-up (after `ensureTables`) and records it when missing. Throws a
 * SchemaVersionError for data of another version. Two instances starting at once on empty storage both pass:
 * the row is created, never overwritten, and the one whose create is refused reads what the other wrote.
 */
export async function checkSchemaVersion(tables: Tables, place: StoragePlace): Promise<FoundSchemaVersion> {
  const found = await findSchemaVersion(tables);
  if (found.version !== STORAGE_SCHEMA_VERSION) throw new SchemaVersionError(found.version, place);
  if (found.how === 'recorded') return found;
  try {
    await tables.client('work').createEntity({ ...SCHEMA_VERSION_ROW, version: STORAGE_SCHEMA_VERSION, writtenAt: new Date().toISOString() });
    return found;
  } catch (error) {
    if (restStatus(error) !== 409) throw error;
  }
  // Someone else recorded it meanwhile: theirs stands.
  const recorded = await readRecordedVersion(tables);
  if (recorded.version !== STORAGE_SCHEMA_VERSION) throw new SchemaVersionError(recorded.version, place);
  return { version: recorded.version, how: 'recorded' };
}

async function readRecordedVersion(tables: Tables): Promise<{ exists: boolean; version?: unknown }> {
  try {
    const row = await tables.client('work').getEntity<{ version?: unknown }>(SCHEMA_VERSION_ROW.partitionKey, SCHEMA_VERSION_ROW.rowKey);
    return { exists: true, version: row.version };
  } catch (error) {
    if (restStatus(error) === 404) return { exists: false };
    throw error;
  }
}

/** Whether any table holds a row that is data (one short query per table; run only while no version is recorded). */
async function holdsData(tables: Tables): Promise<boolean> {
  const kinds = Object.keys(TABLE_NAMES) as TableKind[];
  const found = await Promise.all(kinds.map((kind) => tableHoldsData(tables, kind)));
  return found.some(Boolean);
}

async function tableHoldsData(tables: Tables, kind: TableKind): Promise<boolean> {
  const filter = kind === 'work' ? NOT_DATA_PARTITIONS.map((partition) => odata`PartitionKey ne ${partition}`).join(' and ') : undefined;
  const rows = tables.client(kind).listEntities({ queryOptions: { select: ['PartitionKey'], ...(filter ? { filter } : {}) } });
  // The service may answer a filtered query with an empty page and a continuation: read on until a row or the end.
  for await (const page of rows.byPage({ maxPageSize: 1 })) {
    if (page.length > 0) return true;
  }
  return false;
}

function mismatchSentence(found: unknown, place: StoragePlace): string {
  const where = 'dataDir' in place ? `The data directory ${place.dataDir}` : `Table Storage (${place.tablesPrefix ? `TABLES_PREFIX "${place.tablesPrefix}"` : 'no TABLES_PREFIX'})`;
  const known = typeof found === 'number' && Number.isInteger(found);
  const what = known
    ? `data of storage schema version ${found}, ${found > STORAGE_SCHEMA_VERSION ? 'newer' : 'older'} than this bot's version ${STORAGE_SCHEMA_VERSION}`
    : `a storage schema version this bot (version ${STORAGE_SCHEMA_VERSION}) cannot read (${JSON.stringify(found) ?? 'none'})`;
  const remedy =
    'dataDir' in place
      ? `run the bot version that wrote it, or remove ${place.dataDir} to start with empty storage (its requests are lost)`
      : 'deploy the bot version that wrote it, or give this one empty storage (a new TABLES_PREFIX or another storage account)';
  return `${where} holds ${what}, and there is no migration yet: ${remedy}.`;
}
