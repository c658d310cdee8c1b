import { approvalEntriesChanged } from '../domain/approvalInbox';
import { assignmentChanged } from '../domain/assignment';
import type { Effect } from '../domain/effects';
import { packageRowChanged } from '../domain/packageIndex';
import type { AccessRequest } from '../domain/request';
import type { CommitOptions, LoadedRequest, RequestStore } from './ports';

/**
 * Every request transition is stored through here (`commitRequest`, and `createRequestRecord` for a new request):
 * one that changes the assignment the request holds also stores a `syncAssignment` effect, one that changes who
 * may decide or who decided a `syncApprovals` effect, one that changes its row in the package's index a
 * `syncPackageIndex` effect, in the same transaction, so the records derived from the request follow (at least
 * once) whichever transition changed it.
 */
export function commitRequest(store: RequestStore, loaded: LoadedRequest, next: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
  return store.commit(loaded, next, withDerivedEffects(loaded.request, next, options));
}

export function createRequestRecord(store: RequestStore, request: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
  return store.create(request, withDerivedEffects(undefined, request, options));
}

function withDerivedEffects(before: AccessRequest | undefined, next: AccessRequest, options: CommitOptions): CommitOptions {
  // The inbox entries go first (an approver can decide there even while their card cannot be posted); the
  // assignment last, so a delivery committed in the same run is written with it once.
  const first: Effect[] = approvalEntriesChanged(before, next) ? [{ kind: 'syncApprovals' }] : [];
  const last: Effect[] = [
    ...(packageRowChanged(before, next) ? [{ kind: 'syncPackageIndex' } as const] : []),
    ...(assignmentChanged(before, next) ? [{ kind: 'syncAssignment' } as const] : []),
  ];
  return { ...options, effects: [...first, ...(options.effects ?? []), ...last] };
}
