/**
 * Personal-chat commands: `request` opens the request form, `status` lists my requests and access,
 * `cancel` lists what I can still cancel; `help` and anything else show the help card.
 */
import { MessageFactory, type TurnContext } from 'botbuilder';
import type { AppContext } from '../app/context';
import { requestableOptions } from '../app/eligibility';
import { failedRequestsForChannel } from '../app/failedRequests';
import { statusPage, type StatusCursor } from '../app/statusPage';
import { aadObjectIdOf, channelIdOf } from './activity';
import { localeOf, t, type Locale } from './i18n';
import { statusCursorToken } from './payloads';
import { isCancelable } from '../domain/lifecycle';
import {
  cardAttachment,
  renderCancelList,
  renderFailedRequests,
  renderHelp,
  renderMyRequests,
  renderRequestForm,
  type AdaptiveCard,
} from './views';

/** How many of a person's requests that are not over `cancel` lists, newest first (a card stays small). */
const CANCEL_LIST_LIMIT = 25;

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
  await sendCard(context, card);
}

export async function showHelp(context: TurnContext): Promise<void> {
  await sendCard(context, renderHelp(localeOf(context.activity.locale)));
}

/** Outside personal chat the request commands do not apply: point people to the 1:1 chat. */
export async function showPersonalOnly(context: TurnContext): Promise<void> {
  await context.sendActivity(t(localeOf(context.activity.locale), 'message.personalChatOnly'));
}

/** `failed` mentioned in a channel: the managers' card, as a reply in the thread it was asked in. */
export async function showFailedRequests(ctx: AppContext, context: TurnContext): Promise<void> {
  const channelId = channelIdOf(context.activity) ?? '';
  const { catalogIds, requests } = await failedRequestsForChannel(ctx, channelId);
  const catalogNames = ctx.catalog.file.catalogs.filter((c) => catalogIds.includes(c.id)).map((c) => c.displayName);
  await sendCard(context, renderFailedRequests({ catalogNames, requests, now: ctx.clock.now() }, localeOf(context.activity.locale)));
}

export async function showChannelHelp(context: TurnContext): Promise<void> {
  await context.sendActivity(t(localeOf(context.activity.locale), 'channel.help'));
}

async function sendCard(context: TurnContext, card: AdaptiveCard): Promise<void> {
  await context.sendActivity(MessageFactory.attachment(cardAttachment(card)));
}

/** A page of `status` (the first without a cursor; the "more" button's next ones with it). */
export async function myRequestsCard(ctx: AppContext, requesterId: string, locale: Locale, cursor?: StatusCursor): Promise<AdaptiveCard> {
  const page = await statusPage(ctx, requesterId, cursor);
  const more = page.next ? statusCursorToken(page.next) : undefined;
  return renderMyRequests({ requests: page.requests, notShown: page.notShown, more, continued: page.continued }, locale, { now: ctx.clock.now() });
}

export async function showMyRequests(ctx: AppContext, context: TurnContext): Promise<void> {
  const userId = aadObjectIdOf(context.activity);
  const locale = localeOf(context.activity.locale);
  await sendCard(context, userId ? await myRequestsCard(ctx, userId, locale) : renderMyRequests({ requests: [] }, locale, { now: ctx.clock.now() }));
}

export async function showCancelList(ctx: AppContext, context: TurnContext): Promise<void> {
  const userId = aadObjectIdOf(context.activity);
  // Only requests that are not over can be canceled: the per-requester index of those, however old they are.
  const requests = userId ? (await ctx.store.pageOfRequester(userId, { current: { limit: CANCEL_LIST_LIMIT } })).current : [];
  const cancelable = requests.filter(isCancelable);
  await sendCard(context, renderCancelList({ requests: cancelable }, localeOf(context.activity.locale), { now: ctx.clock.now() }));
}
