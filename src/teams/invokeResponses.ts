/**
 * Answers to `adaptiveCard/action` invokes (Universal Actions): a replacement card, a message, or an
 * error with a status and a sentence. Domain errors map to their status here, in one place; anything
 * unexpected becomes a polite "try again" message, never a 500.
 */
import { ActivityTypes, type TurnContext } from 'botbuilder';
import { DomainError } from '../domain/errors';
import { errorText, t, type Locale } from './i18n';
import type { AdaptiveCard } from './views';

const CARD = 'application/vnd.microsoft.card.adaptive';
const MESSAGE = 'application/vnd.microsoft.activity.message';
const ERROR = 'application/vnd.microsoft.error';

export type InvokeBody =
  | { statusCode: 200; type: typeof CARD; value: AdaptiveCard }
  | { statusCode: 200; type: typeof MESSAGE; value: string }
  | { statusCode: 400 | 403 | 404 | 409 | 412; type: typeof ERROR; value: { code: string; message: string } };

async function send(context: TurnContext, body: InvokeBody): Promise<void> {
  await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
}

export function sendCard(context: TurnContext, card: AdaptiveCard): Promise<void> {
  return send(context, { statusCode: 200, type: CARD, value: card });
}

export function sendMessage(context: TurnContext, text: string): Promise<void> {
  return send(context, { statusCode: 200, type: MESSAGE, value: text });
}

export function sendError(context: TurnContext, error: DomainError, locale: Locale): Promise<void> {
  return send(context, {
    statusCode: error.status,
    type: ERROR,
    value: { code: error.name, message: errorText(locale, error.messageKey, error.params) },
  });
}

/** Maps what a handler threw to an answer; returns true when the error was an expected domain error. */
export async function sendFailure(context: TurnContext, err: unknown, locale: Locale): Promise<boolean> {
  if (err instanceof DomainError) {
    await sendError(context, err, locale);
    return true;
  }
  await sendMessage(context, t(locale, 'error.tryAgain'));
  return false;
}
