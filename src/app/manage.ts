/**
 * `manage` (issue 13): what a catalog owner, package manager, assignment manager or administrator sees of the
 * packages they manage — counts first, then a package's requests that are not over, its assignments and its failed
 * deliveries. Every read checks the reader's rights against the catalog again (card data is untrusted).
 */
import type { PackageEntry } from '../catalog/types';
import { assignmentOf, type Assignment } from '../domain/assignment';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { releaseAccess } from '../domain/expiry';
import { PENDING_STATES, type PackageRequestRow } from '../domain/packageIndex';
import { isOpenFailure, isRequestManager } from '../domain/reprocess';
import type { AccessRequest } from '../domain/request';
import { createRequest } from '../domain/transitions';
import { createRequestRecord } from './commitRequest';
import { withdrawPendingExtension } from './cancelRequest';
import type { AppContext } from './context';
import type { LoadedRequest } from './ports';
import { claimPackage, snapshotOf } from './submitRequest';
import { transact } from './transact';

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

/**
 * The package's assignments: those holding access first, then the ended ones, each group newest first. `changed`:
 * a request the reader just committed, whose assignment the index may not show yet (its sync runs after the answer).
 */
export async function packageAssignments(
  ctx: AppContext,
  actorId: string,
  packageId: string,
  changed?: AccessRequest,
): Promise<{ entry: PackageEntry; assignments: Assignment[] }> {
  const entry = managedEntry(ctx, actorId, packageId);
  const rank = (a: Assignment) => (ACTIVE.includes(a.state) ? 0 : 1);
  const current = changed && assignmentOf(changed);
  const assignments = (await ctx.packages.assignments(packageId)).map((a) => (current && a.personId === current.personId ? current : a));
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

/** The longest reason a manager may give for assigning or removing directly. */
export const MAX_REASON_LENGTH = 1000;

export interface DirectAssignmentInput {
  managerId: string;
  packageId: string;
  personId: string;
  /** The package's policy whose expiration applies (no approval: the manager decides); its first when omitted. */
  policyId?: string;
  reason: string;
}

/**
 * Entra's "New assignment": a manager gives a person the package under one of its policies, without approval. It is
 * a request like any other (one per person and package, delivered, expiring, removable), approved at once and
 * audited with the manager's name and reason; the person gets #6 once it is delivered.
 */
export async function assignDirectly(ctx: AppContext, input: DirectAssignmentInput): Promise<LoadedRequest> {
  const entry = managedEntry(ctx, input.managerId, input.packageId);
  const reason = checkedReason(input.reason);
  const policy = input.policyId ? entry.accessPackage.policies.find((p) => p.id === input.policyId) : entry.accessPackage.policies[0];
  if (!policy) throw new ValidationError('error.unknownPolicy');
  const [person, manager] = await Promise.all([ctx.directory.getUser(input.personId), ctx.directory.getUser(input.managerId)]);
  if (!person) throw new NotFoundError('error.unknownPerson');
  const now = ctx.clock.now();
  const resourceNames = await ctx.resourceNames.namesFor(entry.accessPackage.resources);
  const requestId = ctx.newRequestId();
  await claimPackage(ctx, person.id, entry.accessPackage.id, entry.accessPackage.displayName, requestId);
  const withoutApproval = { ...policy, approval: { required: false, stages: [] } };
  const { next, effects } = createRequest({ id: requestId, entry, policy: withoutApproval, requester: snapshotOf(person), fields: { justification: reason }, now, resourceNames });
  const by = manager?.displayName ?? input.managerId;
  const created = await createRequestRecord(ctx.store, next, {
    effects,
    actorId: input.managerId,
    audit: [{ action: 'directAssignment', detail: `assigned directly by ${by}: ${reason}`, subjectId: person.id }],
  });
  ctx.logger.info({ requestId, packageId: entry.accessPackage.id, managerId: input.managerId }, 'assigned directly');
  return created;
}

/**
 * Entra's "Remove": a manager ends a person's assignment now. What it delivered is removed unless another
 * assignment of theirs still grants it; the person gets #8.
 */
export async function removeAssignment(ctx: AppContext, input: { managerId: string; packageId: string; personId: string; reason: string }): Promise<LoadedRequest> {
  managedEntry(ctx, input.managerId, input.packageId);
  const reason = checkedReason(input.reason);
  const stored = await ctx.assignments.get(input.personId, input.packageId);
  if (!stored) throw new NotFoundError('error.noSuchAssignment');
  const manager = await ctx.directory.getUser(input.managerId);
  const committed = await transact(
    ctx.store,
    stored.assignment.source.requestId,
    (loaded) => {
      if (!loaded) throw new NotFoundError('error.noSuchAssignment');
      return releaseAccess(loaded.request, input.managerId, ctx.clock.now(), true);
    },
    { actorId: input.managerId, audit: [{ action: 'removeAssignment', detail: `removed by ${manager?.displayName ?? input.managerId}: ${reason}`, subjectId: input.personId }] },
  );
  if (!committed) throw new NotFoundError('error.noSuchAssignment');
  ctx.logger.info({ requestId: committed.request.id, managerId: input.managerId }, 'assignment removed by a manager');
  await withdrawPendingExtension(ctx, committed, input.managerId);
  return committed;
}

function checkedReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new ValidationError('error.reasonRequired');
  if (trimmed.length > MAX_REASON_LENGTH) throw new ValidationError('error.reasonTooLong', { max: MAX_REASON_LENGTH });
  return trimmed;
}
