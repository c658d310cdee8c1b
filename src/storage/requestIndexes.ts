/**
 * The indexes of requests that live outside their partitions, so they are written before the request's
 * transaction (a stale index row is harmless, a missing one is not):
 *
 *   work / outbox / <request id>                 requests with pending effects; carries the version of the
 *                                                commit that wrote it
 *   requesterIndex / <requester> / <inverted time>|<request id>        requests by requester, newest first
 *   requesterIndex / <requester> / live|<inverted time>|<request id>   the requester's requests that are not over
 *                                                                    yet (access held, open), newest first
 *   requesterIndex / <requester> / live                              the `live|` rows are complete: written once
 *                                                                    the requests stored before them were indexed
 *
 * A `live|` row is written with the request's first row (one transaction of the requester's partition, so a
 * create costs no extra round trip) and deleted after the commit that makes the request over (FINAL_STATES, which
 * no request leaves). A row left behind (a crash between that commit and the delete) is harmless: readers check
 * the request and drop the row then.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { AccessRequest } from '../domain/request';
import { isOver, LATEST_TIME_IN_MS, positionOf, type RequesterPosition } from '../domain/requesterOverview';
import type { Row } from './requestRows';
import { decodeKey, encodeKey, restStatus, stringColumn } from './tables';

const OUTBOX_INDEX_PARTITION = 'outbox';
/** An outbox index row whose commit never landed is dropped after this long (wall time, see releaseIfIdle). */
const ABANDONED_INDEX_AFTER_IN_MS = 10 * 60_000;
/** Inverted timestamps count down from the last millisecond of year 9999. */
const MAX_TIME_IN_MS = LATEST_TIME_IN_MS;

/** A request's row in the outbox index. */
export interface OutboxIndexEntry {
  requestId: string;
  /** The version of the commit that wrote it (0 if unknown). */
  version: number;
  etag: string;
  /** Wall time it was last written, in ms (NaN if unknown). */
  writtenAt: number;
}

/** How many rows this process remembers writing (see `lastWritten`); the oldest are forgotten first. */
const MAX_REMEMBERED_ROWS = 10_000;

/** Requests with pending effects (`work` partition `outbox`). */
export class OutboxIndex {
  /** The rows this process wrote and has not deleted: their version and ETag, so releasing one needs no read. */
  private readonly written = new Map<string, OutboxIndexEntry>();

  constructor(private readonly work: TableClient) {}

  async upsert(requestId: string, version: number): Promise<void> {
    const { etag } = await this.work.upsertEntity(
      { partitionKey: OUTBOX_INDEX_PARTITION, rowKey: encodeKey(requestId), requestId, version },
      'Replace',
    );
    this.written.delete(requestId);
    if (etag) this.written.set(requestId, { requestId, version, etag, writtenAt: Date.now() });
    if (this.written.size > MAX_REMEMBERED_ROWS) this.written.delete(this.written.keys().next().value as string);
  }

  /**
   * The row as this process last wrote it, if it did. Another process may have rewritten it since: a delete
   * guarded by this ETag then fails (412) and leaves that process's row alone.
   */
  lastWritten(requestId: string): OutboxIndexEntry | undefined {
    return this.written.get(requestId);
  }

  async get(requestId: string): Promise<OutboxIndexEntry | undefined> {
    let index: Row & { etag: string; timestamp?: string };
    try {
      index = await this.work.getEntity<Row>(OUTBOX_INDEX_PARTITION, encodeKey(requestId));
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
    return {
      requestId,
      version: typeof index.version === 'number' ? index.version : 0,
      etag: index.etag,
      writtenAt: index.timestamp ? Date.parse(String(index.timestamp)) : NaN,
    };
  }

  /** Up to `limit` request ids, optionally only those whose row was written before `writtenBefore`. */
  async list(limit: number, writtenBefore?: Date): Promise<string[]> {
    const ids: string[] = [];
    if (limit <= 0) return ids;
    const filter = writtenBefore
      ? odata`PartitionKey eq ${OUTBOX_INDEX_PARTITION} and Timestamp le ${writtenBefore}`
      : odata`PartitionKey eq ${OUTBOX_INDEX_PARTITION}`;
    const rows = this.work.listEntities<Row>({ queryOptions: { filter, select: ['RowKey'] } });
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, 1000) })) {
      for (const row of page) {
        ids.push(decodeKey(row.rowKey ?? ''));
        if (ids.length >= limit) return ids;
      }
    }
    return ids;
  }

  /** Deletes the entry unless it was rewritten since it was read (412) or is already gone (404). */
  async delete(entry: OutboxIndexEntry): Promise<void> {
    this.written.delete(entry.requestId);
    try {
      await this.work.deleteEntity(OUTBOX_INDEX_PARTITION, encodeKey(entry.requestId), { etag: entry.etag });
    } catch (error) {
      // 412: a commit added effects meanwhile; 404: someone else released it. Either way the row is right.
      if (restStatus(error) === 412 || restStatus(error) === 404) return;
      throw error;
    }
  }
}

