/**
 * Proactive cards: renders a request's card for one person, in their locale, and posts or updates it
 * through the Bot Connector using the conversation reference stored when the bot last heard from them. For
 * someone it never heard from, it installs the app for them and finds their chat with it through Graph
 * (TEAMS_APP_ID), or creates the 1:1 conversation; a stored conversation Teams says is gone is forgotten and the
 * person reached again, once per send. Every Bot Connector call is paced within Teams' rate limits and retried on
 * 429/412/502/503/504.
 */
import { Channels, MessageFactory, TeamsInfo, TurnContext, type Activity, type CloudAdapter, type ConversationParameters, type ConversationReference } from 'botbuilder';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import type { AccessRequest } from '../domain/request';
import type { Clock, ConversationRecord, ConversationStore, Notifier, PostedCard, SendOutcome, TeamsAppInstaller, UpdateOutcome } from '../app/ports';
import { connectorRefusalOf, RETRIED_STATUS, retryAfterInMsOf, statusCodeOf } from './connectorErrors';
import { ANY_TENANT } from './conversationRecorder';
import { localeOf } from './i18n';
import { refreshesForApprovers, requestCardFor } from './requestCards';
import { SendPacer, systemPacerTime, TEAMS_LIMITS, type PacerTime, type PacingLimits } from './sendPacer';
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
  pacing?: { limits?: PacingLimits; time?: PacerTime; retry?: Partial<RetrySettings> };
}

export interface RetrySettings {
  /** Retries after the first attempt (429 and 412/502/503/504). */
  maxRetries: number;
  /** Backoff of the first retry when Teams does not say (Retry-After); doubles each time. */
  baseDelayInMs: number;
  /** No wait is longer, whatever Retry-After says. */
  maxDelayInMs: number;
}

const DEFAULT_RETRY: RetrySettings = { maxRetries: 4, baseDelayInMs: 500, maxDelayInMs: 30_000 };

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

type Failure = Exclude<SendOutcome, { status: 'sent' }>;

/** A 1:1 conversation found or created for a person: its reference and id. */
interface Conversation {
  reference: Record<string, unknown>;
  conversationId: string;
}

/** A failed send after its retries, as the outcome the audit trail records; `stale` when the conversation is gone. */
function failureOf(err: unknown, where: string): { failure: Failure; stale: boolean } {
  const refusal = connectorRefusalOf(err);
  const reason = `${refusal.description}${where}`;
  const status = refusal.kind === 'stale' ? 'notInstalled' : refusal.kind;
  return { failure: { status, reason }, stale: refusal.kind === 'stale' };
}

/** Why a Graph call of the proactive install failed, as a send outcome: a 404/403 means the bot cannot reach them this way. */
function installFailure(err: unknown, what: string, teamsAppId: string): Failure {
  const status = statusCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 404) {
    return { status: 'notInstalled', reason: `${what} failed: the Teams app ${teamsAppId} (TEAMS_APP_ID) is not in the tenant's app catalog, or the person does not exist (${message})` };
  }
  if (status === 403) return { status: 'notInstalled', reason: `${what} failed: Graph refused it (permission TeamsAppInstallation.ReadWriteSelfForUser.All?) (${message})` };
  return { status: 'failed', reason: `${what} failed: ${message}` };
}

/**
 * The SDK's HTTP pipeline retries 429/5xx by itself, out of sight: those retries would bypass the pacer and hide
 * the throttling. A connector client used for a proactive send gets them removed, so `paced` below does them.
 */
function withoutSdkRetries(adapter: CloudAdapter, context: TurnContext): void {
  const client = context.turnState.get<{ client?: { pipeline?: { removePolicy(policy: { name: string }): unknown } } }>(adapter.ConnectorClientKey);
  client?.client?.pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
}

export class TeamsNotifier implements Notifier {
  private readonly pacer: SendPacer;
  private readonly time: PacerTime;
  private readonly retry: RetrySettings;
  private readonly teamsUserIds: TeamsUserIds;

  constructor(private readonly options: TeamsNotifierOptions) {
    this.time = options.pacing?.time ?? systemPacerTime;
    this.pacer = new SendPacer(options.pacing?.limits ?? TEAMS_LIMITS, this.time);
    this.retry = { ...DEFAULT_RETRY, ...options.pacing?.retry };
    this.teamsUserIds = teamsUserIdsOf(options.conversations);
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
    const reached = await this.reach(recipientId);
    if ('status' in reached) return { outcome: reached, stale: false };
    return this.sendTo(reached, recipientId, card, request);
  }

