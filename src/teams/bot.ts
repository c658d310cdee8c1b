import { ActivityTypes, INVOKE_RESPONSE_KEY, type Activity, type Request, type Response } from 'botbuilder';
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { Logger } from '../app/ports';
import { describe } from '../app/describe';
import { checkActivity } from './activityShape';
import type { BotAdapter } from './adapter';
import { Authenticator, isAuthRefusal } from './authentication';
import { bindAfterResponse, type AfterResponseTask } from './afterResponse';
import { Foreground } from './foreground';
import { localeOf, t } from './i18n';
import { sendMessage } from './invokeResponses';

/** Where activities may come from once BOT_ID is set: Teams only (the Azure Bot may have other channels enabled). */
const TEAMS_CHANNEL = 'msteams';

/**
 * What is authenticated in place of a malformed activity: only the fields authentication reads, and only when they
 * are strings, so that a caller without a valid token still gets 401 rather than 400.
 */
function authenticationStandIn(body: unknown): Partial<Activity> {
  const { channelId, serviceUrl } = (body ?? {}) as Record<string, unknown>;
  const stringOrEmpty = (value: unknown) => (typeof value === 'string' ? value : '');
  return { type: ActivityTypes.Invoke, channelId: stringOrEmpty(channelId), serviceUrl: stringOrEmpty(serviceUrl) };
}

/** The HTTP answer as restify (or any Node framework) gives it. */
type HttpResponse = Response & { headersSent?: boolean };

function reply(res: HttpResponse, status: number, body?: unknown): void {
  res.status(status);
  if (body !== undefined) res.send(body);
  res.end();
}

export interface TeamsBotOptions {
  /** With BOT_ID set: activities from any channel but Teams are refused (403). */
  teamsOnly: boolean;
}

/**
 * The HTTP face of the bot: authenticates and runs one activity, then starts the work handlers asked
 * to run after the answer (so the answer is never held up by Graph or proactive sends), once no other
 * answer is pending (see Foreground).
 */
export class TeamsBot {
  private readonly foreground = new Foreground();
  private readonly authenticator: Authenticator;

  constructor(
    private readonly adapter: BotAdapter,
    private readonly application: Application<TurnState>,
    private readonly logger: Logger,
    private readonly options: TeamsBotOptions,
  ) {
    this.authenticator = new Authenticator(adapter, logger);
    adapter.onTurnError = async (context, err) => {
      this.logger.error({ type: context.activity.type, name: context.activity.name, err: describe(err) }, 'turn failed');
      // An invoke must still be answered, or the adapter would reply 501.
      if (context.activity.type === ActivityTypes.Invoke && !context.turnState.get(INVOKE_RESPONSE_KEY)) {
        await sendMessage(context, t(localeOf(context.activity.locale), 'error.tryAgain'));
      }
    };
  }

  async handle(req: Request, res: HttpResponse): Promise<void> {
    await this.foreground.answer(() => this.answer(req, res));
  }

  /** Authentication first (401/503), then the envelope (400) and the channel (403), then the turn. */
  private async answer(req: Request, res: HttpResponse): Promise<void> {
    const { activity, problem } = checkActivity(req.body);
    const authHeader = req.headers.authorization;
    const auth = await this.authenticator.authenticate(activity ?? authenticationStandIn(req.body), typeof authHeader === 'string' ? authHeader : '');
    if (isAuthRefusal(auth)) return reply(res, auth.status, { error: auth.error });
    if (problem !== undefined) {
      this.logger.info({ problem }, 'malformed activity refused');
      return reply(res, 400, { error: problem });
    }
    if (this.options.teamsOnly && activity.channelId !== TEAMS_CHANNEL) {
      this.logger.info({ channelId: activity.channelId }, 'activity from another channel than Teams refused');
      return reply(res, 403, { error: 'This bot answers Microsoft Teams only.' });
    }
    const tasks: AfterResponseTask[] = [];
    try {
      const invokeResponse = await this.adapter.runTurn(auth, activity as unknown as Activity, async (context) => {
        bindAfterResponse(context, tasks);
        await this.application.run(context);
      });
      reply(res, invokeResponse?.status ?? 200, invokeResponse?.body);
    } catch (err) {
      // The turn's own errors end in onTurnError; this is the adapter failing around it.
      this.logger.error({ type: activity.type, err: describe(err) }, 'activity could not be processed');
      if (!res.headersSent) reply(res, 500, { error: 'The bot could not process this activity.' });
      return;
    }
    for (const task of tasks) this.foreground.afterwards(task);
  }
}
