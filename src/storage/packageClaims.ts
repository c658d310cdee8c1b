/** PackageClaims on Azure Table Storage: the `claim|<package id>` rows of the person's partition (personRows.ts). */
import type { PackageClaim, PackageClaims } from '../app/ports';
import { PersonRows } from './personRows';
import { stringColumn, type Tables } from './tables';

export class TablePackageClaims implements PackageClaims {
  private readonly rows: PersonRows;

  constructor(options: { tables: Tables }) {
    this.rows = new PersonRows(options.tables, 'claim|');
  }

  async latest(personId: string, packageId: string): Promise<PackageClaim | undefined> {
    const row = await this.rows.get(personId, packageId);
    return row && { requestId: stringColumn(row, 'requestId'), claimedAt: stringColumn(row, 'claimedAt'), etag: row.etag };
  }

  async listForPerson(personId: string): Promise<Array<{ packageId: string; requestId: string }>> {
    const found = await this.rows.list(personId, { select: ['requestId'] });
    return found.map(({ key, row }) => ({ packageId: key, requestId: stringColumn(row, 'requestId') }));
  }

  claim(personId: string, packageId: string, requestId: string, claimedAt: string, previous: PackageClaim | undefined): Promise<boolean> {
    return this.rows.put(personId, packageId, { requestId, claimedAt }, previous?.etag);
  }
}
