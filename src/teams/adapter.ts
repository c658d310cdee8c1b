import { TeamsAdapter } from '@microsoft/teams-ai';
import type { BotIdentity } from '../config';

/** The Bot Framework adapter: authenticated with the bot's identity, or unauthenticated in local mode. */
export function createAdapter(bot: BotIdentity | undefined): TeamsAdapter {
  if (!bot) return new TeamsAdapter({});
  return new TeamsAdapter({
    MicrosoftAppId: bot.appId,
    MicrosoftAppPassword: bot.password ?? '',
    MicrosoftAppType: bot.type,
    MicrosoftAppTenantId: bot.tenantId ?? '',
  });
}
