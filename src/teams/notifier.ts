/**
 * Proactive cards: renders a request's card for one person, in their locale, and posts or updates it
 * through the Bot Connector using the conversation reference stored when the bot last heard from them. For
 * someone it never heard from, it installs the app for them (TEAMS_APP_ID) and creates the 1:1 conversation.
 * Every Bot Connector call is paced within Teams' rate limits and retried on 429/412/502/503/504.
 */
import { Channels, MessageFactory, TurnContext, type Activity, type CloudAdapter, type ConversationParameters, type ConversationReference } from 'botbuilder';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import type { AccessRequest } from '../domain/request';
import type { Clock, ConversationRecord, ConversationStore, Notifier, PostedCard, SendOutcome, TeamsAppInstaller } from '../app/ports';
import { ANY_TENANT } from './conversationRecorder';
import { localeOf } from './i18n';
import { requestCardFor } from './requestCards';
import { SendPacer, systemPacerTime, TEAMS_LIMITS, type PacerTime, type PacingLimits } from './sendPacer';
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
  /** The Teams app's catalog id (TEAMS_APP_ID): installed for a person through Graph before a 1:1 with them is created. */
  teamsAppId?: string;
  /** Installs the app (needed with teamsAppId). */
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

/** Answers worth trying again: throttled (429, after Retry-After), and 412/502/503/504 with backoff. */
const RETRIED_STATUS = new Set([429, 412, 502, 503, 504]);


function statusCodeOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The Bot Connector's error code (`ConversationBlockedByUser`, `BotDisabledByAdmin`, ...), from the parsed body or the message. */
function errorCodeOf(err: unknown): string {
  const details = (err as { details?: { error?: { code?: unknown }; code?: unknown } })?.details;
  const code = details?.error?.code ?? details?.code;
  if (typeof code === 'string') return code;
  const message = err instanceof Error ? err.message : String(err);
  return /\b(ConversationBlockedByUser|BotDisabledByAdmin|BotNotInConversationRoster)\b/.exec(message)?.[1] ?? '';
}

function retryAfterInMsOf(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: { get?(name: string): string | undefined } } })?.response?.headers;
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : undefined;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeError(err: unknown): string {
  const status = statusCodeOf(err);
  const code = errorCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return status === undefined ? message : `Bot Connector ${status}${code ? ` ${code}` : ''}: ${message}`;
}

