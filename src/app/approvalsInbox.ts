/**
 * The approver's inbox (`approvals`): the requests waiting for their decision, oldest due first, and the decisions
 * they made, newest first. The index says where to look; every request listed is read and checked against what it
 * says now, so a stale entry is never shown (and is mended on the way).
 */
import { approvalEntries } from '../domain/approvalInbox';
import type { AccessRequest } from '../domain/request';
import type { AppContext } from './context';
import type { MadeDecision } from './ports';

/** How many waiting requests, and how many past decisions, one card lists. */
export const INBOX_PAGE = 15;

export interface Inbox {
  /** Waiting for the approver, oldest due first. */
  waiting: AccessRequest[];
  /** How many more wait after those (not read yet, so a few may turn out decided meanwhile). */
  more: number;
}

export async function approvalsInbox(ctx: AppContext, approverId: string): Promise<Inbox> {
  const entries = (await ctx.approvals.waitingFor(approverId)).sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.requestId.localeCompare(b.requestId));
  const waiting: AccessRequest[] = [];
  let read = 0;
  while (waiting.length < INBOX_PAGE && read < entries.length) {
    const batch = entries.slice(read, read + INBOX_PAGE - waiting.length);
    read += batch.length;
    const requests = await Promise.all(batch.map((entry) => currentEntry(ctx, approverId, entry.requestId)));
    for (const request of requests) if (request && approvalEntries(request).get(approverId)?.kind === 'waiting') waiting.push(request);
  }
  return { waiting, more: entries.length - read };
}

/** The approver's latest decisions, each with its request as it is now. */
export async function decidedByMe(ctx: AppContext, approverId: string): Promise<Array<{ decision: MadeDecision; request: AccessRequest }>> {
  const decisions = await ctx.approvals.decidedBy(approverId, INBOX_PAGE);
  const requests = await Promise.all(decisions.map((d) => ctx.store.get(d.requestId)));
  return decisions.flatMap((decision, i) => {
    const request = requests[i]?.request;
    return request ? [{ decision, request }] : [];
  });
}

/** The request as it is now; its entry for the approver is written again when the index says otherwise. */
async function currentEntry(ctx: AppContext, approverId: string, requestId: string): Promise<AccessRequest | undefined> {
  const request = (await ctx.store.get(requestId))?.request;
  const entry = request && approvalEntries(request).get(approverId);
  if (entry?.kind !== 'waiting') await ctx.approvals.set(approverId, requestId, entry);
  return request;
}