/** Whether an index row whose commit never landed (a lost race, a crash) is old enough to drop, by wall time. */
export function isAbandoned(entry: { writtenAt: number }): boolean {
  return Number.isFinite(entry.writtenAt) && Date.now() - entry.writtenAt > ABANDONED_INDEX_AFTER_IN_MS;
}

/** One row of the requester index. */
export interface RequesterIndexEntry {
  rowKey: string | undefined;
  requestId: string;
}

/** One `live|` row: a request of the requester that was not over when it was written. */
export interface CurrentEntry extends RequesterIndexEntry {
  position: RequesterPosition;
  /** Wall time it was last written, in ms (NaN if unknown). */
  writtenAt: number;
}

const CURRENT_PREFIX = 'live|';
/** The row that says the `live|` rows are complete; it sorts just before them. */
const CURRENT_COMPLETE = 'live';
/** '}' follows '|': RowKey ge 'live' and lt 'live}' is the marker and every `live|` row; history rows (digits) sort before. */
const CURRENT_END = 'live}';
/** The most operations one entity-group transaction may hold. */
const MAX_BATCH = 100;

/** Requests by requester, newest first, and those not over yet (`requesterIndex` table, partition = requester id). */
export class RequesterIndex {
  constructor(private readonly table: TableClient) {}

  /** Indexes a new request: its history row, and its `live|` row unless it is over; one transaction. */
  async write(request: AccessRequest): Promise<void> {
    const actions: TransactionAction[] = [['upsert', historyRow(request), 'Replace']];
    if (!isOver(request)) actions.push(['upsert', currentRow(request), 'Replace']);
    await this.table.submitTransaction(actions);
  }

  /** Adds `live|` rows (rebuilding the index of requests stored before it existed), a transaction per 100. */
  async addCurrent(requests: AccessRequest[]): Promise<void> {
    for (let at = 0; at < requests.length; at += MAX_BATCH) {
      const batch = requests.slice(at, at + MAX_BATCH).map((r): TransactionAction => ['upsert', currentRow(r), 'Replace']);
      await this.table.submitTransaction(batch);
    }
  }

  /** Records that every request of the requester stored so far has its `live|` row if it needs one. */
  async markCurrentComplete(requesterId: string): Promise<void> {
    // An empty requestId, so that a version of the bot that reads every row of the partition as history skips it.
    await this.table.upsertEntity({ partitionKey: encodeKey(requesterId), rowKey: CURRENT_COMPLETE, requestId: '' }, 'Replace');
  }

  /** Drops a `live|` row (404: already gone). */
  async forgetCurrent(requesterId: string, rowKey: string): Promise<void> {
    try {
      await this.table.deleteEntity(encodeKey(requesterId), rowKey);
    } catch (error) {
      if (restStatus(error) !== 404) throw error;
    }
  }

  /** The `live|` row key of a request. */
  currentRowKey(request: AccessRequest): string {
    return `${CURRENT_PREFIX}${requesterIndexRowKey(request)}`;
  }

