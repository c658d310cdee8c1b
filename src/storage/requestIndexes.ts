/**
 * The two indexes of requests that live outside their partitions, so they are written before the request's
 * transaction (a stale index row is harmless, a missing one is not):
 *
 *   work / outbox / <request id>                 requests with pending effects; carries the version of the
 *                                                commit that wrote it
 *   requesterIndex / <requester> / <inverted time>|<request id>   requests by requester, newest first
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { AccessRequest } from '../domain/request';
import type { Row } from './requestRows';
import { decodeKey, encodeKey, restStatus, stringColumn } from './tables';

const OUTBOX_INDEX_PARTITION = 'outbox';
/** An outbox index row whose commit never landed is dropped after this long (wall time, see releaseIfIdle). */
const ABANDONED_INDEX_AFTER_IN_MS = 10 * 60_000;
/** Inverted timestamps count down from the last millisecond of year 9999. */
const MAX_TIME_IN_MS = 253_402_300_799_999;

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
export function isAbandoned(entry: OutboxIndexEntry): boolean {
  return Number.isFinite(entry.writtenAt) && Date.now() - entry.writtenAt > ABANDONED_INDEX_AFTER_IN_MS;
}

/** One row of the requester index. */
export interface RequesterIndexEntry {
  rowKey: string | undefined;
  requestId: string;
}

/** Requests by requester, newest first (`requesterIndex` table, partition = requester id). */
export class RequesterIndex {
  constructor(private readonly table: TableClient) {}

  async upsert(request: AccessRequest): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: encodeKey(request.requester.id),
        rowKey: requesterIndexRowKey(request),
        requestId: request.id,
        packageId: request.packageId,
        submittedAt: request.submittedAt,
      },
      'Replace',
    );
  }

  /** The requester's entries, newest first, a page at a time. */
  async *pages(requesterId: string, pageSize: number): AsyncIterable<RequesterIndexEntry[]> {
    const rows = this.table.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${encodeKey(requesterId)}`, select: ['RowKey', 'requestId'] },
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
  return requesterIndexRowKey(request) === entry.rowKey;
}

/** Newest first: the time counts down, and the request id keeps equal times apart. */
function requesterIndexRowKey(request: AccessRequest): string {
  const submittedAt = Date.parse(request.submittedAt);
  const time = Number.isFinite(submittedAt) ? Math.min(Math.max(submittedAt, 0), MAX_TIME_IN_MS) : MAX_TIME_IN_MS;
  return `${String(MAX_TIME_IN_MS - time).padStart(15, '0')}|${encodeKey(request.id)}`;
}
