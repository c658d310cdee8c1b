/**
 * A small fake of the Bot Framework Connector service: a real HTTP server that accepts what the bot
 * sends (new messages, replies, card updates) and records it, as Teams' connector would.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  /** Answer every send to this conversation with this status (e.g. 403: the user blocked the bot); for a channel id, creating a thread in it too. */
  failConversation(conversationId: string, status: number): void;
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

/** The person a 1:1 conversation is created with (`members[0].id`, an object id or a `29:` id). */
function memberOf(parameters: Record<string, unknown>): string | undefined {
  const members = parameters.members as Array<{ id?: unknown }> | undefined;
  const id = members?.[0]?.id;
  return typeof id === 'string' ? id.replace(/^29:/, '') : undefined;
}

/** The channel a new conversation is created in, from ConversationParameters.channelData. */
function channelOf(parameters: Record<string, unknown>): string | undefined {
  const channelData = parameters.channelData as { channel?: { id?: unknown } } | undefined;
  return typeof channelData?.channel?.id === 'string' ? channelData.channel.id : undefined;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const log: SentActivity[] = [];
  const failing = new Map<string, number>();
  const throttled = new Map<string, { times: number; retryAfterInSeconds?: number }>();
  const calls: ConnectorCall[] = [];
  let nextId = 1;

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
      const body = await readJson(req);
      const at = Date.now();
      const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        calls.push({ at, method: req.method ?? '', ...(match ? { conversationId: decodeURIComponent(match[1]) } : {}), status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (!match && req.method === 'POST' && url.pathname === CONVERSATIONS_PATH) {
        // Teams names a new channel thread after its first message: `<channel id>;messageid=<activity id>`.
        const channelId = channelOf(body);
        const failure = channelId ? failing.get(channelId) : undefined;
        if (failure) return reply(failure, { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } });
        const activityId = `activity-${nextId++}`;
        // A 1:1 with a person is their personal chat, the one Teams' client uses (`a:personal-<object id>` here).
        const member = channelId ? undefined : memberOf(body);
        const conversationId = channelId ? `${channelId};messageid=${activityId}` : member ? `a:personal-${member}` : `a:created-${activityId}`;
        const activity = (body.activity ?? {}) as SentActivity['activity'];
        log.push({ kind: 'create', conversationId, activityId, activity, parameters: body, at });
        return reply(200, body.activity ? { id: conversationId, activityId } : { id: conversationId });
      }
      if (!match) return reply(404, { error: { code: 'NotFound', message: `no route for ${req.method} ${url.pathname}` } });
      const conversationId = decodeURIComponent(match[1]);
      const failure = failing.get(conversationId);
      if (failure) return reply(failure, { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } });
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
    failConversation: (conversationId, status) => failing.set(conversationId, status),
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
