/** Effect `syncAssignment`: the person's assignment record follows the request that holds it (domain/assignment.ts). */
import { assignmentOf, supersedes } from '../../domain/assignment';
import { ConcurrencyError } from '../../domain/errors';
import type { AppContext } from '../context';
import type { LoadedRequest } from '../ports';

const MAX_ATTEMPTS = 3;

/**
 * Writes the assignment as the request stands now, unless the stored record is already as new (another run, on
 * any instance, wrote this version or a later one) or belongs to a later request for the package. A lost race
 * reads again; the effect is retried by the outbox if it keeps losing. Then the package's index gets the current
 * record (its managers' `manage` view).
 */
export async function runSyncAssignment(ctx: AppContext, loaded: LoadedRequest): Promise<void> {
  const assignment = assignmentOf(loaded.request);
  if (!assignment) return;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await ctx.assignments.get(assignment.personId, assignment.packageId);
    const current = stored && !supersedes(assignment, stored.assignment) ? stored.assignment : undefined;
    if (current || (await ctx.assignments.put(assignment, stored))) {
      // The package's copy follows the person's record: the one written now, or the newer one found.
      await ctx.packages.setAssignment(current ?? assignment);
      return;
    }
  }
  throw new ConcurrencyError(`the assignment of request ${loaded.request.id}`);
}
