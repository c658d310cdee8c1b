/**
 * Proactive cards: renders a request's card for one person, in their locale, and posts or updates it
 * through the Bot Connector using the conversation reference stored when the bot last heard from them.
 */
import { Channels, MessageFactory, type Activity, type CloudAdapter, type ConversationParameters, type ConversationReference } from 'botbuilder';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import type { AccessRequest } from '../domain/request';
import type { Clock, ConversationStore, Notifier, PostedCard, SendOutcome } from '../app/ports';
import { localeOf } from './i18n';
import { requestCardFor } from './requestCards';
import { cardAttachment, type AdaptiveCard } from './views';

export interface TeamsNotifierOptions {
  adapter: CloudAdapter;
  botAppId: string;
  conversations: ConversationStore;
  catalog: CatalogIndex;
  clock: Clock;
  /** Where to reach Teams for a channel the bot has not heard from yet (TEAMS_SERVICE_URL). */
  teamsServiceUrl?: string;
  /** The tenant served (TENANT_ID), for channel posts when the channel's record does not say. */
  tenantId?: string;
}

/** PostedCard.recipientId of a card posted to a channel. */
const CHANNEL_RECIPIENT_PREFIX = 'channel:';

/**
 * The SDK declares `audience` a string, but null/undefined is what selects the adapter's own OAuth scope
 * (TeamsInfo.sendMessageToTeamsChannel passes null): a fixed string would be wrong in sovereign clouds.
 */
const ADAPTER_AUDIENCE = undefined as unknown as string;

/** Teams names a new channel thread `<channel id>;messageid=<id of its first message>`. */
function rootMessageIdOf(conversationId: string): string {
  return /;messageid=([^;]+)/.exec(conversationId)?.[1] ?? conversationId;
}

/** Bot Connector answers meaning "this person cannot be reached": blocked or uninstalled (403), no such conversation (404). */
const UNREACHABLE_STATUS = new Set([403, 404]);

function statusCodeOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export class TeamsNotifier implements Notifier {
  constructor(private readonly options: TeamsNotifierOptions) {}

  async post(recipientId: string, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    const record = await this.options.conversations.get('user', recipientId);
    if (!record) return { status: 'unreachable', reason: 'the bot has no conversation with this person yet' };
    const content = this.render(card, request, recipientId, record.locale);
    let activityId: string | undefined;
    try {
      await this.continueConversation(record.reference, async (context) => {
        activityId = (await context.sendActivity(MessageFactory.attachment(cardAttachment(content))))?.id;
      });
    } catch (err) {
      const status = statusCodeOf(err);
      if (status !== undefined && UNREACHABLE_STATUS.has(status)) {
        return { status: 'unreachable', reason: `Bot Connector answered ${status}` };
      }
      throw err;
    }
    if (!activityId) throw new Error('the Bot Connector did not return an activity id for the sent card');
    return {
      status: 'sent',
      card: {
        recipientId,
        card,
        conversationId: record.conversationId,
        activityId,
        serviceUrl: record.serviceUrl,
        postedAt: this.options.clock.now().toISOString(),
      },
    };
  }

  /** A new thread in the channel, through the Bot Connector (`POST /v3/conversations`). */
  async postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    const record = await this.options.conversations.get('channel', channel.channelId);
    const serviceUrl = record?.serviceUrl ?? this.options.teamsServiceUrl;
    if (!serviceUrl) return { status: 'unreachable', reason: 'the bot has not heard from this channel and TEAMS_SERVICE_URL is not set' };
    const recipientId = `${CHANNEL_RECIPIENT_PREFIX}${channel.channelId}`;
    const content = this.render(card, request, recipientId, record?.locale);
    const tenantId = record?.tenantId ?? this.options.tenantId;
    const parameters: ConversationParameters = {
      isGroup: true,
      bot: { id: `28:${this.options.botAppId}`, name: '' },
      channelData: { channel: { id: channel.channelId }, team: { id: channel.teamId }, ...(tenantId ? { tenant: { id: tenantId } } : {}) },
      activity: MessageFactory.attachment(cardAttachment(content)) as Activity,
      ...(tenantId ? { tenantId } : {}),
    };
    let conversationId: string | undefined;
    try {
      await this.options.adapter.createConversationAsync(this.options.botAppId, Channels.Msteams, serviceUrl, ADAPTER_AUDIENCE, parameters, async (context) => {
        conversationId = context.activity.conversation?.id;
      });
    } catch (err) {
      const status = statusCodeOf(err);
      if (status !== undefined && UNREACHABLE_STATUS.has(status)) {
        return { status: 'unreachable', reason: `Bot Connector answered ${status} (is the bot installed in the team?)` };
      }
      throw err;
    }
    if (!conversationId) throw new Error('the Bot Connector did not return a conversation id for the channel thread');
    return {
      status: 'sent',
      card: {
        recipientId,
        card,
        conversationId,
        activityId: rootMessageIdOf(conversationId),
        serviceUrl,
        postedAt: this.options.clock.now().toISOString(),
      },
    };
  }

  async update(posted: PostedCard, request: AccessRequest): Promise<void> {
    if (posted.recipientId.startsWith(CHANNEL_RECIPIENT_PREFIX)) return this.updateInChannel(posted, request);
    const record = await this.options.conversations.get('user', posted.recipientId);
    const content = this.render(posted.card, request, posted.recipientId, record?.locale);
    const reference = record?.reference ?? { serviceUrl: posted.serviceUrl, conversation: { id: posted.conversationId }, channelId: 'msteams' };
    const activity = { ...MessageFactory.attachment(cardAttachment(content)), id: posted.activityId };
    await this.continueConversation(reference, async (context) => {
      await context.updateActivity(activity);
    });
  }

  /** A channel card lives in its own thread: update it there, in the channel's locale if it is known. */
  private async updateInChannel(posted: PostedCard, request: AccessRequest): Promise<void> {
    const record = await this.options.conversations.get('channel', posted.recipientId.slice(CHANNEL_RECIPIENT_PREFIX.length));
    const content = this.render(posted.card, request, posted.recipientId, record?.locale);
    const reference = {
      serviceUrl: record?.serviceUrl ?? posted.serviceUrl,
      conversation: { id: posted.conversationId, isGroup: true, conversationType: 'channel' },
      channelId: Channels.Msteams,
    };
    const activity = { ...MessageFactory.attachment(cardAttachment(content)), id: posted.activityId };
    await this.continueConversation(reference, async (context) => {
      await context.updateActivity(activity);
    });
  }

  private render(card: CardKind, request: AccessRequest, viewerId: string, teamsLocale?: string): AdaptiveCard {
    const viewer = { id: viewerId, locale: localeOf(teamsLocale) };
    return requestCardFor(this.options.catalog, card, request, viewer, this.options.clock.now());
  }

  private continueConversation(
    reference: Record<string, unknown>,
    logic: Parameters<CloudAdapter['continueConversationAsync']>[2],
  ): Promise<void> {
    return this.options.adapter.continueConversationAsync(this.options.botAppId, reference as Partial<ConversationReference>, logic);
  }
}
