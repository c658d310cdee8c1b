/**
 * FailedRequestsIndex on Azure Table Storage: the `work` table, partition `failed|<catalog id>`, one row per
 * request whose delivery failed in part or whole (RowKey = request id). The managers' `failed` card reads
 * one partition per catalog instead of scanning every request.
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { FailedRequestsIndex } from '../app/ports';
import { decodeKey, encodeKey, restStatus, type Tables } from './tables';

const PARTITION_PREFIX = 'failed|';
/** The most entities the Table service returns in one page. */
const MAX_PAGE_SIZE = 1000;

export interface TableFailedRequestsIndexOptions {
  tables: Tables;
}

function partitionOf(catalogId: string): string {
  return `${PARTITION_PREFIX}${encodeKey(catalogId)}`;
}

export class TableFailedRequestsIndex implements FailedRequestsIndex {
  private readonly work: TableClient;

  constructor(options: TableFailedRequestsIndexOptions) {
    this.work = options.tables.client('work');
  }

  async add(catalogId: string, requestId: string): Promise<void> {
    await this.work.upsertEntity({ partitionKey: partitionOf(catalogId), rowKey: encodeKey(requestId), requestId }, 'Replace');
  }

  async remove(catalogId: string, requestId: string): Promise<void> {
    try {
      await this.work.deleteEntity(partitionOf(catalogId), encodeKey(requestId));
    } catch (error) {
      if (restStatus(error) !== 404) throw error;
    }
  }

  async list(catalogId: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    if (limit <= 0) return ids;
    const rows = this.work.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionOf(catalogId)}`, select: ['RowKey'] },
    });
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, MAX_PAGE_SIZE) })) {
      for (const row of page) {
        ids.push(decodeKey(row.rowKey ?? ''));
        if (ids.length >= limit) return ids;
      }
    }
    return ids;
  }
}
