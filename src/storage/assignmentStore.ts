/**
 * AssignmentStore on Azure Table Storage: the `assignment|<package id>` rows of the person's partition
 * (personRows.ts), beside their package claims. The assignment is a JSON column (`data`, split over several columns
 * when long), with its state and source request as plain columns for reading by hand.
 */
import type { AssignmentStore, StoredAssignment } from '../app/ports';
import type { Assignment } from '../domain/assignment';
import { PersonRows } from './personRows';
import { jsonColumns, readJsonColumns, type Tables } from './tables';

export class TableAssignmentStore implements AssignmentStore {
  private readonly rows: PersonRows;

  constructor(options: { tables: Tables }) {
    this.rows = new PersonRows(options.tables, 'assignment|');
  }

  async get(personId: string, packageId: string): Promise<StoredAssignment | undefined> {
    const row = await this.rows.get(personId, packageId);
    return row && { assignment: readJsonColumns(row, 'data') as Assignment, etag: row.etag };
  }

  put(assignment: Assignment, previous: StoredAssignment | undefined): Promise<boolean> {
    const columns = { state: assignment.state, requestId: assignment.source.requestId, ...jsonColumns('data', assignment) };
    return this.rows.put(assignment.personId, assignment.packageId, columns, previous?.etag);
  }

  async listForPerson(personId: string): Promise<Assignment[]> {
    const found = await this.rows.list(personId);
    return found.map(({ row }) => readJsonColumns(row, 'data') as Assignment);
  }
}