  /** One send in a known conversation; `stale` when Teams says that conversation is gone. */
  private async sendTo(record: ConversationRecord, recipientId: string, card: CardKind, request: AccessRequest): Promise<{ outcome: SendOutcome; stale: boolean }> {
    const content = await this.render(card, request, recipientId, record.locale);
    let activityId: string | undefined;
    let throttled: boolean;
    try {
      throttled = await this.paced(record.tenantId, record.conversationId, () =>
        this.continueConversation(record.reference, async (context) => {
          activityId = (await context.sendActivity(MessageFactory.attachment(cardAttachment(content))))?.id;
        }),
      );
    } catch (err) {
      const { failure, stale } = failureOf(err, '');
      return { outcome: failure, stale };
    }
    if (!activityId) return { outcome: { status: 'failed', reason: 'the Bot Connector did not return an activity id for the sent card' }, stale: false };
    const posted = { recipientId, card, conversationId: record.conversationId, activityId, serviceUrl: record.serviceUrl };
    return { outcome: this.sent(posted, throttled), stale: false };
  }

  private sent(posted: Omit<PostedCard, 'postedBy' | 'postedAt'>, throttled: boolean): Extract<SendOutcome, { status: 'sent' }> {
    return { status: 'sent', ...(throttled ? { throttled } : {}), card: { ...posted, postedAt: this.options.clock.now().toISOString() } };
  }

  /**
   * Someone the bot has no conversation with: with TEAMS_APP_ID, installs the app for them and takes the id of
   * their chat with it from Graph (Teams' documented proactive install); without, creates the 1:1 through the
   * Bot Connector. Either way at TEAMS_SERVICE_URL or the latest serviceUrl seen from the tenant; the person's Teams
   * user id is looked up, and the conversation remembered, so the next card goes straight there.
   */
  private async reach(recipientId: string): Promise<ConversationRecord | Failure> {
    const tenantRecord = await this.options.conversations.get('tenant', this.options.tenantId ?? ANY_TENANT);
    const tenantId = this.options.tenantId ?? tenantRecord?.tenantId;
    const serviceUrl = this.options.teamsServiceUrl ?? tenantRecord?.serviceUrl;
    if (!serviceUrl) {
      return { status: 'notInstalled', reason: 'the bot has no conversation with this person, and no serviceUrl to create one (set TEAMS_SERVICE_URL)' };
    }
    const { teamsAppId, installer } = this.options;
    const found = teamsAppId && installer
      ? await this.chatThroughGraph(installer, teamsAppId, recipientId, serviceUrl, tenantId)
      : await this.createConversation(recipientId, serviceUrl, tenantId);
    if ('status' in found) return found;
    const { reference, conversationId } = found;
    const teamsUserId = await this.lookUpTeamsUserId(reference, tenantId, conversationId, recipientId);
    const record: ConversationRecord = {
      key: recipientId,
      kind: 'user',
      ...(tenantId ? { tenantId } : {}),
      ...(teamsUserId ? { teamsUserId } : {}),
      serviceUrl,
      conversationId,
      reference: JSON.parse(JSON.stringify({ ...reference, serviceUrl, ...(teamsUserId ? { user: { id: teamsUserId, aadObjectId: recipientId } } : {}) })) as Record<string, unknown>,
      updatedAt: this.options.clock.now().toISOString(),
    };
    await this.options.conversations.upsert(record);
    return record;
  }

  /**
   * "Send proactive installation messages": `POST /users/{id}/teamwork/installedApps` (409: installed already),
   * then the installation's chat with the person, whose id is the 1:1 conversation id.
   */
  private async chatThroughGraph(
    installer: TeamsAppInstaller,
    teamsAppId: string,
    recipientId: string,
    serviceUrl: string,
    tenantId: string | undefined,
  ): Promise<Conversation | Failure> {
    try {
      await installer.install(recipientId, teamsAppId);
    } catch (err) {
      return installFailure(err, 'installing the Teams app', teamsAppId);
    }
    let chatId: string | undefined;
    try {
      chatId = await installer.chatIdFor(recipientId, teamsAppId);
    } catch (err) {
      return installFailure(err, 'finding the chat with the installed Teams app', teamsAppId);
    }
    if (!chatId) return { status: 'failed', reason: `Graph listed no installation of the Teams app ${teamsAppId}, or no chat with it, after installing it` };
    const reference = {
      channelId: Channels.Msteams,
      serviceUrl,
      bot: { id: `28:${this.options.botAppId}`, name: '' },
      conversation: { id: chatId, conversationType: 'personal', isGroup: false, ...(tenantId ? { tenantId } : {}) },
    };
    return { reference, conversationId: chatId };
  }

