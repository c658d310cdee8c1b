/**
 * The Teams bot: every route in one readable list. Handlers live in commands.ts and cardActions.ts;
 * this file only says which activity goes where, and guarantees every invoke gets an answer.
 */
import { ActivityTypes, type TurnContext } from 'botbuilder';
import { Application, type TeamsAdapter, type TurnState } from '@microsoft/teams-ai';
import type { AppContext } from '../app/context';
import type { EffectRunner } from '../app/effectRunner';
import { describe } from '../app/describe';
import { ForbiddenError, ValidationError } from '../domain/errors';
import { isChannel, isPersonal, tenantOf } from './activity';
import {
  cancelRequestAction,
  decisionAction,
  extendAccessAction,
  historyAction,
  refreshCardAction,
  releaseAccessAction,
  reprocessAction,
  statusMoreAction,
  submitRequestAction,
  type CardActionDeps,
} from './cardActions';
import { approvalsDecidedAction, approvalsWaitingAction, showApprovals } from './approvals';
import { manageAssignAction, manageAssignmentsAction, manageFailuresAction, manageRemoveAction, managePackagesAction, manageRequestsAction, showManage } from './manage';
import { showCancelList, showChannelHelp, showFailedRequests, showHelp, showMyRequests, showPersonalOnly, showRequestForm } from './commands';
import type { ConversationRecorder } from './conversationRecorder';
import { localeOf } from './i18n';
import { sendError, sendFailure } from './invokeResponses';
import { parseNoData } from './payloads';
import { VERBS, type Verb } from './verbs';

export interface BotApplicationOptions {
  adapter: TeamsAdapter;
  botAppId?: string;
  /** When set, activities from any other tenant are refused. */
  tenantId?: string;
  app: AppContext;
  effects: EffectRunner;
  recorder: ConversationRecorder;
}

const CARD_ACTION_INVOKE = 'adaptiveCard/action';

type CardActionHandler = (deps: CardActionDeps, context: TurnContext, data: unknown) => Promise<void>;

/** A handler for a button that carries nothing: other data is refused like any malformed card data. */
function withoutData(handler: CardActionHandler): CardActionHandler {
  return (deps, context, data) => {
    parseNoData(data);
    return handler(deps, context, data);
  };
}

/** Every verb a card can carry, and its handler: a verb without a route does not compile. */
export const CARD_ACTIONS: Readonly<Record<Verb, CardActionHandler>> = {
  [VERBS.submitRequest]: submitRequestAction,
  [VERBS.approve]: decisionAction('approved'),
  [VERBS.deny]: decisionAction('denied'),
  [VERBS.cancelRequest]: cancelRequestAction,
  [VERBS.extendAccess]: extendAccessAction,
  [VERBS.releaseAccess]: releaseAccessAction,
  [VERBS.statusMore]: statusMoreAction,
  [VERBS.refreshCard]: refreshCardAction,
  [VERBS.reprocess]: reprocessAction,
  [VERBS.history]: historyAction,
  [VERBS.approvals]: withoutData((deps, context) => approvalsWaitingAction(deps.app, context)),
  [VERBS.approvalsDecided]: withoutData((deps, context) => approvalsDecidedAction(deps.app, context)),
  [VERBS.manage]: withoutData((deps, context) => managePackagesAction(deps.app, context)),
  [VERBS.manageRequests]: (deps, context, data) => manageRequestsAction(deps.app, context, data),
  [VERBS.manageAssignments]: (deps, context, data) => manageAssignmentsAction(deps.app, context, data),
  [VERBS.manageFailures]: (deps, context, data) => manageFailuresAction(deps.app, context, data),
  [VERBS.manageAssign]: manageAssignAction,
  [VERBS.manageRemove]: manageRemoveAction,
};

export function createBotApplication(options: BotApplicationOptions): Application<TurnState> {
  const { app: ctx, recorder } = options;
  const deps: CardActionDeps = { app: ctx, effects: options.effects, teamsUserIds: recorder.teamsUserIds };
  const bot = new Application<TurnState>({
    adapter: options.adapter,
    botAppId: options.botAppId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });

  /** Runs a card action and turns whatever it throws into an invoke answer (never a 500). */
  const cardAction = (handler: CardActionHandler) => async (context: TurnContext, _state: TurnState, data: unknown) => {
    try {
      await handler(deps, context, data);
    } catch (err) {
      const expected = await sendFailure(context, err, localeOf(context.activity.locale));
      const log = { verb: (context.activity.value as { action?: { verb?: unknown } })?.action?.verb, userId: context.activity.from?.aadObjectId, err: describe(err) };
      if (expected) ctx.logger.info(log, 'card action refused');
      else ctx.logger.error(log, 'card action failed');
    }
    return '';
  };

  bot.turn('beforeTurn', async (context) => {
    const { activity } = context;
    if (options.tenantId && tenantOf(activity) !== options.tenantId) {
      ctx.logger.warn({ tenantId: tenantOf(activity), type: activity.type }, 'activity from another tenant refused');
      if (activity.type === ActivityTypes.Invoke) await sendError(context, new ForbiddenError('error.wrongTenant'), localeOf(activity.locale));
      return false;
    }
    await recorder.record(activity);
    return true;
  });

  // Card actions (Universal Actions, Action.Execute)
  for (const [verb, handler] of Object.entries(CARD_ACTIONS)) bot.adaptiveCards.actionExecute(verb, cardAction(handler));
  // Any other invoke (unknown verb, Action.Submit, other invoke names) gets a 400 with a sentence.
  bot.addRoute(
    async (context) => context.activity.type === ActivityTypes.Invoke,
    async (context) => {
      ctx.logger.info({ name: context.activity.name }, 'unsupported invoke refused');
      if (context.activity.name === CARD_ACTION_INVOKE) {
        await sendError(context, new ValidationError('error.badAction'), localeOf(context.activity.locale));
      } else {
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 400 } });
      }
    },
    true,
  );

  // In a team channel (the bot only hears messages that mention it; the mention is removed from the text):
  // `failed` lists the failed deliveries of the catalogs alerting this channel, anything else gets a hint.
  bot.addRoute(
    async (context) => context.activity.type === ActivityTypes.Message && isChannel(context.activity),
    async (context) => {
      if (/^\s*failed\s*$/i.test(context.activity.text ?? '')) await showFailedRequests(ctx, context);
      else await showChannelHelp(context);
    },
  );

  // Personal-chat commands
  const personal = (handler: (context: TurnContext) => Promise<void>) => async (context: TurnContext) =>
    isPersonal(context.activity) ? handler(context) : showPersonalOnly(context);
  bot.message(/^\s*request\s*$/i, personal((context) => showRequestForm(ctx, context)));
  bot.message(/^\s*status\s*$/i, personal((context) => showMyRequests(ctx, context)));
  bot.message(/^\s*cancel\s*$/i, personal((context) => showCancelList(ctx, context)));
  bot.message(/^\s*approvals\s*$/i, personal((context) => showApprovals(ctx, context)));
  bot.message(/^\s*manage\s*$/i, personal((context) => showManage(ctx, context)));
  bot.message(/^\s*help\s*$/i, async (context) => showHelp(context));
  bot.activity(ActivityTypes.Message, async (context) => showHelp(context));

  // Installed in a personal scope: say hello with the help card. (Teams also sends conversationUpdate
  // membersAdded for the same install; answering both would greet twice. Its reference is still recorded.)
  bot.activity(ActivityTypes.InstallationUpdate, async (context) => {
    if (context.activity.action === 'add' && isPersonal(context.activity)) await showHelp(context);
  });

  return bot;
}