/** A failed send after its retries, as the outcome the audit trail records. */
function failureOutcome(err: unknown, where: string): Exclude<SendOutcome, { status: 'sent' }> {
  const status = statusCodeOf(err);
  const code = errorCodeOf(err);
  const reason = `${describeError(err)}${where}`;
  if (status === 403 && code === 'ConversationBlockedByUser') return { status: 'blocked', reason };
  if (status === 403 || status === 404) return { status: 'notInstalled', reason };
  return { status: 'failed', reason };
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

  constructor(private readonly options: TeamsNotifierOptions) {
    this.time = options.pacing?.time ?? systemPacerTime;
    this.pacer = new SendPacer(options.pacing?.limits ?? TEAMS_LIMITS, this.time);
    this.retry = { ...DEFAULT_RETRY, ...options.pacing?.retry };
  }

  async post(recipientId: string, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    let record = await this.options.conversations.get('user', recipientId);
    if (!record) {
      const reached = await this.reach(recipientId);
      if ('status' in reached) return reached;
      record = reached;
    }
    const content = this.render(card, request, recipientId, record.locale);
    let activityId: string | undefined;
    let throttled: boolean;
    try {
      throttled = await this.paced(record.tenantId, record.conversationId, () =>
        this.continueConversation(record.reference, async (context) => {
          activityId = (await context.sendActivity(MessageFactory.attachment(cardAttachment(content))))?.id;
        }),
      );
    } catch (err) {
      return failureOutcome(err, '');
    }
    if (!activityId) return { status: 'failed', reason: 'the Bot Connector did not return an activity id for the sent card' };
    return this.sent({ recipientId, card, conversationId: record.conversationId, activityId, serviceUrl: record.serviceUrl }, throttled);
  }

  private sent(posted: Omit<PostedCard, 'postedBy' | 'postedAt'>, throttled: boolean): SendOutcome {
    return { status: 'sent', ...(throttled ? { throttled } : {}), card: { ...posted, postedAt: this.options.clock.now().toISOString() } };
  }

  /**
   * Someone the bot never heard from: install the app for them (with TEAMS_APP_ID), create the 1:1 conversation
   * through the Bot Connector (TEAMS_SERVICE_URL, or the latest serviceUrl seen from the tenant) and remember it,
   * so the next card goes straight there.
   */
  private async reach(recipientId: string): Promise<ConversationRecord | Exclude<SendOutcome, { status: 'sent' }>> {
    const tenantRecord = await this.options.conversations.get('tenant', this.options.tenantId ?? ANY_TENANT);
    const tenantId = this.options.tenantId ?? tenantRecord?.tenantId;
    const serviceUrl = this.options.teamsServiceUrl ?? tenantRecord?.serviceUrl;
    if (!serviceUrl) {
      return { status: 'notInstalled', reason: 'the bot has no conversation with this person, and no serviceUrl to create one (set TEAMS_SERVICE_URL)' };
    }
    const { teamsAppId, installer } = this.options;
    if (teamsAppId && installer) {
      try {
        await installer.install(recipientId, teamsAppId);
      } catch (err) {
        const status = (err as { statusCode?: unknown }).statusCode;
        const reason = `installing the Teams app failed: ${err instanceof Error ? err.message : String(err)}`;
        return status === 403 || status === 404 ? { status: 'notInstalled', reason } : { status: 'failed', reason };
      }
    }
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
      return failureOutcome(err, ' (creating the 1:1 conversation)');
    }
    const conversationId = reference?.conversation?.id;
    if (!reference || !conversationId) return { status: 'failed', reason: 'the Bot Connector did not return a conversation id for the new 1:1 conversation' };
    const record: ConversationRecord = {
      key: recipientId,
      kind: 'user',
      ...(tenantId ? { tenantId } : {}),
      serviceUrl,
      conversationId,
      reference: JSON.parse(JSON.stringify({ ...reference, serviceUrl })) as Record<string, unknown>,
      updatedAt: this.options.clock.now().toISOString(),
    };
    await this.options.conversations.upsert(record);
    return record;
  }

  /** A new thread in the channel, through the Bot Connector (`POST /v3/conversations`). */
  async postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    const record = await this.options.conversations.get('channel', channel.channelId);
    const serviceUrl = record?.serviceUrl ?? this.options.teamsServiceUrl;
    if (!serviceUrl) return { status: 'notInstalled', reason: 'the bot has not heard from this channel and TEAMS_SERVICE_URL is not set' };
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
    let throttled: boolean;
    try {
      throttled = await this.paced(tenantId, channel.channelId, () =>
        this.options.adapter.createConversationAsync(this.options.botAppId, Channels.Msteams, serviceUrl, ADAPTER_AUDIENCE, parameters, async (context) => {
          conversationId = context.activity.conversation?.id;
        }),
      );
    } catch (err) {
      return failureOutcome(err, ' (is the bot installed in the team?)');
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

  async update(posted: PostedCard, request: AccessRequest): Promise<void> {
    if (posted.recipientId.startsWith(CHANNEL_RECIPIENT_PREFIX)) return this.updateInChannel(posted, request);
    const record = await this.options.conversations.get('user', posted.recipientId);
    const content = this.render(posted.card, request, posted.recipientId, record?.locale);
    const reference = record?.reference ?? { serviceUrl: posted.serviceUrl, conversation: { id: posted.conversationId }, channelId: 'msteams' };
    const activity = { ...MessageFactory.attachment(cardAttachment(content)), id: posted.activityId };
    await this.paced(record?.tenantId ?? this.options.tenantId, posted.conversationId, () =>
      this.continueConversation(reference, async (context) => {
        await context.updateActivity(activity);
      }),
    );
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
    await this.paced(record?.tenantId ?? this.options.tenantId, posted.conversationId, () =>
      this.continueConversation(reference, async (context) => {
        await context.updateActivity(activity);
      }),
    );
  }

  private render(card: CardKind, request: AccessRequest, viewerId: string, teamsLocale?: string): AdaptiveCard {
    const viewer = { id: viewerId, locale: localeOf(teamsLocale) };
    return requestCardFor(this.options.catalog, card, request, viewer, this.options.clock.now());
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
