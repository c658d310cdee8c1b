/**
 * Each approver's inbox (issue 13, `approvals`): the requests waiting for their decision, and the decisions they
 * made. Derived from the request like the assignment (domain/assignment.ts): the outbox writes each approver's
 * entry (`syncApprovals`) after every commit that changes who may decide or who decided.
 */
import { currentStage, type AccessRequest, type DecisionOutcome } from './request';

/** What the request is for one approver: waiting for them (until the stage's due time), or decided by them. */
export type ApprovalEntry = { kind: 'waiting'; dueAt: string } | { kind: 'decided'; at: string; outcome: DecisionOutcome };

/**
 * Every person the request ever asked, with their entry: undefined for one who may not decide any more and did not
 * decide (another approver did, the stage timed out, the request was canceled), whose entry is to be removed.
 */
export function approvalEntries(request: AccessRequest): Map<string, ApprovalEntry | undefined> {
  const entries = new Map<string, ApprovalEntry | undefined>();
  for (const stage of request.stages) {
    for (const id of stage.approverIds) if (!entries.has(id)) entries.set(id, undefined);
    // A later decision of the same person (another stage) replaces the earlier one: one entry per request.
    if (stage.decision) entries.set(stage.decision.by.id, { kind: 'decided', at: stage.decision.at, outcome: stage.decision.outcome });
  }
  const open = currentStage(request);
  if (open && !open.decision) {
    for (const id of open.approverIds) if (id !== request.requester.id) entries.set(id, { kind: 'waiting', dueAt: open.dueAt });
  }
  return entries;
}

/** Whether a transition (from nothing, for a new request) changes some approver's entry (then the outbox writes them again). */
export function approvalEntriesChanged(before: AccessRequest | undefined, after: AccessRequest): boolean {
  return JSON.stringify([...(before ? approvalEntries(before) : [])]) !== JSON.stringify([...approvalEntries(after)]);
}
