import type { TurnContext } from 'botbuilder';

/**
 * Work a handler wants done once the HTTP answer to Teams has been sent (e.g. running a request's
 * outbox), so slow effects never delay an invoke answer.
 */
const AFTER_RESPONSE = Symbol('afterResponse');

export type AfterResponseTask = () => void;

export function bindAfterResponse(context: TurnContext, tasks: AfterResponseTask[]): void {
  context.turnState.set(AFTER_RESPONSE, tasks);
}

export function afterResponse(context: TurnContext, task: AfterResponseTask): void {
  const tasks = context.turnState.get(AFTER_RESPONSE) as AfterResponseTask[] | undefined;
  if (!tasks) throw new Error('afterResponse() used outside TeamsBot.handle()');
  tasks.push(task);
}
