/**
 * A small fake of the Bot Framework Connector service: a real HTTP server that accepts what the bot
 * sends (new messages, replies, card updates) and records it, as Teams' connector would. It answers the member
 * lookup (`GET /v3/conversations/{id}/members/{memberId}`) and refuses sends the way Teams documents: the error
 * codes of "Status codes from bot conversational APIs"
 * (https://learn.microsoft.com/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis)
 * in `{"error":{"code","message"}}`, and MessageWritesBlocked in the body shown by "Understand who blocked, muted,
 * or uninstalled a bot" (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A documented refusal of the Bot Connector, by its error code. */
export type ConnectorRefusal =
  | 'ConversationBlockedByUser'
  | 'BotNotInConversationRoster'
  | 'BotDisabledByAdmin'
  | 'ForbiddenOperationException'
  | 'ConversationNotFound'
  | 'MessageWritesBlocked';

const REFUSALS: Record<ConnectorRefusal, { status: number; body: unknown }> = {
  ConversationBlockedByUser: { status: 403, body: { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } } },
  BotNotInConversationRoster: { status: 403, body: { error: { code: 'BotNotInConversationRoster', message: "The bot isn't part of the conversation roster." } } },
  BotDisabledByAdmin: { status: 403, body: { error: { code: 'BotDisabledByAdmin', message: 'The tenant admin disabled this bot' } } },
  ForbiddenOperationException: { status: 403, body: { error: { code: 'ForbiddenOperationException', message: "Bot isn't installed in user's personal scope" } } },
  ConversationNotFound: { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } },
  // Verbatim shape of the documented example: the subCode sits in a JSON text inside `message`.
  MessageWritesBlocked: {
    status: 403,
    body: {
      errorCode: 209,
      message: '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
    },
  },
};

/**
 * A person's Teams user id (MRI) as this fake hands it out: `29:` and an opaque string, never the object id
 * itself, like Teams' own (`29:1GcS4EyB_…`). teamsClient.ts sends activities from the same id.
 */
export function teamsUserIdOf(aadObjectId: string): string {
  return `29:1${Buffer.from(aadObjectId.toLowerCase()).toString('base64url')}`;
}

/** The object id behind a member id: an object id, or an MRI of `teamsUserIdOf`. */
function aadObjectIdOf(memberId: string): string {
  if (!memberId.startsWith('29:1')) return memberId.replace(/^29:/, '').toLowerCase();
  return Buffer.from(memberId.slice(4), 'base64url').toString('utf8');
}

export interface SentActivity {
  /** 'create': a new conversation (`POST /v3/conversations`), e.g. a new thread in a channel, with its first activity. */
  kind: 'send' | 'update' | 'create';
  conversationId: string;
  activityId: string;
  activity: Record<string, unknown> & { type?: string; text?: string; attachments?: Array<{ contentType: string; content: unknown }> };
  /** For 'create': the ConversationParameters as sent (isGroup, channelData, ...). */
  parameters?: Record<string, unknown>;
  /** When the connector received it (ms since the epoch). */
  at: number;
}

/** Every call the connector answered, refused ones included: what Teams' rate limits count. */
export interface ConnectorCall {
  at: number;
  method: string;
  /** The conversation sent to; undefined for `POST /v3/conversations`. */
  conversationId?: string;
  status: number;
}

