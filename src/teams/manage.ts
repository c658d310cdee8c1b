/**
 * `manage` in personal chat, for catalog owners, package managers, assignment managers and administrators: the
 * packages they manage, and each one's requests, assignments and failed deliveries (Reprocess and History are the
 * alert card's own buttons, so reprocess works without any channel). Each card answers in place of the last.
 */
import { MessageFactory, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { AppContext } from '../app/context';
import type { AccessRequest } from '../domain/request';
import type { EffectRunner } from '../app/effectRunner';
import { assignDirectly, managedPackages, packageAssignments, packageFailures, packageRequests, removeAssignment } from '../app/manage';
import { ForbiddenError, ValidationError } from '../domain/errors';
import { aadObjectIdOf, timeZoneOf } from './activity';
import { afterResponse } from './afterResponse';
import { localeOf, t } from './i18n';
import { sendCard } from './invokeResponses';
import { assignInputs, removeReasonInput } from './views/manage';
import { cardAttachment, renderManagedPackages, renderPackageAssignments, renderPackageFailures, renderPackageRequests, type AdaptiveCard } from './views';

/** Card data naming a package: an id as the catalog spells them (checked against the catalog by the use-case). */
const packageRefSchema = z.object({ packageId: z.string().min(1).max(100) });

async function packagesCard(ctx: AppContext, actorId: string, context: TurnContext, notice?: string): Promise<AdaptiveCard> {
  const packages = await managedPackages(ctx, actorId);
  return renderManagedPackages(
    packages.map(({ entry, pending, failed, active }) => ({
      packageId: entry.accessPackage.id,
      packageName: entry.accessPackage.displayName,
      catalogName: entry.catalog.displayName,
      pending,
      failed,
      active,
      policies: entry.accessPackage.policies.map((policy) => ({ id: policy.id, displayName: policy.displayName })),
    })),
    localeOf(context.activity.locale),
    notice,
  );
}

/** The `manage` command; someone who manages nothing gets one sentence. */
export async function showManage(ctx: AppContext, context: TurnContext): Promise<void> {
  const actorId = aadObjectIdOf(context.activity) ?? '';
  try {
    await context.sendActivity(MessageFactory.attachment(cardAttachment(await packagesCard(ctx, actorId, context))));
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error;
    await context.sendActivity(t(localeOf(context.activity.locale), 'error.notAManager'));
  }
}

export async function managePackagesAction(ctx: AppContext, context: TurnContext): Promise<void> {
  await sendCard(context, await packagesCard(ctx, actorIdOf(context), context));
}

export async function manageRequestsAction(ctx: AppContext, context: TurnContext, data: unknown): Promise<void> {
  const { entry, rows } = await packageRequests(ctx, actorIdOf(context), packageIdOf(data));
  await sendCard(context, renderPackageRequests(entry.accessPackage.displayName, rows, localeOf(context.activity.locale), { timeZone: timeZoneOf(context.activity) }));
}

export async function manageAssignmentsAction(ctx: AppContext, context: TurnContext, data: unknown, removed?: AccessRequest, notice?: string): Promise<void> {
  const { entry, assignments } = await packageAssignments(ctx, actorIdOf(context), packageIdOf(data), removed);
  const locale = localeOf(context.activity.locale);
  await sendCard(context, renderPackageAssignments(entry.accessPackage.displayName, assignments, locale, { timeZone: timeZoneOf(context.activity), notice }));
}

/** "Assign" on a package: the person picked, the policy and the reason come as the form's inputs (untrusted). */
export async function manageAssignAction(deps: { app: AppContext; effects: EffectRunner }, context: TurnContext, data: unknown): Promise<void> {
  const packageId = packageIdOf(data);
  const inputs = assignInputs(packageId);
  const form = parseForm(z.object({ [inputs.person]: z.string().uuid(), [inputs.policy]: z.string().max(100).optional(), [inputs.reason]: z.string().max(5000) }), data);
  const created = await assignDirectly(deps.app, {
    managerId: actorIdOf(context),
    packageId,
    personId: String(form[inputs.person]),
    policyId: form[inputs.policy] as string | undefined,
    reason: String(form[inputs.reason]),
  });
  const notice = t(localeOf(context.activity.locale), 'manage.assigned', { package: created.request.packageName, person: created.request.requester.displayName });
  await sendCard(context, await packagesCard(deps.app, actorIdOf(context), context, notice));
  afterResponse(context, () => deps.effects.kick(created.request.id));
}

/** "Yes, remove" on an assignment: the person's access to the package ends now; the answer is the list again. */
export async function manageRemoveAction(deps: { app: AppContext; effects: EffectRunner }, context: TurnContext, data: unknown): Promise<void> {
  const { packageId, personId } = parseForm(packageRefSchema.extend({ personId: z.string().uuid() }), data);
  const { [removeReasonInput(personId)]: reason } = parseForm(z.object({ [removeReasonInput(personId)]: z.string().max(5000) }), data);
  const removed = await removeAssignment(deps.app, { managerId: actorIdOf(context), packageId, personId, reason: String(reason) });
  const notice = t(localeOf(context.activity.locale), 'manage.removed', { package: removed.request.packageName, person: removed.request.requester.displayName });
  await manageAssignmentsAction(deps.app, context, data, removed.request, notice);
  afterResponse(context, () => deps.effects.kick(removed.request.id));
}

export async function manageFailuresAction(ctx: AppContext, context: TurnContext, data: unknown): Promise<void> {
  const { entry, requests } = await packageFailures(ctx, actorIdOf(context), packageIdOf(data));
  await sendCard(context, renderPackageFailures(entry.accessPackage.displayName, requests, localeOf(context.activity.locale), { timeZone: timeZoneOf(context.activity), now: ctx.clock.now() }));
}

function actorIdOf(context: TurnContext): string {
  const id = aadObjectIdOf(context.activity);
  if (!id) throw new ForbiddenError('error.unknownUser');
  return id;
}

function packageIdOf(data: unknown): string {
  return parseForm(packageRefSchema, data).packageId;
}

function parseForm<T>(schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data ?? {});
  if (!parsed.success) throw new ValidationError('error.badAction');
  return parsed.data;
}
