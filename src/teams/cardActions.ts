/** Universal Action handlers: each parses its untrusted data, calls one use-case and answers with the new card. */
import type { TurnContext } from 'botbuilder';
import type { AppContext } from '../app/context';
import { cancelRequest } from '../app/cancelRequest';
import { decideRequest } from '../app/decide';
import type { EffectRunner } from '../app/effectRunner';
import { submitRequest } from '../app/submitRequest';
import type { CardKind } from '../domain/effects';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { AccessRequest, DecisionOutcome } from '../domain/request';
import { aadObjectIdOf, timeZoneOf } from './activity';
import { afterResponse } from './afterResponse';
import { localeOf } from './i18n';
import { sendCard } from './invokeResponses';
import { parseDecisionPayload, parseRequestRef, parseSubmitPayload } from './payloads';
import { requestCardFor } from './requestCards';
import type { AdaptiveCard } from './views';

export interface CardActionDeps {
  app: AppContext;
  effects: EffectRunner;
}

function actorIdOf(context: TurnContext): string {
  const id = aadObjectIdOf(context.activity);
  if (!id) throw new ForbiddenError('error.unknownUser');
  return id;
}

function cardFor(deps: CardActionDeps, context: TurnContext, kind: CardKind, request: AccessRequest): AdaptiveCard {
  const viewer = { id: actorIdOf(context), locale: localeOf(context.activity.locale) };
  return requestCardFor(deps.app.catalog, kind, request, viewer, deps.app.clock.now());
}

export async function submitRequestAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const payload = parseSubmitPayload(data);
  const { activity } = context;
  const created = await submitRequest(deps.app, {
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
  });
  await sendCard(context, cardFor(deps, context, 'requestStatus', created.request));
  afterResponse(context, () => deps.effects.kick(created.request.id));
}

export function decisionAction(outcome: DecisionOutcome) {
  return async (deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> => {
    const payload = parseDecisionPayload(data);
    const decided = await decideRequest(deps.app, {
      requestId: payload.requestId,
      actorId: actorIdOf(context),
      outcome,
      justification: payload.approverJustification,
    });
    await sendCard(context, cardFor(deps, context, 'approvalRequest', decided.request));
    afterResponse(context, () => deps.effects.kick(decided.request.id));
  };
}

/** The requester cancels from the `cancel` list: the list's button is replaced by the request's status card. */
export async function cancelRequestAction(deps: CardActionDeps, context: TurnContext, data: unknown): Promise<void> {
  const { requestId } = parseRequestRef(data);
  const canceled = await cancelRequest(deps.app, { requestId, actorId: actorIdOf(context) });
  await sendCard(context, cardFor(deps, context, 'requestStatus', canceled.request));
  afterResponse(context, () => deps.effects.kick(canceled.request.id));
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
  await sendCard(context, cardFor(deps, context, kind, loaded.request));
}
