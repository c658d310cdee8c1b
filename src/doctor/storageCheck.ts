/** Storage: reachable, the bot's tables exist (created when missing), and an entity can be written, read and deleted. */
import { randomUUID } from 'node:crypto';
import { findSchemaVersion, SCHEMA_VERSION_ROW, schemaVersionProblem, STORAGE_SCHEMA_VERSION, type StoragePlace } from '../storage/schemaVersion';
import type { Tables } from '../storage/tables';
import { isRestError, tableErrorCode } from '../storage/tables';
import { row, type CheckRow } from './report';

export const PROBE_PARTITION = 'doctor';

export async function checkStorage(tables: Tables, keyless: boolean): Promise<CheckRow> {
  const work = tables.client('work');
  const where = accountUrl(work.url);
  let step = 'creating the tables';
  try {
    await tables.ensureTables();
    step = `writing a probe entity to table ${work.tableName}`;
    const rowKey = `probe-${randomUUID()}`;
    await work.createEntity({ partitionKey: PROBE_PARTITION, rowKey, writtenBy: 'npm run doctor', at: new Date().toISOString() });
    step = `reading the probe entity back from ${work.tableName}`;
    const read = await work.getEntity<{ writtenBy?: string }>(PROBE_PARTITION, rowKey);
    if (read.writtenBy !== 'npm run doctor') return row('storage', 'problem', `${where}: the probe entity read back from ${work.tableName} differs from what was written`);
    step = `deleting the probe entity from ${work.tableName}`;
    await work.deleteEntity(PROBE_PARTITION, rowKey);
    return row(
      'storage',
      'ok',
      `${where}: tables ready (${tables.tableName('requests')}, ${tables.tableName('conversations')}, ${work.tableName}, ${tables.tableName('requesterIndex')}); ` +
        `wrote, read and deleted a probe entity in ${work.tableName} (partition "${PROBE_PARTITION}")`,
    );
  } catch (err) {
    return row('storage', 'problem', `${where}: ${step} failed: ${storageErrorText(err, keyless)}`);
  }
}

/**
 * The storage schema version (after checkStorage passed): the same sentence as `npm start` when the data is of
 * another version. Reads only: recording the version is the bot's, at its first start.
 */
export async function checkSchemaVersionRow(tables: Tables, place: StoragePlace, keyless: boolean): Promise<CheckRow> {
  const name = 'storage schema';
  if ('dataDir' in place) {
    return row(name, 'ok', `this bot's is version ${STORAGE_SCHEMA_VERSION}; npm start checks the data under DATA_DIR itself (the doctor never reads it)`);
  }
  try {
    const found = await findSchemaVersion(tables);
    const problem = schemaVersionProblem(found.version, place);
    if (problem) return row(name, 'problem', problem);
    const where = `${tables.tableName('work')}, partition "${SCHEMA_VERSION_ROW.partitionKey}"`;
    switch (found.how) {
      case 'recorded':
        return row(name, 'ok', `version ${STORAGE_SCHEMA_VERSION}, this bot's (recorded in ${where})`);
      case 'unrecorded':
        return row(name, 'ok', `version ${STORAGE_SCHEMA_VERSION}, this bot's: data written before the version was recorded; the bot records it in ${where} at its next start`);
      case 'empty':
        return row(name, 'ok', `no data yet: the bot records version ${STORAGE_SCHEMA_VERSION} (its own) in ${where} at its first start`);
    }
  } catch (err) {
    return row(name, 'problem', `reading the version in ${tables.tableName('work')} failed: ${storageErrorText(err, keyless)}`);
  }
}

function storageErrorText(err: unknown, keyless: boolean): string {
  const message = firstLine(err instanceof Error ? err.message : String(err));
  if (!isRestError(err)) return message;
  const status = err.statusCode;
  const code = tableErrorCode(err);
  const text = `${status ?? 'no answer'}${code ? ` ${code}` : ''}: ${message}`;
  if (keyless && (status === 401 || status === 403)) {
    return `${text} — give the bot's identity the role "Storage Table Data Contributor" on the storage account`;
  }
  if (status === 403) return `${text} — check the account key in TABLES_CONNECTION_STRING`;
  return text;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

/** The account's table endpoint without a query (a SAS token or account key never appears in it). */
function accountUrl(tableUrl: string): string {
  try {
    const url = new URL(tableUrl);
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return 'Table Storage';
  }
}
