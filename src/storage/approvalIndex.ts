/**
 * ApprovalIndex on Azure Table Storage: rows of the approver's partition (personRows.ts). A request waiting for them
 * is `approval|w|<request id>` (its due time a column); a decision of theirs is `approval|d|<newest first>|<request
 * id>`, so their latest decisions are the first rows of that range.
 */
import type { ApprovalIndex, MadeDecision, WaitingApproval } from '../app/ports';
import type { ApprovalEntry } from '../domain/approvalInbox';
import type { DecisionOutcome } from '../domain/request';
import { LATEST_TIME_IN_MS } from '../domain/requesterOverview';
import { PersonRows } from './personRows';
import { stringColumn, type Tables } from './tables';

export class TableApprovalIndex implements ApprovalIndex {
  private readonly waiting: PersonRows;
  private readonly decided: PersonRows;

  constructor(options: { tables: Tables }) {
    this.waiting = new PersonRows(options.tables, 'approval|w|');
    this.decided = new PersonRows(options.tables, 'approval|d|');
  }

  async set(approverId: string, requestId: string, entry: ApprovalEntry | undefined): Promise<void> {
    if (entry?.kind === 'waiting') {
      await this.waiting.upsert(approverId, requestId, { requestId, dueAt: entry.dueAt });
      return;
    }
    await this.waiting.delete(approverId, requestId);
    if (entry) await this.decided.upsert(approverId, decidedKey(entry.at, requestId), { requestId, at: entry.at, outcome: entry.outcome });
  }

  async waitingFor(approverId: string): Promise<WaitingApproval[]> {
    const rows = await this.waiting.list(approverId, { select: ['requestId', 'dueAt'] });
    return rows.map(({ row }) => ({ requestId: stringColumn(row, 'requestId'), dueAt: stringColumn(row, 'dueAt') }));
  }

  async decidedBy(approverId: string, limit: number): Promise<MadeDecision[]> {
    const rows = await this.decided.list(approverId, { select: ['requestId', 'at', 'outcome'], limit });
    return rows.map(({ row }) => ({ requestId: stringColumn(row, 'requestId'), at: stringColumn(row, 'at'), outcome: stringColumn(row, 'outcome') as DecisionOutcome }));
  }
}

/** Newest first: the time counted down from the latest representable one, zero-padded. */
function decidedKey(at: string, requestId: string): string {
  const time = Math.min(Math.max(Date.parse(at) || 0, 0), LATEST_TIME_IN_MS);
  return `${String(LATEST_TIME_IN_MS - time).padStart(15, '0')}|${requestId}`;
}
