import { ActivityTypes, INVOKE_RESPONSE_KEY, type Request, type Response } from 'botbuilder';
import type { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import type { Logger } from '../app/ports';
import { describe } from '../app/describe';
import { bindAfterResponse, type AfterResponseTask } from './afterResponse';
import { localeOf, t } from './i18n';
import { sendMessage } from './invokeResponses';

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
    const tasks: AfterResponseTask[] = [];
    await this.adapter.process(req, res, async (context) => {
      bindAfterResponse(context, tasks);
      await this.application.run(context);
    });
    for (const task of tasks) task();
  }
}
