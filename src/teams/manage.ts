/**
 * `manage` in personal chat, for catalog owners, package managers, assignment managers and administrators: the
 * packages they manage, and each one's requests, assignments and failed deliveries (Reprocess and History are the
 * alert card's own buttons, so reprocess works without any channel). Each card answers in place of the last.
 */
import { MessageFactory, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { AppContext } from '../app/context';
import { managedPackages, packageAssignments, packageFailures, packageRequests } from '../app/manage';
import { ForbiddenError, ValidationError } from '../domain/errors';
import { aadObjectIdOf, timeZoneOf } from './activity';
import { localeOf, t } from './i18n';
import { sendCard } from './invokeResponses';
import { cardAttachment, renderManagedPackages, renderPackageAssignments, renderPackageFailures, renderPackageRequests, type AdaptiveCard } from './views';

/** Card data naming a package: an id as the catalog spells them (checked against the catalog by the use-case). */
const packageRefSchema = z.object({ packageId: z.string().min(1).max(100) });

async function packagesCard(ctx: AppContext, actorId: string, context: TurnContext): Promise<AdaptiveCard> {
  const packages = await managedPackages(ctx, actorId);
  return renderManagedPackages(
    packages.map(({ entry, pending, failed, active }) => ({
      packageId: entry.accessPackage.id,
      packageName: entry.accessPackage.displayName,
      catalogName: entry.catalog.displayName,
      pending,
      failed,
      active,
    })),
    localeOf(context.activity.locale),
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

export async function manageAssignmentsAction(ctx: AppContext, context: TurnContext, data: unknown): Promise<void> {
  const { entry, assignments } = await packageAssignments(ctx, actorIdOf(context), packageIdOf(data));
  await sendCard(context, renderPackageAssignments(entry.accessPackage.displayName, assignments, localeOf(context.activity.locale), { timeZone: timeZoneOf(context.activity) }));
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
  const parsed = packageRefSchema.safeParse(data ?? {});
  if (!parsed.success) throw new ValidationError('error.badAction');
  return parsed.data.packageId;
}
