/**
 * Proactive cards: renders a request's card for one person, in their locale, and posts or updates it through the
 * Bot Connector, in the conversation stored when the bot last heard from them or one reached for them
 * (personalChats.ts). A stored conversation Teams says is gone is forgotten and the person reached again, once per
 * send. Every call is paced within Teams' rate limits and retried (connectorCalls.ts).
 */
import { Channels, MessageFactory, type Activity, type CloudAdapter, type ConversationParameters } from 'botbuilder';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import type { AccessRequest } from '../domain/request';
import type { Clock, ConversationRecord, ConversationStore, Notifier, PostedCard, SendOutcome, TeamsAppInstaller, UpdateOutcome } from '../app/ports';
import { ConnectorCalls, type PacingOptions } from './connectorCalls';
import { connectorRefusalOf, sendFailureOf } from './connectorErrors';
import { localeOf } from './i18n';
import { PersonalChats } from './personalChats';
import { refreshesForApprovers, requestCardFor } from './requestCards';
import { teamsUserIdsOf, type TeamsUserIds } from './teamsUserIds';
import { cardAttachment, type AdaptiveCard } from './views';

export interface TeamsNotifierOptions {
  adapter: CloudAdapter;
  botAppId: string;
  conversations: ConversationStore;
  catalog: CatalogIndex;
  clock: Clock;
  /** Where to reach Teams for someone the bot has not heard from yet (TEAMS_SERVICE_URL); else the tenant's latest serviceUrl. */
  teamsServiceUrl?: string;
  /** The tenant served (TENANT_ID), for new conversations when no record says which. */
  tenantId?: string;
  /** The Teams app's catalog id (TEAMS_APP_ID): installed for a person through Graph, whose chat with it is then the 1:1. */
  teamsAppId?: string;
  /** Installs the app and finds the chat with it (needed with teamsAppId). */
  installer?: TeamsAppInstaller;
  /** Pacing and retry timing (tests); default: Teams' limits on wall time. */
  pacing?: PacingOptions;
}

/** PostedCard.recipientId of a card posted to a channel. */
const CHANNEL_RECIPIENT_PREFIX = 'channel:';

/** Teams names a new channel thread `<channel id>;messageid=<id of its first message>`. */
function rootMessageIdOf(conversationId: string): string {
  return /;messageid=([^;]+)/.exec(conversationId)?.[1] ?? conversationId;
}

export class TeamsNotifier implements Notifier {
  private readonly calls: ConnectorCalls;
  private readonly chats: PersonalChats;
  private readonly teamsUserIds: TeamsUserIds;

  constructor(private readonly options: TeamsNotifierOptions) {
    this.calls = new ConnectorCalls(options.adapter, options.botAppId, options.pacing);
    this.teamsUserIds = teamsUserIdsOf(options.conversations);
    this.chats = new PersonalChats(this.calls, { ...options, teamsUserIds: this.teamsUserIds });
  }

  /**
   * Sends the card in the person's stored conversation, or reaches them first. When Teams says the stored
   * conversation is gone (404 ConversationNotFound, 403 BotNotInConversationRoster), the record is forgotten and
   * the person reached again, once: the outcome says it was sent after healing, or names both failures.
   */
  async post(recipientId: string, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    const stored = await this.options.conversations.get('user', recipientId);
    if (!stored) return (await this.reachAndSend(recipientId, card, request)).outcome;
    const first = await this.sendTo(stored, recipientId, card, request);
    if (!first.stale || first.outcome.status === 'sent') return first.outcome;
    const gone = `the stored conversation ${stored.conversationId} was gone (${first.outcome.reason})`;
    await this.options.conversations.delete('user', recipientId, stored.conversationId);
    const second = (await this.reachAndSend(recipientId, card, request)).outcome;
    if (second.status === 'sent') return { ...second, healed: `${gone}; reached again in ${second.card.conversationId}` };
    return { status: second.status, reason: `${gone}; reaching them again failed: ${second.reason}` };
  }

  private async reachAndSend(recipientId: string, card: CardKind, request: AccessRequest): Promise<{ outcome: SendOutcome; stale: boolean }> {
    const reached = await this.chats.reach(recipientId);
    if ('status' in reached) return { outcome: reached, stale: false };
    return this.sendTo(reached, recipientId, card, request);
  }

  /** One send in a known conversation; `stale` when Teams says that conversation is gone. */
  private async sendTo(record: ConversationRecord, recipientId: string, card: CardKind, request: AccessRequest): Promise<{ outcome: SendOutcome; stale: boolean }> {
    const content = await this.render(card, request, recipientId, record.locale);
    let activityId: string | undefined;
    let throttled: boolean;
    try {
      throttled = await this.calls.paced(record.tenantId, record.conversationId, () =>
        this.calls.continueConversation(record.reference, async (context) => {
          activityId = (await context.sendActivity(MessageFactory.attachment(cardAttachment(content))))?.id;
        }),
      );
    } catch (err) {
      const { failure, stale } = sendFailureOf(err, '');
      return { outcome: failure, stale };
    }
    if (!activityId) return { outcome: { status: 'failed', reason: 'the Bot Connector did not return an activity id for the sent card' }, stale: false };
    const posted = { recipientId, card, conversationId: record.conversationId, activityId, serviceUrl: record.serviceUrl };
    return { outcome: this.sent(posted, throttled), stale: false };
  }

  private sent(posted: Omit<PostedCard, 'postedBy' | 'postedAt'>, throttled: boolean): Extract<SendOutcome, { status: 'sent' }> {
    return { status: 'sent', ...(throttled ? { throttled } : {}), card: { ...posted, postedAt: this.options.clock.now().toISOString() } };
  }

