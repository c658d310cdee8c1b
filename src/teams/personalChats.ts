/**
 * Reaching a person the bot has no conversation with. With TEAMS_APP_ID, Teams' documented proactive install:
 * install the app for them through Graph, then take the id of their chat with it from Graph; without, create the
 * 1:1 through the Bot Connector. Either way at TEAMS_SERVICE_URL or the latest serviceUrl seen from the tenant;
 * their Teams user id is looked up and the conversation remembered, so the next card goes straight there.
 */
import { Channels, TeamsInfo, TurnContext, type ConversationParameters, type ConversationReference } from 'botbuilder';
import type { Clock, ConversationRecord, ConversationStore, TeamsAppInstaller } from '../app/ports';
import { GRAPH_PERMISSIONS } from '../graph/permissions';
import type { ConnectorCalls } from './connectorCalls';
import { sendFailureOf, statusCodeOf, type SendFailure } from './connectorErrors';
import { ANY_TENANT } from './conversationRecorder';
import type { TeamsUserIds } from './teamsUserIds';

export interface PersonalChatsOptions {
  conversations: ConversationStore;
  clock: Clock;
  teamsUserIds: TeamsUserIds;
  /** TEAMS_SERVICE_URL; else the tenant's latest serviceUrl. */
  teamsServiceUrl?: string;
  /** TENANT_ID, for new conversations when no record says which. */
  tenantId?: string;
  /** TEAMS_APP_ID: installed for the person through Graph, whose chat with it is then the 1:1. */
  teamsAppId?: string;
  /** Installs the app and finds the chat with it (needed with teamsAppId). */
  installer?: TeamsAppInstaller;
}

/** A 1:1 conversation found or created for a person: its reference and id. */
interface Conversation {
  reference: Record<string, unknown>;
  conversationId: string;
}

/** Why a Graph call of the proactive install failed, as a send outcome: a 404/403 means the bot cannot reach them this way. */
function installFailure(err: unknown, what: string, teamsAppId: string): SendFailure {
  const status = statusCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 404) {
    return { status: 'notInstalled', reason: `${what} failed: the Teams app ${teamsAppId} (TEAMS_APP_ID) is not in the tenant's app catalog, or the person does not exist (${message})` };
  }
  if (status === 403) return { status: 'notInstalled', reason: `${what} failed: Graph refused it (permission ${GRAPH_PERMISSIONS.installSelf}?) (${message})` };
  return { status: 'failed', reason: `${what} failed: ${message}` };
}

export class PersonalChats {
  constructor(
    private readonly calls: ConnectorCalls,
    private readonly options: PersonalChatsOptions,
  ) {}

  /** Finds or creates the person's 1:1 with the bot and stores it; the failure as a send outcome when there is none. */
  async reach(recipientId: string): Promise<ConversationRecord | SendFailure> {
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
  ): Promise<Conversation | SendFailure> {
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
      bot: { id: `28:${this.calls.botAppId}`, name: '' },
      conversation: { id: chatId, conversationType: 'personal', isGroup: false, ...(tenantId ? { tenantId } : {}) },
    };
    return { reference, conversationId: chatId };
  }

  /** `POST /v3/conversations` with the person (`isGroup: false`, their object id, the tenant). */
  private async createConversation(recipientId: string, serviceUrl: string, tenantId: string | undefined): Promise<Conversation | SendFailure> {
    const parameters: ConversationParameters = {
      isGroup: false,
      bot: { id: `28:${this.calls.botAppId}`, name: '' },
      members: [{ id: recipientId, name: '' }],
      ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
    } as ConversationParameters;
    let reference: Partial<ConversationReference> | undefined;
    try {
      await this.calls.paced(tenantId, undefined, () =>
        this.calls.createConversation(serviceUrl, parameters, async (context) => {
          reference = TurnContext.getConversationReference(context.activity);
        }),
      );
    } catch (err) {
      return sendFailureOf(err, ' (creating the 1:1 conversation)').failure;
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
      await this.calls.paced(tenantId, conversationId, () =>
        this.calls.continueConversation(reference, async (context) => {
          id = (await TeamsInfo.getMember(context, recipientId))?.id;
        }),
      );
    } catch {
      return undefined;
    }
    if (typeof id !== 'string' || !id.startsWith('29:')) return undefined;
    this.options.teamsUserIds.remember(recipientId, id);
    return id;
  }
}
