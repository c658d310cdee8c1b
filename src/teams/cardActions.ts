/** Universal Action handlers: each parses its untrusted data, calls one use-case and answers with the new card. */
import type { TurnContext } from 'botbuilder';
import type { AppContext } from '../app/context';
import { cancelRequest } from '../app/cancelRequest';
import { decideRequest } from '../app/decide';
import { extendAccess } from '../app/extendAccess';
import { releaseAccess } from '../app/releaseAccess';
import { reprocessRequests } from '../app/reprocess';
import { requestHistory } from '../app/requestHistory';
import type { EffectRunner } from '../app/effectRunner';
import type { LoadedRequest } from '../app/ports';
import { submitRequest } from '../app/submitRequest';
import type { CardKind } from '../domain/effects';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { AccessRequest, DecisionOutcome } from '../domain/request';
import { aadObjectIdOf, timeZoneOf } from './activity';
import { afterResponse } from './afterResponse';
import { decisionNotice, inboxCard } from './approvals';
import { localeOf } from './i18n';
import { sendCard } from './invokeResponses';
import { myRequestsCard } from './commands';
import { parseDecisionPayload, parseReprocessPayload, parseRequestRef, parseStatusMorePayload, parseSubmitPayload } from './payloads';
import { refreshesForApprovers, requestCardFor } from './requestCards';
import type { TeamsUserIds } from './teamsUserIds';
import { renderReprocessOutcome, renderRequestHistory, type AdaptiveCard } from './views';

export interface CardActionDeps {
  app: AppContext;
  effects: EffectRunner;
  /** People's Teams user ids, for the `refresh` of the approval cards answered. */
  teamsUserIds: TeamsUserIds;
}

function actorIdOf(context: TurnContext): string {
  const id = aadObjectIdOf(context.activity);
  if (!id) throw new ForbiddenError('error.unknownUser');
  return id;
}

/** The card answered to the clicker; an approval card's `refresh` names the approvers by their Teams user ids, resolved first. */
async function cardFor(deps: CardActionDeps, context: TurnContext, kind: CardKind, request: AccessRequest): Promise<AdaptiveCard> {
  const viewer = { id: actorIdOf(context), locale: localeOf(context.activity.locale) };
  const teamsUserIds = refreshesForApprovers(kind) ? await deps.teamsUserIds.forApprovers(request) : undefined;
  return requestCardFor(deps.app.catalog, kind, request, viewer, deps.app.clock.now(), teamsUserIds);
}

/** Runs a use-case that commits a request; its effects run after the answer, from the state it committed. */
async function committing(deps: CardActionDeps, context: TurnContext, commit: () => Promise<LoadedRequest>): Promise<LoadedRequest> {
  const readAfter = deps.effects.mark();
  const committed = await commit();
  afterResponse(context, () => deps.effects.runFrom(committed, readAfter));
  return committed;
}

export async function submitRequestAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const payload = parseSubmitPayload(data);
  const { activity } = context;
  const created = await committing(deps, context, () => submitRequest(deps.app, {
    requesterId: actorIdOf(context),
    ...payload,
    timeZone: timeZoneOf(activity),
    formCard: activity.replyToId
      ? {
          recipientId: actorIdOf(context),
          conversationId: activity.conversation.id,
          activityId: activity.replyToId,
          serviceUrl: activity.serviceUrl,
          postedAt: deps.app.clock.now().toISOString(),
        }
      : undefined,
  }));
  await sendCard(context, await cardFor(deps, context, 'requestStatus', created.request));
}

export function decisionAction(outcome: DecisionOutcome) {
  return async (deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> => {
    const payload = parseDecisionPayload(data);
    const decided = await committing(deps, context, () =>
      decideRequest(deps.app, {
        requestId: payload.requestId,
        actorId: actorIdOf(context),
        outcome,
        justification: payload.approverJustification,
      }),
    );
    const locale = localeOf(context.activity.locale);
    const card = payload.inbox
      ? await inboxCard(deps.app, actorIdOf(context), locale, timeZoneOf(context.activity), decisionNotice(decided.request, actorIdOf(context), locale))
      : await cardFor(deps, context, 'approvalRequest', decided.request);
    await sendCard(context, card);
  };
}

/** The requester cancels from the `cancel` list: the list's button is replaced by the request's status card. */
export async function cancelRequestAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const canceled = await committing(deps, context, () => cancelRequest(deps.app, { requestId, actorId: actorIdOf(context) }));
  await sendCard(context, await cardFor(deps, context, 'requestStatus', canceled.request));
}

/**
 * A manager reprocesses one request (alert card) or the selected ones (`failed` card); the answer lists each
 * one's outcome, and the deliveries run after it.
 */
export async function reprocessAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const requestIds = parseReprocessPayload(data);
  const outcomes = await reprocessRequests(deps.app, { requestIds, actorId: actorIdOf(context) });
  await sendCard(context, renderReprocessOutcome(outcomes, localeOf(context.activity.locale)));
  afterResponse(context, () => {
    for (const outcome of outcomes) if (outcome.status === 'queued') deps.effects.kick(outcome.requestId);
  });
}

/** A manager opens a request's audit trail (read-only). */
export async function historyAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const { request, entries, names } = await requestHistory(deps.app, { requestId, actorId: actorIdOf(context) });
  await sendCard(context, renderRequestHistory(request, entries, names, localeOf(context.activity.locale)));
}

/**
 * Universal Actions refresh: Teams asks for the card as this person should see it now (buttons only for an
 * approver of the open stage). Reading is all it does: anyone may refresh, nobody can change anything.
 */
export async function refreshCardAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const loaded = await deps.app.store.get(requestId);
  if (!loaded) throw new NotFoundError('error.unknownRequest');
  const posted = loaded.cards.find((c) => c.activityId === context.activity.replyToId);
  const kind = posted?.card === 'approvalReminder' ? 'approvalReminder' : 'approvalRequest';
  await sendCard(context, await cardFor(deps, context, kind, loaded.request));
}

/**
 * The requester extends their access from the #7 card: the answer is that card again, with the new end date
 * (or saying the extension waits for approval); the approvers are asked after the answer.
 */
export async function extendAccessAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const { extended, extension } = await extendAccess(deps.app, { requestId, actorId: actorIdOf(context) });
  await sendCard(context, await cardFor(deps, context, 'accessEndingSoon', extended.request));
  afterResponse(context, () => {
    deps.effects.kick(extended.request.id);
    if (extension) deps.effects.kick(extension.request.id);
  });
}

/** The requester gives access back early from `status`: the answer is the status card again; removal runs after it. */
export async function releaseAccessAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const actorId = actorIdOf(context);
  const released = await releaseAccess(deps.app, { requestId, actorId });
  await sendCard(context, await myRequestsCard(deps.app, actorId, localeOf(context.activity.locale)));
  afterResponse(context, () => {
    deps.effects.kick(released.request.id);
    const extensionId = released.request.pendingExtension?.requestId;
    if (extensionId) deps.effects.kick(extensionId);
  });
}

/**
 * "Show more" on `status`: the next page, from the cursor the button carries (untrusted: a malformed one is 400).
 * The clicker's own requests only, whatever the cursor names; no request changes.
 */
export async function statusMoreAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const cursor = parseStatusMorePayload(data);
  await sendCard(context, await myRequestsCard(deps.app, actorIdOf(context), localeOf(context.activity.locale), cursor));
}