  /** A new thread in the channel, through the Bot Connector (`POST /v3/conversations`). */
  async postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    const record = await this.options.conversations.get('channel', channel.channelId);
    const serviceUrl = record?.serviceUrl ?? this.options.teamsServiceUrl;
    if (!serviceUrl) return { status: 'notInstalled', reason: 'the bot has not heard from this channel and TEAMS_SERVICE_URL is not set' };
    const recipientId = `${CHANNEL_RECIPIENT_PREFIX}${channel.channelId}`;
    const content = await this.render(card, request, recipientId, record?.locale);
    const tenantId = record?.tenantId ?? this.options.tenantId;
    const parameters: ConversationParameters = {
      isGroup: true,
      bot: { id: `28:${this.options.botAppId}`, name: '' },
      channelData: { channel: { id: channel.channelId }, team: { id: channel.teamId }, ...(tenantId ? { tenant: { id: tenantId } } : {}) },
      activity: MessageFactory.attachment(cardAttachment(content)) as Activity,
      ...(tenantId ? { tenantId } : {}),
    };
    let conversationId: string | undefined;
    let throttled: boolean;
    try {
      throttled = await this.calls.paced(tenantId, channel.channelId, () =>
        this.calls.createConversation(serviceUrl, parameters, async (context) => {
          conversationId = context.activity.conversation?.id;
        }),
      );
    } catch (err) {
      return sendFailureOf(err, ' (is the bot installed in the team?)').failure;
    }
    if (!conversationId) return { status: 'failed', reason: 'the Bot Connector did not return a conversation id for the channel thread' };
    return this.sent({ recipientId, card, conversationId, activityId: rootMessageIdOf(conversationId), serviceUrl }, throttled);
  }

  /**
   * Replaces a person's card in the conversation it was posted to (at the latest serviceUrl known for them). A
   * conversation Teams says is gone is forgotten (when the stored record still names it) and reported, not retried.
   */
  async update(posted: PostedCard, request: AccessRequest): Promise<UpdateOutcome> {
    if (posted.recipientId.startsWith(CHANNEL_RECIPIENT_PREFIX)) return this.updateInChannel(posted, request);
    const record = await this.options.conversations.get('user', posted.recipientId);
    const content = await this.render(posted.card, request, posted.recipientId, record?.locale);
    const sameConversation = record?.conversationId === posted.conversationId;
    const reference = sameConversation
      ? record.reference
      : { serviceUrl: record?.serviceUrl ?? posted.serviceUrl, conversation: { id: posted.conversationId }, channelId: Channels.Msteams };
    const outcome = await this.replace(reference, posted, content, record?.tenantId);
    if (outcome.status === 'unreachable' && outcome.stale && sameConversation) {
      await this.options.conversations.delete('user', posted.recipientId, posted.conversationId);
      return { status: 'unreachable', reason: `${outcome.reason}; the stored conversation was forgotten, the next card reaches them again` };
    }
    return outcome.status === 'updated' ? { status: 'updated' } : { status: 'unreachable', reason: outcome.reason };
  }

  /** A channel card lives in its own thread: update it there, in the channel's locale if it is known. */
  private async updateInChannel(posted: PostedCard, request: AccessRequest): Promise<UpdateOutcome> {
    const record = await this.options.conversations.get('channel', posted.recipientId.slice(CHANNEL_RECIPIENT_PREFIX.length));
    const content = await this.render(posted.card, request, posted.recipientId, record?.locale);
    const reference = {
      serviceUrl: record?.serviceUrl ?? posted.serviceUrl,
      conversation: { id: posted.conversationId, isGroup: true, conversationType: 'channel' },
      channelId: Channels.Msteams,
    };
    const outcome = await this.replace(reference, posted, content, record?.tenantId);
    return outcome.status === 'updated' ? { status: 'updated' } : { status: 'unreachable', reason: outcome.reason };
  }

  /**
   * `PUT /v3/conversations/{id}/activities/{activityId}`. A refusal no retry can fix (a 4xx other than 412/429:
   * the conversation or the message is gone, the bot is out of it, it is blocked) is answered as unreachable;
   * anything else is thrown after the retries.
   */
  private async replace(
    reference: Record<string, unknown>,
    posted: PostedCard,
    content: AdaptiveCard,
    tenantId: string | undefined,
  ): Promise<{ status: 'updated' } | { status: 'unreachable'; reason: string; stale: boolean }> {
    const activity = { ...MessageFactory.attachment(cardAttachment(content)), id: posted.activityId };
    try {
      await this.calls.paced(tenantId ?? this.options.tenantId, posted.conversationId, () =>
        this.calls.continueConversation(reference, async (context) => {
          await context.updateActivity(activity);
        }),
      );
      return { status: 'updated' };
    } catch (err) {
      const refusal = connectorRefusalOf(err);
      if (refusal.status === undefined || refusal.status < 400 || refusal.status >= 500) throw err;
      return { status: 'unreachable', reason: `${refusal.description} (updating ${posted.card} in ${posted.conversationId})`, stale: refusal.kind === 'stale' };
    }
  }

  /** The card for one viewer; an approval card's `refresh` names the approvers by their Teams user ids, resolved first. */
  private async render(card: CardKind, request: AccessRequest, viewerId: string, teamsLocale?: string): Promise<AdaptiveCard> {
    const viewer = { id: viewerId, locale: localeOf(teamsLocale) };
    const teamsUserIds = refreshesForApprovers(card) ? await this.teamsUserIds.forApprovers(request) : undefined;
    return requestCardFor(this.options.catalog, card, request, viewer, this.options.clock.now(), teamsUserIds);
  }
}
