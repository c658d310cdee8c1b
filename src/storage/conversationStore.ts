/**
 * ConversationStore on Azure Table Storage: PartitionKey = kind (`user`/`channel`/`tenant`), RowKey = the person's
 * object id, the channel id or the tenant id (escaped with encodeKey; ':' and '@' of channel ids are allowed as they are).
 * A forgotten record is deleted, guarded by the ETag of the row that was checked.
 */
import type { TableClient } from '@azure/data-tables';
import type { ConversationRecord, ConversationStore } from '../app/ports';
import {
  encodeKey,
  jsonColumns,
  optionalStringColumn,
  readJsonColumns,
  restStatus,
  stringColumn,
  type Tables,
} from './tables';

export interface TableConversationStoreOptions {
  tables: Tables;
}

export class TableConversationStore implements ConversationStore {
  private readonly table: TableClient;

  constructor(options: TableConversationStoreOptions) {
    this.table = options.tables.client('conversations');
  }

  async upsert(record: ConversationRecord): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: record.kind,
        rowKey: encodeKey(record.key),
        ...(record.tenantId !== undefined && { tenantId: record.tenantId }),
        ...(record.locale !== undefined && { locale: record.locale }),
        ...(record.teamsUserId !== undefined && { teamsUserId: record.teamsUserId }),
        serviceUrl: record.serviceUrl,
        conversationId: record.conversationId,
        updatedAt: record.updatedAt,
        ...jsonColumns('reference', record.reference),
      },
      'Replace',
    );
  }

  async get(kind: ConversationRecord['kind'], key: string): Promise<ConversationRecord | undefined> {
    let row: Record<string, unknown>;
    try {
      row = await this.table.getEntity<Record<string, unknown>>(kind, encodeKey(key));
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
    const tenantId = optionalStringColumn(row, 'tenantId');
    const locale = optionalStringColumn(row, 'locale');
    const teamsUserId = optionalStringColumn(row, 'teamsUserId');
    return {
      key,
      kind,
      ...(tenantId !== undefined && { tenantId }),
      ...(locale !== undefined && { locale }),
      ...(teamsUserId !== undefined && { teamsUserId }),
      serviceUrl: stringColumn(row, 'serviceUrl'),
      conversationId: stringColumn(row, 'conversationId'),
      reference: readJsonColumns(row, 'reference') as Record<string, unknown>,
      updatedAt: stringColumn(row, 'updatedAt'),
    };
  }

  async delete(kind: ConversationRecord['kind'], key: string, conversationId?: string): Promise<void> {
    try {
      if (conversationId === undefined) {
        await this.table.deleteEntity(kind, encodeKey(key));
        return;
      }
      const row = await this.table.getEntity<Record<string, unknown>>(kind, encodeKey(key));
      if (row.conversationId !== conversationId) return;
      await this.table.deleteEntity(kind, encodeKey(key), { etag: String(row.etag) });
    } catch (error) {
      // 404: already gone; 412: rewritten since it was read (a newer conversation, which stays).
      const status = restStatus(error);
      if (status === 404 || status === 412) return;
      throw error;
    }
  }
}
