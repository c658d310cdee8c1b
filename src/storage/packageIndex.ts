/**
 * PackageIndex on Azure Table Storage: the `work` table, partition `package|<package id>`, one row per request of
 * the package that is not over (`request|<request id>`) and one per assignment (`assignment|<person id>`). The
 * managers' `manage` card reads one partition per package instead of scanning every request.
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { PackageIndex } from '../app/ports';
import type { Assignment } from '../domain/assignment';
import type { PackageRequestRow } from '../domain/packageIndex';
import { encodeKey, jsonColumns, readJsonColumns, restStatus, rowKeyRange, type Tables } from './tables';

const REQUEST = 'request|';
const ASSIGNMENT = 'assignment|';

export class TablePackageIndex implements PackageIndex {
  private readonly work: TableClient;

  constructor(options: { tables: Tables }) {
    this.work = options.tables.client('work');
  }

  async setRequest(packageId: string, requestId: string, row: PackageRequestRow | undefined): Promise<void> {
    const keys = { partitionKey: partitionOf(packageId), rowKey: `${REQUEST}${encodeKey(requestId)}` };
    if (row) {
      await this.work.upsertEntity({ ...keys, ...jsonColumns('data', row) }, 'Replace');
      return;
    }
    try {
      await this.work.deleteEntity(keys.partitionKey, keys.rowKey);
    } catch (error) {
      if (restStatus(error) !== 404) throw error;
    }
  }

  async setAssignment(assignment: Assignment): Promise<void> {
    const keys = { partitionKey: partitionOf(assignment.packageId), rowKey: `${ASSIGNMENT}${encodeKey(assignment.personId)}` };
    await this.work.upsertEntity({ ...keys, ...jsonColumns('data', assignment) }, 'Replace');
  }

  requests(packageId: string): Promise<PackageRequestRow[]> {
    return this.rows<PackageRequestRow>(packageId, REQUEST);
  }

  assignments(packageId: string): Promise<Assignment[]> {
    return this.rows<Assignment>(packageId, ASSIGNMENT);
  }

  private async rows<T>(packageId: string, prefix: string): Promise<T[]> {
    const { from, to } = rowKeyRange(prefix);
    const rows = this.work.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionOf(packageId)} and RowKey ge ${from} and RowKey lt ${to}` },
    });
    const found: T[] = [];
    for await (const row of rows) found.push(readJsonColumns(row, 'data') as T);
    return found;
  }
}

function partitionOf(packageId: string): string {
  return `package|${encodeKey(packageId)}`;
}
