import { ForbiddenError, ValidationError } from '../domain/errors';
import { validateRequestForm, type RequestFormInput } from '../domain/policy';
import type { PersonSnapshot } from '../domain/request';
import { createRequest } from '../domain/transitions';
import type { AppContext } from './context';
import { policyFor } from './eligibility';
import type { DirectoryUser, LoadedRequest, PostedCard } from './ports';
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

/** Validates a submitted request form and stores the request. Nothing is stored when any check fails. */
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
  const { next, effects } = createRequest({
    id: ctx.newRequestId(),
    entry,
    policy,
    requester: snapshotOf(user),
    fields,
    now,
    resourceNames,
  });
  const cards = input.formCard ? [{ ...input.formCard, card: 'requestStatus' as const, postedBy: 'form' }] : [];
  const created = await ctx.store.create(next, { effects, cards, actorId: input.requesterId });
  ctx.logger.info({ requestId: next.id, packageId, state: next.state }, 'request submitted');
  return created;
}
