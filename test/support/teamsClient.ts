/**
 * Plays Teams' side of the conversation: posts Bot Framework activities to the bot's /api/messages the
 * way the Teams service does (personal chat, installation, Universal Action invokes).
 */
import { randomUUID } from 'node:crypto';

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
      from: { id: `29:${user.aadObjectId}`, name: user.name, aadObjectId: user.aadObjectId },
      recipient: { id: '28:bot', name: 'Access Requests' },
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

  /** Clicks an Action.Execute button on the card with activity id `replyToId`. */
  async click(user: TeamsUser, verb: string, data: unknown, replyToId?: string): Promise<InvokeAnswer> {
    const res = await this.post(
      this.activity(user, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId,
        value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
      }),
    );
    const body = res.body as { statusCode?: number; type?: string; value?: unknown } | undefined;
    const value = body?.value as { message?: string } | undefined;
    return { httpStatus: res.status, statusCode: body?.statusCode, type: body?.type, value: body?.value, message: value?.message };
  }
}
