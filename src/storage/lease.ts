/**
 * Lease on Azure Table Storage: the `work` table, partition `lease`, one row per lease name
 * (holder, expiresAt). Every change is a create (409 when someone else created it first) or an
 * ETag-guarded update/delete (412 when someone else changed it since it was read), so two instances
 * racing for one lease never both get it.
 */
import type { TableClient } from '@azure/data-tables';
import type { Lease } from '../app/ports';
import { encodeKey, optionalStringColumn, restStatus, type Tables } from './tables';

const LEASE_PARTITION = 'lease';

type Row = Record<string, unknown>;

export interface TableLeaseOptions {
  tables: Tables;
}

export class TableLease implements Lease {
  private readonly work: TableClient;

  constructor(options: TableLeaseOptions) {
    this.work = options.tables.client('work');
  }

  async acquire(name: string, holder: string, ttlInMs: number, now: Date): Promise<boolean> {
    const rowKey = encodeKey(name);
    const entity = { partitionKey: LEASE_PARTITION, rowKey, holder, expiresAt: new Date(now.getTime() + ttlInMs).toISOString() };
    const current = await this.read(rowKey);
    if (!current) {
      try {
        await this.work.createEntity(entity);
        return true;
      } catch (error) {
        if (restStatus(error) === 409) return false; // another holder created it first
        throw error;
      }
    }
    const expiresAt = Date.parse(optionalStringColumn(current, 'expiresAt') ?? '');
    const heldByAnother = optionalStringColumn(current, 'holder') !== holder;
    if (heldByAnother && Number.isFinite(expiresAt) && expiresAt > now.getTime()) return false;
    try {
      await this.work.updateEntity(entity, 'Replace', { etag: current.etag });
      return true;
    } catch (error) {
      // 412: another holder took or renewed it since our read; 404: it was released meanwhile (next time).
      if (restStatus(error) === 412 || restStatus(error) === 404) return false;
      throw error;
    }
  }

  async release(name: string, holder: string): Promise<void> {
    const rowKey = encodeKey(name);
    const current = await this.read(rowKey);
    if (!current || optionalStringColumn(current, 'holder') !== holder) return;
    try {
      await this.work.deleteEntity(LEASE_PARTITION, rowKey, { etag: current.etag });
    } catch (error) {
      // Someone took it over (after it expired) or it is gone already: either way it is not ours to release.
      if (restStatus(error) === 412 || restStatus(error) === 404) return;
      throw error;
    }
  }

  private async read(rowKey: string): Promise<(Row & { etag: string }) | undefined> {
    try {
      return await this.work.getEntity<Row>(LEASE_PARTITION, rowKey);
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
  }
}
