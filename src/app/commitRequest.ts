import { assignmentChanged } from '../domain/assignment';
import type { AccessRequest } from '../domain/request';
import type { CommitOptions, LoadedRequest, RequestStore } from './ports';

/**
 * Every commit of a request transition goes through here: one that changes the assignment the request holds also
 * stores a `syncAssignment` effect, in the same transaction, so the person's assignment record follows (at least
 * once) whichever transition changed it.
 */
export function commitRequest(store: RequestStore, loaded: LoadedRequest, next: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
  const sync = assignmentChanged(loaded.request, next) ? [{ kind: 'syncAssignment' } as const] : [];
  return store.commit(loaded, next, { ...options, effects: [...(options.effects ?? []), ...sync] });
}
