/**
 * Plays Teams' side of the conversation: posts Bot Framework activities to the bot's /api/messages the
 * way the Teams service does (personal chat, installation, Universal Action invokes).
 */
import { randomUUID } from 'node:crypto';
import { teamsUserIdOf } from './fakeConnector';

export const TENANT_ID = '99999999-0000-4000-8000-000000000001';

export interface TeamsUser {
  aadObjectId: string;
  name: string;
  locale: string;
}

export interface InvokeAnswer {
  httpStatus: number;
  statusCode?: number;
  type?: string;
  value?: unknown;
  /** The error sentence, for 4xx answers. */
  message?: string;
}

/** Where a channel message is said: the team, the channel, and the thread (the channel itself for a new post). */
export interface ChannelPlace {
  teamId: string;
  channelId: string;
  /** Reply in this thread (`<channel id>;messageid=<root id>`); default: a new post in the channel. */
  threadId?: string;
}

const BOT = { id: '28:bot', name: 'Access Requests' };

export function personalConversationId(user: TeamsUser): string {
  return `a:personal-${user.aadObjectId}`;
}

export class TeamsClient {
  constructor(
    private readonly botUrl: string,
    private readonly connectorUrl: string,
    private readonly tenantId = TENANT_ID,
  ) {}

  private activity(user: TeamsUser, fields: Record<string, unknown>): Record<string, unknown> {
    return {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: this.connectorUrl,
      from: { id: teamsUserIdOf(user.aadObjectId), name: user.name, aadObjectId: user.aadObjectId },
      recipient: BOT,
      conversation: { id: personalConversationId(user), conversationType: 'personal', tenantId: this.tenantId },
      channelData: { tenant: { id: this.tenantId } },
      locale: user.locale,
      entities: [{ type: 'clientInfo', locale: user.locale, timezone: 'UTC' }],
      ...fields,
    };
  }

  async post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw text
    }
    return { status: res.status, body: parsed };
  }

  install(user: TeamsUser): Promise<{ status: number }> {
    return this.post(this.activity(user, { type: 'installationUpdate', action: 'add' }));
  }

  say(user: TeamsUser, text: string): Promise<{ status: number }> {
    return this.post(this.activity(user, { type: 'message', text }));
  }

  /** The fields that put an activity in a team channel (Teams' channelData.team / channel). */
  private inChannel(place: ChannelPlace, messageId: string): Record<string, unknown> {
    return {
      conversation: {
        id: place.threadId ?? `${place.channelId};messageid=${messageId}`,
        conversationType: 'channel',
        isGroup: true,
        tenantId: this.tenantId,
      },
      channelData: { tenant: { id: this.tenantId }, team: { id: place.teamId }, channel: { id: place.channelId } },
    };
  }

  /** A message in a team channel that mentions the bot (Teams only delivers those): `@Access Requests <text>`. */
  sayInChannel(user: TeamsUser, text: string, place: ChannelPlace): Promise<{ status: number }> {
    const id = randomUUID();
    const mention = `<at>${BOT.name}</at>`;
    return this.post(
      this.activity(user, {
        id,
        type: 'message',
        text: `${mention} ${text}`,
        entities: [
          { type: 'mention', mentioned: BOT, text: mention },
          { type: 'clientInfo', locale: user.locale, timezone: 'UTC' },
        ],
        ...this.inChannel(place, id),
      }),
    );
  }

  /** Clicks an Action.Execute button on a card posted in a channel thread. */
  clickInChannel(user: TeamsUser, verb: string, data: unknown, place: ChannelPlace & { threadId: string }, replyToId?: string): Promise<InvokeAnswer> {
    return this.click(user, verb, data, replyToId, this.inChannel(place, ''));
  }

  /** Clicks an Action.Execute button on the card with activity id `replyToId`. */
  async click(user: TeamsUser, verb: string, data: unknown, replyToId?: string, where: Record<string, unknown> = {}): Promise<InvokeAnswer> {
    const res = await this.post(
      this.activity(user, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId,
        value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
        ...where,
      }),
    );
    const body = res.body as { statusCode?: number; type?: string; value?: unknown } | undefined;
    const value = body?.value as { message?: string } | undefined;
    return { httpStatus: res.status, statusCode: body?.statusCode, type: body?.type, value: body?.value, message: value?.message };
  }
}
