/**
 * ScheduleIndex on Azure Table Storage: the `work` table, partition `due`, one row per due item.
 *
 *   RowKey = dueItemKey(item) with the request id key-encoded   kind, requestId, dueAt, ref
 *
 * The RowKey starts with the due instant in `toISOString()` form, so rows sort chronologically and
 * "what is due" is one range query over the start of the partition: its cost grows with what is due,
 * not with what is stored.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ScheduleIndex } from '../app/ports';
import { dueItemKey, type DueItem, type DueKind } from '../domain/schedule';
import { encodeKey, restStatus, stringColumn, type Tables } from './tables';

const DUE_PARTITION = 'due';
/** The most operations one entity-group transaction may hold. */
const MAX_TRANSACTION_OPERATIONS = 100;
/** How many transactions `add` sends at once. */
const ADD_PARALLELISM = 4;
/** The most entities the Table service returns in one page. */
const MAX_PAGE_SIZE = 1000;

type Row = Record<string, unknown>;

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
    // One transaction may touch an entity only once: duplicates are dropped first.
    const rows = new Map<string, Row & { partitionKey: string; rowKey: string }>();
    for (const item of items.map(normalizeDueItem)) {
      const rowKey = rowKeyOf(item);
      rows.set(rowKey, { partitionKey: DUE_PARTITION, rowKey, ...item });
    }
    const chunks: TransactionAction[][] = [];
    const all = [...rows.values()];
    for (let at = 0; at < all.length; at += MAX_TRANSACTION_OPERATIONS) {
      chunks.push(all.slice(at, at + MAX_TRANSACTION_OPERATIONS).map((row): TransactionAction => ['upsert', row, 'Replace']));
    }
    const send = async (): Promise<void> => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) await this.work.submitTransaction(chunk);
    };
    await Promise.all(Array.from({ length: Math.min(ADD_PARALLELISM, chunks.length) }, send));
  }

  async listDue(now: Date, limit: number): Promise<DueItem[]> {
    const items: DueItem[] = [];
    if (limit <= 0) return items;
    // Every key due at or before `now` starts with an ISO instant ≤ now's, followed by '|';
    // '}' sorts right after '|', so this bound holds whatever characters the request id has.
    const end = `${now.toISOString()}}`;
    const rows = this.work.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${DUE_PARTITION} and RowKey lt ${end}` },
    });
    // The first page is normally all we read; the service may return a short (even empty) page with a
    // continuation, so more pages are read only until `limit` items have come back.
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
      await this.work.deleteEntity(DUE_PARTITION, rowKeyOf(normalizeDueItem(item)));
    } catch (error) {
      if (restStatus(error) === 404) return;
      throw error;
    }
  }
}

function rowKeyOf(item: DueItem): string {
  return encodeKey(dueItemKey(item));
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
