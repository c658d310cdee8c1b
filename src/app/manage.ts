/**
 * `manage` (issue 13): what a catalog owner, package manager, assignment manager or administrator sees of the
 * packages they manage — counts first, then a package's requests that are not over, its assignments and its failed
 * deliveries. Every read checks the reader's rights against the catalog again (card data is untrusted).
 */
import type { PackageEntry } from '../catalog/types';
import type { Assignment } from '../domain/assignment';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { PENDING_STATES, type PackageRequestRow } from '../domain/packageIndex';
import { isOpenFailure, isRequestManager } from '../domain/reprocess';
import type { AccessRequest } from '../domain/request';
import type { AppContext } from './context';

export interface ManagedPackage {
  entry: PackageEntry;
  /** Requests waiting for a decision, a start date or a delivery. */
  pending: number;
  /** Deliveries that failed in part or whole, still the managers' to reprocess or the requester's to cancel. */
  failed: number;
  /** Assignments that hold access (delivering, delivered, partly delivered). */
  active: number;
}

const ACTIVE: readonly Assignment['state'][] = ['delivering', 'delivered', 'partiallyDelivered'];

/** The packages `actorId` manages, each with its counts; ForbiddenError for someone who manages none. */
export async function managedPackages(ctx: AppContext, actorId: string): Promise<ManagedPackage[]> {
  const entries = ctx.catalog.allPackages().filter((entry) => isRequestManager(entry, ctx.catalog.administrators, actorId));
  if (entries.length === 0) throw new ForbiddenError('error.notAManager');
  return Promise.all(
    entries.map(async (entry) => {
      const [rows, assignments] = await Promise.all([ctx.packages.requests(entry.accessPackage.id), ctx.packages.assignments(entry.accessPackage.id)]);
      return {
        entry,
        pending: rows.filter((row) => PENDING_STATES.includes(row.state)).length,
        failed: rows.filter((row) => row.failed).length,
        active: assignments.filter((a) => ACTIVE.includes(a.state)).length,
      };
    }),
  );
}

/** The package's requests that are not over, newest first. */
export async function packageRequests(ctx: AppContext, actorId: string, packageId: string): Promise<{ entry: PackageEntry; rows: PackageRequestRow[] }> {
  const entry = managedEntry(ctx, actorId, packageId);
  const rows = await ctx.packages.requests(packageId);
  return { entry, rows: rows.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt)) };
}

/** The package's assignments: those holding access first, then the ended ones, each group newest first. */
export async function packageAssignments(ctx: AppContext, actorId: string, packageId: string): Promise<{ entry: PackageEntry; assignments: Assignment[] }> {
  const entry = managedEntry(ctx, actorId, packageId);
  const rank = (a: Assignment) => (ACTIVE.includes(a.state) ? 0 : 1);
  const assignments = await ctx.packages.assignments(packageId);
  return { entry, assignments: assignments.sort((a, b) => rank(a) - rank(b) || (b.startedAt ?? '').localeCompare(a.startedAt ?? '')) };
}

/** The package's failed deliveries, as they are now (a row the index still has for a request no longer failed is skipped). */
export async function packageFailures(ctx: AppContext, actorId: string, packageId: string): Promise<{ entry: PackageEntry; requests: AccessRequest[] }> {
  const entry = managedEntry(ctx, actorId, packageId);
  const rows = (await ctx.packages.requests(packageId)).filter((row) => row.failed);
  const loaded = await Promise.all(rows.map((row) => ctx.store.get(row.requestId)));
  const requests = loaded.flatMap((l) => (l && isOpenFailure(l.request) ? [l.request] : []));
  return { entry, requests: requests.sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? '')) };
}

function managedEntry(ctx: AppContext, actorId: string, packageId: string): PackageEntry {
  const entry = ctx.catalog.findPackage(packageId);
  if (!entry) throw new NotFoundError('error.unknownPackage', { packageId });
  if (!isRequestManager(entry, ctx.catalog.administrators, actorId)) throw new ForbiddenError('error.notAManager');
  return entry;
}
