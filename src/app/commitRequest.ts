import { approvalEntriesChanged } from '../domain/approvalInbox';
import { assignmentChanged } from '../domain/assignment';
import type { Effect } from '../domain/effects';
import { packageRowChanged } from '../domain/packageIndex';
import type { AccessRequest } from '../domain/request';
import type { CommitOptions, LoadedRequest, RequestStore } from './ports';

/**
 * Every commit of a request transition goes through here: one that changes the assignment the request holds also
 * stores a `syncAssignment` effect, one that changes who may decide or who decided a `syncApprovals` effect, one that
 * changes its row in the package's index a `syncPackageIndex` effect, in the same transaction, so the records derived from the request follow (at least once) whichever transition changed it.
 */
export function commitRequest(store: RequestStore, loaded: LoadedRequest, next: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
  // The inbox entries go first (an approver can decide there even while their card cannot be posted); the
  // assignment last, so a delivery committed in the same run is written with it once.
  const first: Effect[] = approvalEntriesChanged(loaded.request, next) ? [{ kind: 'syncApprovals' }] : [];
  const last: Effect[] = [
    ...(packageRowChanged(loaded.request, next) ? [{ kind: 'syncPackageIndex' } as const] : []),
    ...(assignmentChanged(loaded.request, next) ? [{ kind: 'syncAssignment' } as const] : []),
  ];
  return store.commit(loaded, next, { ...options, effects: [...first, ...(options.effects ?? []), ...last] });
}
