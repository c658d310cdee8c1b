/**
 * PackageClaims on Azure Table Storage (table `assignments`): PartitionKey = the person's object id (lower case),
 * RowKey = the package id, both escaped with encodeKey. A claim creates the row, or replaces it guarded by the ETag
 * that was read: 409 (created meanwhile) and 412 (replaced meanwhile) mean another submit won.
 */
import type { PackageClaim, PackageClaims } from '../app/ports';
import { odata, type TableClient } from '@azure/data-tables';
import { decodeKey, encodeKey, restStatus, stringColumn, type Tables } from './tables';

export class TablePackageClaims implements PackageClaims {
  private readonly table: TableClient;

  constructor(options: { tables: Tables }) {
    this.table = options.tables.client('assignments');
  }

  async latest(personId: string, packageId: string): Promise<PackageClaim | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(partitionOf(personId), encodeKey(packageId));
      return { requestId: stringColumn(row, 'requestId'), claimedAt: stringColumn(row, 'claimedAt'), etag: row.etag };
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async listForPerson(personId: string): Promise<Array<{ packageId: string; requestId: string }>> {
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionOf(personId)}`, select: ['RowKey', 'requestId'] },
    });
    const found: Array<{ packageId: string; requestId: string }> = [];
    for await (const row of rows) found.push({ packageId: decodeKey(row.rowKey ?? ''), requestId: stringColumn(row, 'requestId') });
    return found;
  }

  async claim(personId: string, packageId: string, requestId: string, claimedAt: string, previous: PackageClaim | undefined): Promise<boolean> {
    const entity = { partitionKey: partitionOf(personId), rowKey: encodeKey(packageId), requestId, claimedAt };
    try {
      if (previous) await this.table.updateEntity(entity, 'Replace', { etag: previous.etag });
      else await this.table.createEntity(entity);
      return true;
    } catch (error) {
      if (restStatus(error) === 409 || restStatus(error) === 412 || (previous && restStatus(error) === 404)) return false;
      throw error;
    }
  }
}

function partitionOf(personId: string): string {
  return encodeKey(personId.toLowerCase());
}
