import { ActivityTypes, INVOKE_RESPONSE_KEY, type Request, type Response } from 'botbuilder';
import type { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import type { Logger } from '../app/ports';
import { describe } from '../app/describe';
import { bindAfterResponse, type AfterResponseTask } from './afterResponse';
import { localeOf, t } from './i18n';
import { sendMessage } from './invokeResponses';

/**
 * What the Bot Framework SDK assumes about an activity before any of our code runs: a `serviceUrl` that is
 * not a string breaks its connector client (a 500). Such a body cannot come from Teams: refuse it with 400.
 * A malformed optional `locale` is dropped (the person gets English) rather than refused.
 */
function envelopeProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined; // the adapter answers 400 itself
  const activity = body as Record<string, unknown>;
  if (activity.serviceUrl !== undefined && typeof activity.serviceUrl !== 'string') {
    return 'serviceUrl must be a string: this is not a Bot Framework activity.';
  }
  if (activity.locale !== undefined && typeof activity.locale !== 'string') delete activity.locale;
  return undefined;
}

/**
 * The HTTP face of the bot: authenticates and runs one activity, then starts the work handlers asked
 * to run after the answer (so the answer is never held up by Graph or proactive sends).
 */
export class TeamsBot {
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
    const problem = envelopeProblem(req.body);
    if (problem) {
      this.logger.info({ problem }, 'malformed activity refused');
      res.status(400);
      res.send({ error: problem });
      res.end();
      return;
    }
    const tasks: AfterResponseTask[] = [];
    await this.adapter.process(req, res, async (context) => {
      bindAfterResponse(context, tasks);
      await this.application.run(context);
    });
    for (const task of tasks) task();
  }
}
