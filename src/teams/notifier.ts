/**
 * Proactive cards: renders a request's card for one person, in their locale, and posts or updates it
 * through the Bot Connector using the conversation reference stored when the bot last heard from them.
 */
import { MessageFactory, type CloudAdapter, type ConversationReference } from 'botbuilder';
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

  async update(posted: PostedCard, request: AccessRequest): Promise<void> {
    const record = await this.options.conversations.get('user', posted.recipientId);
    const content = this.render(posted.card, request, posted.recipientId, record?.locale);
    const reference = record?.reference ?? { serviceUrl: posted.serviceUrl, conversation: { id: posted.conversationId }, channelId: 'msteams' };
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
