import { ActivityTypes, INVOKE_RESPONSE_KEY, type Request, type Response, type TurnContext } from 'botbuilder';
import type { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import type { Logger } from '../app/ports';
import { describe } from '../app/describe';
import { checkActivity } from './activityShape';
import { bindAfterResponse, type AfterResponseTask } from './afterResponse';
import { Foreground } from './foreground';
import { localeOf, t } from './i18n';
import { sendMessage } from './invokeResponses';

function withBody(req: Request, body: Record<string, unknown>): Request {
  return { method: req.method, headers: req.headers, body };
}

/**
 * What the adapter authenticates in place of a malformed activity: only the fields authentication reads, and only
 * when they are strings (a non-string `serviceUrl` would break the adapter before the turn, a 500). An invoke, so
 * the turn can set the HTTP answer.
 */
function authenticationStandIn(body: unknown): Record<string, unknown> {
  const { channelId, serviceUrl } = (body ?? {}) as Record<string, unknown>;
  const stringOrNothing = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { type: ActivityTypes.Invoke, channelId: stringOrNothing(channelId), serviceUrl: stringOrNothing(serviceUrl) };
}

/**
 * The HTTP face of the bot: authenticates and runs one activity, then starts the work handlers asked
 * to run after the answer (so the answer is never held up by Graph or proactive sends), once no other
 * answer is pending (see Foreground).
 */
export class TeamsBot {
  private readonly foreground = new Foreground();

  constructor(
    private readonly adapter: TeamsAdapter,
    private readonly application: Application<TurnState>,
    private readonly logger: Logger,
  ) {
    adapter.onTurnError = async (context, err) => {
      this.logger.error({ type: context.activity.type, name: context.activity.name, err: describe(err) }, 'turn failed');
      // An invoke must still be answered, or the adapter would reply 501.
      if (context.activity.type === ActivityTypes.Invoke && !context.turnState.get(INVOKE_RESPONSE_KEY)) {
        await sendMessage(context, t(localeOf(context.activity.locale), 'error.tryAgain'));
      }
    };
  }

  async handle(req: Request, res: Response): Promise<void> {
    await this.foreground.answer(() => this.answer(req, res));
  }

  private async answer(req: Request, res: Response): Promise<void> {
    const { activity, problem } = checkActivity(req.body);
    if (problem !== undefined) {
      // The adapter authenticates inside process(), so a caller without a valid token still gets 401.
      await this.adapter.process(withBody(req, authenticationStandIn(req.body)), res, (context) => this.refuse(context, problem));
      return;
    }
    const tasks: AfterResponseTask[] = [];
    await this.adapter.process(withBody(req, activity), res, async (context) => {
      bindAfterResponse(context, tasks);
      await this.application.run(context);
    });
    for (const task of tasks) this.foreground.afterwards(task);
  }

  private async refuse(context: TurnContext, problem: string): Promise<void> {
    this.logger.info({ problem }, 'malformed activity refused');
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 400, body: { error: problem } } });
  }
}
