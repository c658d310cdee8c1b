/**
 * The `assignments` table keeps one partition per person (their object id, lower case, escaped), one row per access
 * package and kind of record: the package claims (`claim|<package id>`, packageClaims.ts) and the assignments
 * (`assignment|<package id>`, assignmentStore.ts), so a person's records are read in one partition query. A write
 * creates the row, or replaces it guarded by the ETag that was read: 409 (created meanwhile), 412 (replaced
 * meanwhile) and 404 (deleted meanwhile) mean another writer won.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { decodeKey, encodeKey, restStatus, type Tables } from './tables';

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

  async get(personId: string, packageId: string): Promise<PersonRow | undefined> {
    try {
      return await this.table.getEntity<Record<string, unknown>>(partitionOf(personId), this.rowKeyOf(packageId));
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates the row (`etag` undefined) or replaces it guarded by `etag`; false when another writer won. */
  async put(personId: string, packageId: string, columns: Record<string, unknown>, etag: string | undefined): Promise<boolean> {
    const entity = { ...columns, partitionKey: partitionOf(personId), rowKey: this.rowKeyOf(packageId) };
    try {
      if (etag) await this.table.updateEntity(entity, 'Replace', { etag });
      else await this.table.createEntity(entity);
      return true;
    } catch (error) {
      if (restStatus(error) === 409 || restStatus(error) === 412 || (etag && restStatus(error) === 404)) return false;
      throw error;
    }
  }

  /** The person's rows of this kind, with the package id each is for. */
  async list(personId: string, select?: string[]): Promise<Array<{ packageId: string; row: PersonRow }>> {
    // Every RowKey starting with the prefix sorts before the prefix with its '|' raised to '}'.
    const [from, to] = [this.prefix, `${this.prefix.slice(0, -1)}}`];
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionOf(personId)} and RowKey ge ${from} and RowKey lt ${to}`, select: select && ['RowKey', ...select] },
    });
    const found: Array<{ packageId: string; row: PersonRow }> = [];
    for await (const row of rows) found.push({ packageId: decodeKey((row.rowKey ?? '').slice(this.prefix.length)), row });
    return found;
  }

  private rowKeyOf(packageId: string): string {
    return `${this.prefix}${encodeKey(packageId)}`;
  }
}

function partitionOf(personId: string): string {
  return encodeKey(personId.toLowerCase());
}