export interface FakeConnector {
  url: string;
  activities(): SentActivity[];
  /** Activities sent or updated in one conversation, oldest first. */
  inConversation(conversationId: string): SentActivity[];
  /** Conversations the bot created (`POST /v3/conversations`), oldest first. */
  created(): SentActivity[];
  /**
   * Refuse calls to this conversation (sends, updates, member lookups; for a channel id, creating a thread in it
   * too): with a documented refusal, its status and body; with a bare status, 403 ConversationBlockedByUser's body
   * (BotNotInConversationRoster's for a channel). `times`: only the next so many calls (default: all of them).
   */
  failConversation(conversationId: string, failure: number | ConnectorRefusal, times?: number): void;
  /**
   * The conversation is gone (deleted in Teams): every call to it answers 404 ConversationNotFound, and a 1:1
   * created with that person afterwards is a new conversation (see `conversationWith`).
   */
  dropConversation(conversationId: string): void;
  /** The id of the 1:1 a `POST /v3/conversations` with this person creates now (`a:personal-<object id>` unless dropped). */
  conversationWith(aadObjectId: string): string;
  /** Answer the next `times` sends to this conversation ('*': to any) with 429 and `Retry-After: retryAfterInSeconds`. */
  throttle(conversationId: string, times: number, retryAfterInSeconds?: number): void;
  /** Every call answered so far, oldest first. */
  calls(): ConnectorCall[];
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const ACTIVITY_PATH = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/;
const CONVERSATIONS_PATH = '/v3/conversations';

const MEMBER_PATH = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/;

/** The person a 1:1 conversation is created with (`members[0].id`, an object id or a `29:` id). */
function memberOf(parameters: Record<string, unknown>): string | undefined {
  const members = parameters.members as Array<{ id?: unknown }> | undefined;
  const id = members?.[0]?.id;
  return typeof id === 'string' ? aadObjectIdOf(id) : undefined;
}

/** The channel a new conversation is created in, from ConversationParameters.channelData. */
function channelOf(parameters: Record<string, unknown>): string | undefined {
  const channelData = parameters.channelData as { channel?: { id?: unknown } } | undefined;
  return typeof channelData?.channel?.id === 'string' ? channelData.channel.id : undefined;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const log: SentActivity[] = [];
  const failing = new Map<string, { failure: number | ConnectorRefusal; times?: number }>();
  const dropped = new Set<string>();
  const throttled = new Map<string, { times: number; retryAfterInSeconds?: number }>();
  const calls: ConnectorCall[] = [];
  let nextId = 1;

  const conversationWith = (aadObjectId: string) => {
    const base = `a:personal-${aadObjectId.toLowerCase()}`;
    let id = base;
    for (let n = 2; dropped.has(id); n++) id = `${base}-${n}`;
    return id;
  };

  /** The refusal armed for this conversation, if any (one of its `times` taken). */
  const takeFailure = (conversationId: string, fallback: ConnectorRefusal): { status: number; body: unknown } | undefined => {
    if (dropped.has(conversationId)) return REFUSALS.ConversationNotFound;
    const armed = failing.get(conversationId);
    if (!armed) return undefined;
    if (armed.times !== undefined) {
      if (armed.times <= 0) return undefined;
      armed.times--;
    }
    if (typeof armed.failure !== 'number') return REFUSALS[armed.failure];
    return { status: armed.failure, body: (REFUSALS[fallback] as { body: unknown }).body };
  };

  /** Takes one 429 off the switch for this conversation (or '*'), if one is armed. */
  const takeThrottle = (conversationId: string) => {
    for (const key of [conversationId, '*']) {
      const armed = throttled.get(key);
      if (armed && armed.times > 0) {
        armed.times--;
        return armed;
      }
    }
    return undefined;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = ACTIVITY_PATH.exec(url.pathname);
      const member = MEMBER_PATH.exec(url.pathname);
      const body = await readJson(req);
      const at = Date.now();
      const inConversation = match ?? member;
      const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        calls.push({ at, method: req.method ?? '', ...(inConversation ? { conversationId: decodeURIComponent(inConversation[1]) } : {}), status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      const refuse = (refusal: { status: number; body: unknown }) => reply(refusal.status, refusal.body);
      if (!inConversation && req.method === 'POST' && url.pathname === CONVERSATIONS_PATH) {
        // Teams names a new channel thread after its first message: `<channel id>;messageid=<activity id>`.
        const channelId = channelOf(body);
        const failure = channelId ? takeFailure(channelId, 'BotNotInConversationRoster') : undefined;
        if (failure) return refuse(failure);
        const activityId = `activity-${nextId++}`;
        // A 1:1 with a person is their personal chat, the one Teams' client uses (`a:personal-<object id>` here).
        const person = channelId ? undefined : memberOf(body);
        const conversationId = channelId ? `${channelId};messageid=${activityId}` : person ? conversationWith(person) : `a:created-${activityId}`;
        const activity = (body.activity ?? {}) as SentActivity['activity'];
        log.push({ kind: 'create', conversationId, activityId, activity, parameters: body, at });
        return reply(200, body.activity ? { id: conversationId, activityId } : { id: conversationId });
      }
      if (member && req.method === 'GET') {
        // "Get single member details": the person's Teams user id, with their object id (`objectId` in Teams'
        // documented answer, `aadObjectId` in the Bot Framework's ChannelAccount).
        const failure = takeFailure(decodeURIComponent(member[1]), 'BotNotInConversationRoster');
        if (failure) return refuse(failure);
        const aadObjectId = aadObjectIdOf(decodeURIComponent(member[2]));
        return reply(200, { id: teamsUserIdOf(aadObjectId), objectId: aadObjectId, aadObjectId, userRole: 'user' });
      }
      if (!match) return reply(404, { error: { code: 'NotFound', message: `no route for ${req.method} ${url.pathname}` } });
      const conversationId = decodeURIComponent(match[1]);
      const failure = takeFailure(conversationId, 'ConversationBlockedByUser');
      if (failure) return refuse(failure);
      const throttle = takeThrottle(conversationId);
      if (throttle) {
        const headers: Record<string, string> = throttle.retryAfterInSeconds !== undefined ? { 'retry-after': String(throttle.retryAfterInSeconds) } : {};
        return reply(429, { error: { code: 'TooManyRequests', message: 'Too many requests.' } }, headers);
      }
      if (req.method === 'POST') {
        const activityId = `activity-${nextId++}`;
        log.push({ kind: 'send', conversationId, activityId, activity: body, at });
        return reply(201, { id: activityId });
      }
      if (req.method === 'PUT' && match[2]) {
        const activityId = decodeURIComponent(match[2]);
        log.push({ kind: 'update', conversationId, activityId, activity: body, at });
        return reply(200, { id: activityId });
      }
      return reply(405, { error: { code: 'MethodNotAllowed', message: req.method } });
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    activities: () => [...log],
    inConversation: (conversationId) => log.filter((a) => a.conversationId === conversationId),
    created: () => log.filter((a) => a.kind === 'create'),
    failConversation: (conversationId, failure, times) => failing.set(conversationId, { failure, times }),
    dropConversation: (conversationId) => dropped.add(conversationId),
    conversationWith,
    throttle: (conversationId, times, retryAfterInSeconds) => throttled.set(conversationId, { times, retryAfterInSeconds }),
    calls: () => calls.map((c) => ({ ...c })),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The Adaptive Card content of an activity, if it carries one. */
export function cardOf(sent: SentActivity | undefined): Record<string, unknown> | undefined {
  const attachment = sent?.activity.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return attachment?.content as Record<string, unknown> | undefined;
}

/** Every TextBlock/FactSet text of a card, joined: what a person reads on it. */
export function cardText(card: unknown): string {
  const texts: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string' && ['text', 'title', 'value', 'label', 'placeholder'].includes(key)) texts.push(value);
      else walk(value);
    }
  };
  walk(card);
  return texts.join('\n');
}

/** Every Action.Execute of a card, with its verb and data. */
export function cardActions(card: unknown): Array<{ title?: string; verb?: string; data?: Record<string, unknown> }> {
  const actions: Array<{ title?: string; verb?: string; data?: Record<string, unknown> }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Action.Execute') {
      actions.push({ title: record.title as string, verb: record.verb as string, data: record.data as Record<string, unknown> });
    }
    Object.values(record).forEach(walk);
  };
  walk(card);
  return actions;
}
