/** Effect `syncApprovals`: each approver's inbox entry follows the request (domain/approvalInbox.ts). */
import { approvalEntries } from '../../domain/approvalInbox';
import type { AppContext } from '../context';
import type { LoadedRequest } from '../ports';

/**
 * Writes every approver's entry as the request stands now. A late run that writes an older "waiting" back is
 * mended when the inbox is read (app/approvalsInbox.ts checks each request it lists).
 */
export async function runSyncApprovals(ctx: AppContext, loaded: LoadedRequest): Promise<void> {
  const { request } = loaded;
  await Promise.all([...approvalEntries(request)].map(([approverId, entry]) => ctx.approvals.set(approverId, request.id, entry)));
}
