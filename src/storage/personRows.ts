/**
 * The `assignments` table keeps one partition per person (their object id, lower case, escaped), one row per record,
 * its RowKey the kind of record then its key: the package claims (`claim|<package id>`, packageClaims.ts), the
 * assignments (`assignment|<package id>`, assignmentStore.ts) and the approver's inbox (`approval|…`,
 * approvalIndex.ts), so a person's records are read in one partition query. `put` creates the row, or replaces it
 * guarded by the ETag that was read: 409 (created meanwhile), 412 (replaced meanwhile) and 404 (deleted meanwhile)
 * mean another writer won.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { decodeKey, encodeKey, restStatus, rowKeyRange, type Tables } from './tables';

/** The most entities the Table service returns in one page. */
const MAX_PAGE_SIZE = 1000;

export type PersonRow = Record<string, unknown> & { rowKey?: string; etag: string };

export class PersonRows {
  private readonly table: TableClient;

  /** `prefix`: the kind of record, ending in '|'. */
  constructor(
    tables: Tables,
    private readonly prefix: string,
  ) {
    this.table = tables.client('assignments');
  }

  async get(personId: string, key: string): Promise<PersonRow | undefined> {
    try {
      return await this.table.getEntity<Record<string, unknown>>(partitionOf(personId), this.rowKeyOf(key));
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates the row (`etag` undefined) or replaces it guarded by `etag`; false when another writer won. */
  async put(personId: string, key: string, columns: Record<string, unknown>, etag: string | undefined): Promise<boolean> {
    const entity = { ...columns, partitionKey: partitionOf(personId), rowKey: this.rowKeyOf(key) };
    try {
      if (etag) await this.table.updateEntity(entity, 'Replace', { etag });
      else await this.table.createEntity(entity);
      return true;
    } catch (error) {
      if (restStatus(error) === 409 || restStatus(error) === 412 || (etag && restStatus(error) === 404)) return false;
      throw error;
    }
  }

  /** Writes the row whatever is there (for records whose writer derives them whole, like an index entry). */
  async upsert(personId: string, key: string, columns: Record<string, unknown>): Promise<void> {
    await this.table.upsertEntity({ ...columns, partitionKey: partitionOf(personId), rowKey: this.rowKeyOf(key) }, 'Replace');
  }

  /** Deleting a missing row is not an error. */
  async delete(personId: string, key: string): Promise<void> {
    try {
      await this.table.deleteEntity(partitionOf(personId), this.rowKeyOf(key));
    } catch (error) {
      if (restStatus(error) !== 404) throw error;
    }
  }

  /** The person's rows of this kind in key order, with the key of each; at most `limit` of them. */
  async list(personId: string, options: { select?: string[]; limit?: number } = {}): Promise<Array<{ key: string; row: PersonRow }>> {
    const { select, limit = Number.POSITIVE_INFINITY } = options;
    const { from, to } = rowKeyRange(this.prefix);
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionOf(personId)} and RowKey ge ${from} and RowKey lt ${to}`, select: select && ['RowKey', ...select] },
    });
    const found: Array<{ key: string; row: PersonRow }> = [];
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, MAX_PAGE_SIZE) })) {
      for (const row of page) {
        if (found.length >= limit) return found;
        found.push({ key: decodeKey((row.rowKey ?? '').slice(this.prefix.length)), row });
      }
    }
    return found;
  }

  private rowKeyOf(key: string): string {
    return `${this.prefix}${encodeKey(key)}`;
  }
}

function partitionOf(personId: string): string {
  return encodeKey(personId.toLowerCase());
}