  /** `POST /v3/conversations` with the person (`isGroup: false`, their object id, the tenant). */
  private async createConversation(recipientId: string, serviceUrl: string, tenantId: string | undefined): Promise<Conversation | Failure> {
    const parameters: ConversationParameters = {
      isGroup: false,
      bot: { id: `28:${this.options.botAppId}`, name: '' },
      members: [{ id: recipientId, name: '' }],
      ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
    } as ConversationParameters;
    let reference: Partial<ConversationReference> | undefined;
    try {
      await this.paced(tenantId, undefined, () =>
        this.options.adapter.createConversationAsync(this.options.botAppId, Channels.Msteams, serviceUrl, ADAPTER_AUDIENCE, parameters, async (context) => {
          reference = TurnContext.getConversationReference(context.activity);
        }),
      );
    } catch (err) {
      return failureOf(err, ' (creating the 1:1 conversation)').failure;
    }
    const conversationId = reference?.conversation?.id;
    if (!reference || !conversationId) return { status: 'failed', reason: 'the Bot Connector did not return a conversation id for the new 1:1 conversation' };
    return { reference: reference as Record<string, unknown>, conversationId };
  }

  /**
   * The person's Teams user id (`GET /v3/conversations/{id}/members/{object id}`), for cards' `refresh.userIds`.
   * Best effort: without it the card still goes out, and the person's MRI is learnt when they next write to the bot.
   */
  private async lookUpTeamsUserId(reference: Record<string, unknown>, tenantId: string | undefined, conversationId: string, recipientId: string): Promise<string | undefined> {
    let id: unknown;
    try {
      await this.paced(tenantId, conversationId, () =>
        this.continueConversation(reference, async (context) => {
          id = (await TeamsInfo.getMember(context, recipientId))?.id;
        }),
      );
    } catch {
      return undefined;
    }
    if (typeof id !== 'string' || !id.startsWith('29:')) return undefined;
    this.teamsUserIds.remember(recipientId, id);
    return id;
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
      throttled = await this.paced(tenantId, channel.channelId, () =>
        this.options.adapter.createConversationAsync(this.options.botAppId, Channels.Msteams, serviceUrl, ADAPTER_AUDIENCE, parameters, async (context) => {
          conversationId = context.activity.conversation?.id;
        }),
      );
    } catch (err) {
      return failureOf(err, ' (is the bot installed in the team?)').failure;
    }
    if (!conversationId) return { status: 'failed', reason: 'the Bot Connector did not return a conversation id for the channel thread' };
    return this.sent({ recipientId, card, conversationId, activityId: rootMessageIdOf(conversationId), serviceUrl }, throttled);
  }

  /**
   * One Bot Connector call within Teams' limits: waits for the pacer, and retries 429 (after Retry-After) and
   * 412/502/503/504 (with backoff) up to `maxRetries` times. Resolves with whether Teams throttled it (429)
   * before it went through; rethrows the last failure.
   */
  private async paced(tenantId: string | undefined, conversationId: string | undefined, call: () => Promise<void>): Promise<boolean> {
    let throttled = false;
    for (let attempt = 0; ; attempt++) {
      await this.pacer.acquire(tenantId ?? ANY_TENANT, conversationId);
      try {
        await call();
        return throttled;
      } catch (err) {
        const status = statusCodeOf(err);
        if (status === undefined || !RETRIED_STATUS.has(status) || attempt >= this.retry.maxRetries) throw err;
        if (status === 429) throttled = true;
        const backoff = this.retry.baseDelayInMs * 2 ** attempt;
        const wait = (status === 429 ? retryAfterInMsOf(err) : undefined) ?? backoff;
        await this.time.sleep(Math.min(wait, this.retry.maxDelayInMs));
      }
    }
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
      await this.paced(tenantId ?? this.options.tenantId, posted.conversationId, () =>
        this.continueConversation(reference, async (context) => {
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

  private async continueConversation(
    reference: Record<string, unknown>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    // The adapter's onTurnError would swallow a failed send: keep it, and throw it here, where it is handled.
    const failure: { error?: unknown } = {};
    await this.options.adapter.continueConversationAsync(this.options.botAppId, reference as Partial<ConversationReference>, async (context) => {
      withoutSdkRetries(this.options.adapter, context);
      try {
        await logic(context);
      } catch (error) {
        failure.error = error ?? new Error('the send failed');
      }
    });
    if ('error' in failure) throw failure.error;
  }
}
