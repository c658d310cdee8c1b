import type { Client } from '@microsoft/microsoft-graph-client';
import type { TeamsAppInstaller } from '../app/ports';
import { callGraph, GraphCallError } from './errors';

/**
 * Installs the bot's Teams app for a person (`POST /users/{id}/teamwork/installedApps`, permission
 * TeamsAppInstallation.ReadWriteForUser.All), so a 1:1 conversation with them can be created. Graph's
 * 409 means it is installed already, which is just as good.
 */
export class GraphTeamsAppInstaller implements TeamsAppInstaller {
  constructor(
    private readonly client: Client,
    /** Where the app catalog lives in `teamsApp@odata.bind` (Graph's documented form). */
    private readonly graphRoot = 'https://graph.microsoft.com/v1.0',
  ) {}

  async install(userId: string, teamsAppId: string): Promise<'installed' | 'alreadyInstalled'> {
    const path = `/users/${encodeURIComponent(userId)}/teamwork/installedApps`;
    const body = { 'teamsApp@odata.bind': `${this.graphRoot}/appCatalogs/teamsApps/${encodeURIComponent(teamsAppId)}` };
    try {
      await callGraph(() => this.client.api(path).post(body));
      return 'installed';
    } catch (err) {
      if (err instanceof GraphCallError && err.statusCode === 409) return 'alreadyInstalled';
      throw err;
    }
  }
}
