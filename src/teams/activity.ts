/** Reading what Teams tells us in an activity: who, where, which tenant, which locale and time zone. */
import { TurnContext, type Activity } from 'botbuilder';
import type { ConversationRecord } from '../app/ports';

/** The sender's Entra object id, lower-cased like every object id the bot stores. */
export function aadObjectIdOf(activity: Activity): string | undefined {
  const id: unknown = activity.from?.aadObjectId;
  return typeof id === 'string' && id ? id.toLowerCase() : undefined;
}

export function tenantOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return activity.conversation?.tenantId ?? channelData?.tenant?.id;
}

export function channelIdOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { channel?: { id?: string } } | undefined;
  return channelData?.channel?.id;
}

export function isChannel(activity: Activity): boolean {
  return activity.conversation?.conversationType === 'channel';
}

export function isPersonal(activity: Activity): boolean {
  const type = activity.conversation?.conversationType;
  return type === undefined || type === 'personal';
}

/** The sender's Teams user id (MRI, `29:…`), what Universal Actions' `refresh.userIds` names people by. */
export function teamsUserIdOf(activity: Activity): string | undefined {
  const id: unknown = activity.from?.id;
  return typeof id === 'string' && id.startsWith('29:') ? id : undefined;
}

/** The requester's IANA time zone, from the clientInfo entity Teams attaches to messages. */
export function timeZoneOf(activity: Activity): string | undefined {
  const info = activity.entities?.find((e) => e.type === 'clientInfo') as { timezone?: unknown } | undefined;
  return typeof info?.timezone === 'string' ? info.timezone : undefined;
}

/**
 * The conversation to remember from this activity: the person's 1:1 chat, or the channel.
 * Nothing for group chats, and nothing when Teams did not say who the person is.
 */
export function conversationRecordOf(activity: Activity, now: Date): ConversationRecord | undefined {
  const reference = TurnContext.getConversationReference(activity) as Record<string, unknown>;
  const base = {
    tenantId: tenantOf(activity),
    locale: activity.locale,
    serviceUrl: activity.serviceUrl,
    conversationId: activity.conversation.id,
    reference: JSON.parse(JSON.stringify(reference)) as Record<string, unknown>,
    updatedAt: now.toISOString(),
  };
  if (isPersonal(activity)) {
    const userId = aadObjectIdOf(activity);
    const teamsUserId = teamsUserIdOf(activity);
    return userId ? { ...base, kind: 'user', key: userId, ...(teamsUserId ? { teamsUserId } : {}) } : undefined;
  }
  const channelId = channelIdOf(activity);
  return activity.conversation.conversationType === 'channel' && channelId ? { ...base, kind: 'channel', key: channelId } : undefined;
}
