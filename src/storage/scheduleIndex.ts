/**
 * ScheduleIndex on Azure Table Storage: the `work` table, one partition per UTC day the items fall due on.
 *
 *   PartitionKey = `due-YYYY-MM-DD` (the UTC day of dueAt)
 *   RowKey       = dueItemKey(item) with the request id key-encoded   kind, requestId, dueAt, ref
 *
 * The RowKey starts with the due instant in `toISOString()` form and the PartitionKeys sort by day, so rows
 * sort chronologically within and across partitions, and "what is due" is one range query from the first day
 * partition up to today's: its cost grows with what is due, not with what is stored (past days hold only what
 * is still due; today's is scanned at most to its end).
 *
 * Day partitions keep each partition bounded by one day's items rather than by everything scheduled: one
 * partition holding every due item of the tenant would be a hot partition on Azure, and Azurite finds an
 * entity by filtering its partition row by row, so each write into one huge partition costs O(its size).
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ScheduleIndex } from '../app/ports';
import { dueItemKey, type DueItem, type DueKind } from '../domain/schedule';
import { encodeKey, restStatus, stringColumn, type Tables } from './tables';

/** Every day partition's key starts with this; the lower bound of the due query. */
const PARTITION_PREFIX = 'due-';
/** The most operations one entity-group transaction may hold. */
const MAX_TRANSACTION_OPERATIONS = 100;
/** How many transactions `add` sends at once. */
const ADD_PARALLELISM = 4;
/** The most entities the Table service returns in one page. */
const MAX_PAGE_SIZE = 1000;

type Row = Record<string, unknown>;
interface Keys {
  partitionKey: string;
  rowKey: string;
}

export interface TableScheduleIndexOptions {
  tables: Tables;
}

/**
 * The item with `dueAt` in the one form every stored key uses (`Date.prototype.toISOString`), so that
 * "2026-03-02T09:00:00Z" and "2026-03-02T09:00:00.000Z" are the same item and keys sort by time.
 */
export function normalizeDueItem(item: DueItem): DueItem {
  const at = Date.parse(item.dueAt);
  if (!Number.isFinite(at)) throw new Error(`due item ${item.kind} of request ${item.requestId}: dueAt "${item.dueAt}" is not an instant`);
  return { kind: item.kind, requestId: item.requestId, dueAt: new Date(at).toISOString(), ref: item.ref };
}

export class TableScheduleIndex implements ScheduleIndex {
  private readonly work: TableClient;

  constructor(options: TableScheduleIndexOptions) {
    this.work = options.tables.client('work');
  }

  async add(items: DueItem[]): Promise<void> {
    const transactions = transactionsOf(items);
    const send = async (): Promise<void> => {
      for (let actions = transactions.shift(); actions; actions = transactions.shift()) await this.work.submitTransaction(actions);
    };
    await Promise.all(Array.from({ length: Math.min(ADD_PARALLELISM, transactions.length) }, send));
  }

  async listDue(now: Date, limit: number): Promise<DueItem[]> {
    const items: DueItem[] = [];
    if (limit <= 0) return items;
    // Every key due at or before `now` starts with an ISO instant ≤ now's, followed by '|';
    // '}' sorts right after '|', so this bound holds whatever characters the request id has.
    // Rows of earlier days' partitions are all below this bound too: their keys start with an earlier instant.
    const end = `${now.toISOString()}}`;
    const today = partitionOf(now.toISOString());
    const rows = this.work.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey ge ${PARTITION_PREFIX} and PartitionKey le ${today} and RowKey lt ${end}` },
    });
    // The first page is normally all we read; the service may return a short (even empty) page with a
    // continuation (at a partition's end, say), so more pages are read only until `limit` items have come back.
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, MAX_PAGE_SIZE) })) {
      for (const row of page) {
        items.push(readItem(row));
        if (items.length >= limit) return items;
      }
    }
    return items;
  }

  async remove(item: DueItem): Promise<void> {
    try {
      const { partitionKey, rowKey } = keysOf(normalizeDueItem(item));
      await this.work.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (restStatus(error) === 404) return;
      throw error;
    }
  }
}

/** The day partition of an instant in `toISOString()` form. */
function partitionOf(instant: string): string {
  return `${PARTITION_PREFIX}${instant.slice(0, 'YYYY-MM-DD'.length)}`;
}

function keysOf(item: DueItem): Keys {
  return { partitionKey: partitionOf(item.dueAt), rowKey: encodeKey(dueItemKey(item)) };
}

/** Upserts of the items' rows in entity-group transactions: one partition, at most MAX_TRANSACTION_OPERATIONS rows. */
function transactionsOf(items: DueItem[]): TransactionAction[][] {
  const transactions: TransactionAction[][] = [];
  for (const rows of rowsByPartition(items)) {
    for (let at = 0; at < rows.length; at += MAX_TRANSACTION_OPERATIONS) {
      transactions.push(rows.slice(at, at + MAX_TRANSACTION_OPERATIONS).map((row): TransactionAction => ['upsert', row, 'Replace']));
    }
  }
  return transactions;
}

/** The items' rows grouped by PartitionKey, each row once: a transaction may touch an entity only once. */
function rowsByPartition(items: DueItem[]): (Row & Keys)[][] {
  const partitions = new Map<string, Map<string, Row & Keys>>();
  for (const item of items.map(normalizeDueItem)) {
    const keys = keysOf(item);
    const rows = partitions.get(keys.partitionKey) ?? new Map<string, Row & Keys>();
    rows.set(keys.rowKey, { ...keys, ...item });
    partitions.set(keys.partitionKey, rows);
  }
  return [...partitions.values()].map((rows) => [...rows.values()]);
}

function readItem(row: Row): DueItem {
  const ref = row.ref;
  if (typeof ref !== 'number') throw new Error(`schedule row ${String(row.rowKey)}: column ref is missing`);
  return {
    kind: stringColumn(row, 'kind') as DueKind,
    requestId: stringColumn(row, 'requestId'),
    dueAt: stringColumn(row, 'dueAt'),
    ref,
  };
}