  /** Every `live|` row of the requester, newest first, and whether they are complete. One query (a page per 1000 rows). */
  async current(requesterId: string): Promise<{ complete: boolean; entries: CurrentEntry[] }> {
    const rows = this.table.listEntities<Row>({
      queryOptions: {
        filter: odata`PartitionKey eq ${encodeKey(requesterId)} and RowKey ge ${CURRENT_COMPLETE} and RowKey lt ${CURRENT_END}`,
        select: ['RowKey', 'requestId', 'Timestamp'],
      },
    });
    let complete = false;
    const entries: CurrentEntry[] = [];
    for await (const row of rows) {
      const rowKey = row.rowKey ?? '';
      if (rowKey === CURRENT_COMPLETE) {
        complete = true;
        continue;
      }
      const requestId = stringColumn(row, 'requestId');
      const timestamp = (row as { timestamp?: unknown }).timestamp;
      entries.push({
        rowKey,
        requestId,
        position: positionOfKey(rowKey.slice(CURRENT_PREFIX.length), requestId),
        writtenAt: typeof timestamp === 'string' ? Date.parse(timestamp) : NaN,
      });
    }
    return { complete, entries };
  }

  /** Up to `limit` history entries after `after` (from the newest without it), newest first: one query. */
  async history(requesterId: string, limit: number, after?: RequesterPosition): Promise<Array<RequesterIndexEntry & { position: RequesterPosition }>> {
    const partition = encodeKey(requesterId);
    const filter = after
      ? odata`PartitionKey eq ${partition} and RowKey gt ${keyOf(after)} and RowKey lt ${CURRENT_COMPLETE}`
      : odata`PartitionKey eq ${partition} and RowKey lt ${CURRENT_COMPLETE}`;
    const rows = this.table.listEntities<Row>({ queryOptions: { filter, select: ['RowKey', 'requestId'] } });
    const found: Array<RequesterIndexEntry & { position: RequesterPosition }> = [];
    if (limit <= 0) return found;
    // The service may answer a page with fewer rows than asked and a continuation: read on until `limit`.
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, 1000) })) {
      for (const row of page) {
        const requestId = stringColumn(row, 'requestId');
        found.push({ rowKey: row.rowKey, requestId, position: positionOfKey(row.rowKey ?? '', requestId) });
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  /** The requester's history entries, newest first, a page at a time (the `live|` rows are not among them). */
  async *pages(requesterId: string, pageSize: number): AsyncIterable<RequesterIndexEntry[]> {
    const rows = this.table.listEntities<Row>({
      queryOptions: {
        filter: odata`PartitionKey eq ${encodeKey(requesterId)} and RowKey lt ${CURRENT_COMPLETE}`,
        select: ['RowKey', 'requestId'],
      },
    });
    for await (const page of rows.byPage({ maxPageSize: pageSize })) {
      yield page.map((row) => ({ rowKey: row.rowKey, requestId: stringColumn(row, 'requestId') }));
    }
  }
}

/**
 * Whether an entry is the one `request`'s create wrote: index rows of creates that failed (no such request, or
 * a duplicate id with another submit time) are not.
 */
export function indexes(entry: RequesterIndexEntry, request: AccessRequest): boolean {
  const rowKey = entry.rowKey ?? '';
  const key = rowKey.startsWith(CURRENT_PREFIX) ? rowKey.slice(CURRENT_PREFIX.length) : rowKey;
  return requesterIndexRowKey(request) === key;
}

function historyRow(request: AccessRequest) {
  return {
    partitionKey: encodeKey(request.requester.id),
    rowKey: requesterIndexRowKey(request),
    requestId: request.id,
    packageId: request.packageId,
    submittedAt: request.submittedAt,
  };
}

function currentRow(request: AccessRequest) {
  return { ...historyRow(request), rowKey: `${CURRENT_PREFIX}${requesterIndexRowKey(request)}` };
}

/** Newest first: the time counts down, and the request id keeps equal times apart. */
function requesterIndexRowKey(request: AccessRequest): string {
  return keyOf(positionOf(request));
}

function keyOf(position: RequesterPosition): string {
  return `${String(MAX_TIME_IN_MS - position.time).padStart(15, '0')}|${encodeKey(position.requestId)}`;
}

/** The position a history key (`<inverted time>|…`) stands for; an unreadable time counts as the newest. */
function positionOfKey(key: string, requestId: string): RequesterPosition {
  const inverted = Number(key.slice(0, 15));
  const time = Number.isFinite(inverted) ? Math.min(Math.max(MAX_TIME_IN_MS - inverted, 0), MAX_TIME_IN_MS) : MAX_TIME_IN_MS;
  return { time, requestId };
}
