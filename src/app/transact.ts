import { ConcurrencyError } from '../domain/errors';
import type { Transition } from '../domain/transitions';
import { commitRequest } from './commitRequest';
import type { CommitOptions, LoadedRequest, RequestStore } from './ports';

const MAX_ATTEMPTS = 3;

/**
 * One state transition: read the request's partition, let `build` decide (it may throw a domain error, or
 * return undefined for "nothing to do"), commit guarded by the ETag. A lost race starts again from a fresh
 * read, so the loser sees the winner's state (e.g. "already decided by …").
 * Returns the committed request, or undefined when the request is missing or `build` had nothing to do.
 * `audit` says who caused the write (and any extra audit notes) for the audit trail.
 */
export async function transact(
  store: RequestStore,
  requestId: string,
  build: (loaded: LoadedRequest | undefined) => Promise<Transition | undefined> | Transition | undefined,
  audit: Pick<CommitOptions, 'actorId' | 'audit'> = {},
): Promise<LoadedRequest | undefined> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.get(requestId);
    const transition = await build(loaded);
    if (!loaded || !transition) return undefined;
    try {
      return await commitRequest(store, loaded, transition.next, { ...audit, effects: transition.effects });
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
