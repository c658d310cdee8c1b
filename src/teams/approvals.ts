/**
 * The approver's inbox in personal chat: `approvals` lists what waits for their decision (Approve / Deny on each
 * row, handled by the approval card's own verbs, see cardActions.ts), "Decided by me" what they decided.
 */
import { MessageFactory, type TurnContext } from 'botbuilder';
import { approvalsInbox, decidedByMe } from '../app/approvalsInbox';
import type { AppContext } from '../app/context';
import { CatalogDriftError, stagePolicyOf } from '../app/requestPolicy';
import type { AccessRequest } from '../domain/request';
import { aadObjectIdOf, timeZoneOf } from './activity';
import { localeOf, t, type Locale } from './i18n';
import { sendCard } from './invokeResponses';
import { cardAttachment, renderApprovalsInbox, renderDecidedByMe, type AdaptiveCard, type WaitingRequest } from './views';

/** The inbox card of `approverId`; `notice` says what their click just did. */
export async function inboxCard(ctx: AppContext, approverId: string, locale: Locale, timeZone?: string, notice?: string): Promise<AdaptiveCard> {
  const { waiting, more } = await approvalsInbox(ctx, approverId);
  return renderApprovalsInbox({ waiting: waiting.map((request) => withStagePolicy(ctx, request)), more, notice }, locale, { timeZone });
}

/** The line on top of the inbox after a decision there. */
export function decisionNotice(request: AccessRequest, approverId: string, locale: Locale): string | undefined {
  const decision = [...request.stages].reverse().find((stage) => stage.decision?.by.id === approverId)?.decision;
  return decision && t(locale, 'inbox.decidedNotice', { outcome: t(locale, `outcome.${decision.outcome}`), requester: request.requester.displayName, package: request.packageName });
}

export async function showApprovals(ctx: AppContext, context: TurnContext): Promise<void> {
  const approverId = aadObjectIdOf(context.activity);
  const locale = localeOf(context.activity.locale);
  const card = approverId ? await inboxCard(ctx, approverId, locale, timeZoneOf(context.activity)) : renderApprovalsInbox({ waiting: [], more: 0 }, locale);
  await context.sendActivity(MessageFactory.attachment(cardAttachment(card)));
}

/** "Waiting for me" on the decided list: the inbox again, in place. */
export async function approvalsWaitingAction(ctx: AppContext, context: TurnContext): Promise<void> {
  await sendCard(context, await inboxCard(ctx, viewerId(context), localeOf(context.activity.locale), timeZoneOf(context.activity)));
}

/** "Decided by me": the approver's latest decisions, in place of the inbox. */
export async function approvalsDecidedAction(ctx: AppContext, context: TurnContext): Promise<void> {
  const decided = await decidedByMe(ctx, viewerId(context));
  const model = { decided: decided.map(({ decision, request }) => ({ request, outcome: decision.outcome, at: decision.at })) };
  await sendCard(context, renderDecidedByMe(model, localeOf(context.activity.locale), { timeZone: timeZoneOf(context.activity) }));
}

/** Only the clicker's own inbox is ever read: someone the bot cannot name sees an empty one. */
function viewerId(context: TurnContext): string {
  return aadObjectIdOf(context.activity) ?? '';
}

/** A request with what its card needs from its policy; a policy gone from the catalog shows the stages it had. */
function withStagePolicy(ctx: AppContext, request: AccessRequest): WaitingRequest {
  try {
    const { stage, stageCount } = stagePolicyOf(ctx.catalog, request);
    return { request, stageCount, justificationRequired: stage.approverJustificationRequired };
  } catch (error) {
    if (!(error instanceof CatalogDriftError)) throw error;
    return { request, stageCount: request.stages.length, justificationRequired: false };
  }
}
