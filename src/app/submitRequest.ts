import { ConflictError, ForbiddenError, ValidationError } from '../domain/errors';
import { refusalOfNewRequest } from '../domain/oneRequestPerPackage';
import { validateRequestForm, type RequestFormInput } from '../domain/policy';
import type { PersonSnapshot } from '../domain/request';
import { createRequest } from '../domain/transitions';
import { createRequestRecord } from './commitRequest';
import type { AppContext } from './context';
import { policyFor } from './eligibility';
import type { DirectoryUser, LoadedRequest, PackageClaim, PostedCard } from './ports';
import { localDate } from '../dateFormats';

export interface SubmitRequestInput extends RequestFormInput {
  requesterId: string;
  packageId?: string;
  /** The requester's IANA time zone (from Teams' clientInfo), for "today"; UTC when unknown. */
  timeZone?: string;
  /** The form card the requester submitted from; it becomes their live status card. */
  formCard?: Omit<PostedCard, 'card' | 'postedBy'>;
}

export function snapshotOf(user: DirectoryUser): PersonSnapshot {
  return {
    id: user.id,
    displayName: user.displayName,
    mail: user.mail,
    department: user.department,
    jobTitle: user.jobTitle,
  };
}

/**
 * A claim whose request is not stored this long after it was made was abandoned (a crash between the two writes,
 * which are one storage write apart); until then another submit of it is being saved.
 */
const CLAIM_IN_FLIGHT_MS = 10_000;

/**
 * Makes `requestId` the person's latest request for the package, or throws the refusal. The first request for a
 * package (the common case) costs one write; otherwise the request the record names decides: open, holding the
 * access or failed refuses, and so does one being stored right now; anything else (ended, or abandoned) is
 * replaced, guarded by the ETag read, so of two submits racing exactly one wins.
 */
export async function claimPackage(ctx: AppContext, personId: string, packageId: string, packageName: string, requestId: string): Promise<void> {
  const now = ctx.clock.now();
  if (await ctx.claims.claim(personId, packageId, requestId, now.toISOString(), undefined)) return;
  const inFlight = new ConflictError('error.submitInFlight', { package: packageName });
  const refuseIfBusy = async (): Promise<PackageClaim | undefined> => {
    const claim = await ctx.claims.latest(personId, packageId);
    const latest = claim ? await ctx.store.get(claim.requestId) : undefined;
    if (claim && !latest && now.getTime() - Date.parse(claim.claimedAt) < CLAIM_IN_FLIGHT_MS) throw inFlight;
    const refusal = refusalOfNewRequest(latest?.request, packageName);
    if (refusal) throw refusal;
    return claim;
  };
  const claim = await refuseIfBusy();
  if (await ctx.claims.claim(personId, packageId, requestId, now.toISOString(), claim)) return;
  // Another submit of the same package by the same person won meanwhile (a double click, another instance).
  await refuseIfBusy();
  throw inFlight;
}

/**
 * Validates a submitted request form and stores the request. Nothing is stored when any check fails, or when the
 * person already has the package, or an open or failed request for it (one at a time, CONTRACT §5).
 */
export async function submitRequest(ctx: AppContext, input: SubmitRequestInput): Promise<LoadedRequest> {
  const packageId = input.packageId?.trim();
  if (!packageId) throw new ValidationError('error.noPackageSelected');
  const entry = ctx.catalog.findPackage(packageId);
  if (!entry) throw new ValidationError('error.unknownPackage', { packageId: packageId.slice(0, 80) });

  const user = await ctx.directory.getUser(input.requesterId);
  if (!user) throw new ForbiddenError('error.unknownUser');
  const policy = await policyFor(ctx.directory, user, entry);
  if (!policy) throw new ForbiddenError('error.notEligible', { package: entry.accessPackage.displayName });

  const now = ctx.clock.now();
  const fields = validateRequestForm(policy, input, localDate(now, input.timeZone));
  // Snapshot the resources' names for the cards; a lookup that fails leaves a name out, never the request.
  const resourceNames = await ctx.resourceNames.namesFor(entry.accessPackage.resources);
  const requestId = ctx.newRequestId();
  await claimPackage(ctx, user.id, packageId, entry.accessPackage.displayName, requestId);
  const { next, effects } = createRequest({
    id: requestId,
    entry,
    policy,
    requester: snapshotOf(user),
    fields,
    now,
    resourceNames,
  });
  const cards = input.formCard ? [{ ...input.formCard, card: 'requestStatus' as const, postedBy: 'form' }] : [];
  const created = await createRequestRecord(ctx.store, next, { effects, cards, actorId: input.requesterId });
  ctx.logger.info({ requestId: next.id, packageId, state: next.state }, 'request submitted');
  return created;
}
