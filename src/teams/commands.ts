/** Personal-chat commands: `request` opens the request form; `help` and anything else show the help card. */
import { MessageFactory, type TurnContext } from 'botbuilder';
import type { AppContext } from '../app/context';
import { requestableOptions } from '../app/eligibility';
import { aadObjectIdOf } from './activity';
import { localeOf, t } from './i18n';
import { cardAttachment, renderHelp, renderRequestForm } from './views';

export async function showRequestForm(ctx: AppContext, context: TurnContext): Promise<void> {
  const locale = localeOf(context.activity.locale);
  const userId = aadObjectIdOf(context.activity);
  const user = userId ? await ctx.directory.getUser(userId) : undefined;
  if (!user) {
    await context.sendActivity(t(locale, 'error.unknownUser'));
    return;
  }
  const options = await requestableOptions(ctx.catalog, ctx.directory, user);
  const card = renderRequestForm(
    {
      packages: options.map(({ entry, policy }) => ({
        id: entry.accessPackage.id,
        displayName: entry.accessPackage.displayName,
        description: entry.accessPackage.description,
        justificationRequired: policy.requestorJustificationRequired,
        datesAllowed: policy.requestorCanSpecifyDates,
      })),
    },
    locale,
  );
  await context.sendActivity(MessageFactory.attachment(cardAttachment(card)));
}

export async function showHelp(context: TurnContext): Promise<void> {
  await context.sendActivity(MessageFactory.attachment(cardAttachment(renderHelp(localeOf(context.activity.locale)))));
}

/** Outside personal chat the request commands do not apply: point people to the 1:1 chat. */
export async function showPersonalOnly(context: TurnContext): Promise<void> {
  await context.sendActivity(t(localeOf(context.activity.locale), 'message.personalChatOnly'));
}
