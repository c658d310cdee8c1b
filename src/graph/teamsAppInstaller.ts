import type { Client } from '@microsoft/microsoft-graph-client';
import type { TeamsAppInstaller } from '../app/ports';
import { callGraph, GraphCallError } from './errors';
import { RetryBudget, systemRetryEnvironment, type RetryEnvironment, type RetryOptions } from './retry';

export interface GraphTeamsAppInstallerOptions {
  /**
   * The configured Graph (GRAPH_BASE_URL, e.g. `https://graph.microsoft.com/v1.0`, or the emulator's): the
   * `teamsApp@odata.bind` URL names the app catalog there.
   */
  graphBaseUrl: string;
  /** How long to look for the installation and its chat after installing. Default: 5 attempts within 30 s, 1 s backoff doubling to 8 s. */
  retry?: RetryOptions;
  environment?: RetryEnvironment;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, budgetInMs: 30_000, baseDelayInMs: 1_000, maxDelayInMs: 8_000 };

interface Installation {
  id?: unknown;
  teamsApp?: { id?: unknown };
}

/** OData string literal: a single quote is doubled. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The proactive install of Teams' "Send proactive installation messages": installs the bot's app in a person's
 * personal scope (`POST /users/{id}/teamwork/installedApps`, 201; 409 = installed already), finds the installation
 * (`GET …/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{id}'`) and reads its chat
 * (`GET …/installedApps/{installationId}/chat`): that chat's id is the 1:1 conversation to send to. Permission
 * TeamsAppInstallation.ReadWriteSelfForUser.All covers all three, for the app installing itself only: the Teams app's
 * `webApplicationInfo.id` (BOT_ID) must be the client id of the identity calling Graph (see permissions.ts).
 */
export class GraphTeamsAppInstaller implements TeamsAppInstaller {
  private readonly catalogUrl: string;
  private readonly retry: RetryOptions;
  private readonly env: RetryEnvironment;

  constructor(
    private readonly client: Client,
    options: GraphTeamsAppInstallerOptions,
  ) {
    this.catalogUrl = `${options.graphBaseUrl.replace(/\/+$/, '')}/appCatalogs/teamsApps`;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.env = options.environment ?? systemRetryEnvironment;
  }

  async install(userId: string, teamsAppId: string): Promise<'installed' | 'alreadyInstalled'> {
    const body = { 'teamsApp@odata.bind': `${this.catalogUrl}/${encodeURIComponent(teamsAppId)}` };
    try {
      await callGraph(() => this.client.api(installedAppsPath(userId)).post(body));
      return 'installed';
    } catch (err) {
      if (err instanceof GraphCallError && err.statusCode === 409) return 'alreadyInstalled';
      throw err;
    }
  }

  async chatIdFor(userId: string, teamsAppId: string): Promise<string | undefined> {
    const budget = new RetryBudget(this.retry, this.env);
    for (let attempts = 1; ; attempts++) {
      let retryAfterInMs: number | undefined;
      try {
        const chatId = await this.findChatId(userId, teamsAppId);
        if (chatId) return chatId;
      } catch (err) {
        // Right after an install, Graph may not list the installation or its chat yet (404), or fail transiently.
        if (!(err instanceof GraphCallError) || !(err.transient || err.statusCode === 404)) throw err;
        if (!budget.allowsAnotherAttempt(attempts)) throw err;
        retryAfterInMs = err.retryAfterInMs;
      }
      const delay = budget.allowsAnotherAttempt(attempts) ? budget.delayBefore(attempts, retryAfterInMs) : undefined;
      if (delay === undefined) return undefined;
      await budget.sleep(delay);
    }
  }

  /** One look: the installation of the app for the person, then its chat; undefined when it is not listed. */
  private async findChatId(userId: string, teamsAppId: string): Promise<string | undefined> {
    const found = await callGraph(
      () =>
        this.client
          .api(installedAppsPath(userId))
          .expand('teamsApp')
          .filter(`teamsApp/id eq ${odataString(teamsAppId)}`)
          .get() as Promise<{ value?: Installation[] }>,
    );
    const installation = found.value?.find((i) => typeof i.id === 'string' && String(i.teamsApp?.id).toLowerCase() === teamsAppId.toLowerCase());
    if (!installation) return undefined;
    const chat = await callGraph(
      () => this.client.api(`${installedAppsPath(userId)}/${encodeURIComponent(String(installation.id))}/chat`).get() as Promise<{ id?: unknown }>,
    );
    return typeof chat.id === 'string' && chat.id ? chat.id : undefined;
  }
}

function installedAppsPath(userId: string): string {
  return `/users/${encodeURIComponent(userId)}/teamwork/installedApps`;
}
