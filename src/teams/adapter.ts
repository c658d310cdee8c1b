import { TeamsAdapter } from '@microsoft/teams-ai';
import { CallerIdConstants, type Activity, type ConfigurationBotFrameworkAuthentication, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { BotIdentity } from '../config';

export type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

export interface AdapterOptions {
  /**
   * Where the Bot Framework's OpenID metadata is read (default: the public cloud's). Tests point it at an address
   * that does not answer, to see the bot answer 503 when tokens cannot be checked.
   */
  openIdMetadataUrl?: string;
}

/**
 * The Bot Framework adapter, with authentication and the turn as two steps: CloudAdapter.process() answers any
 * error of either with a 500 and a stack trace on stderr, where the bot must tell a bad token (401) from a
 * metadata outage (503) and answer malformed activities itself.
 */
export class BotAdapter extends TeamsAdapter {
  /** Checks the request's Authorization header for this activity (local mode: no token, anonymous). */
  authenticate(activity: Partial<Activity>, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.botFrameworkAuthentication.authenticateRequest(activity as Activity, authHeader);
  }

  /** Runs one authenticated activity's turn; resolves to the invoke response the turn set, if any. */
  runTurn(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

/**
 * The public cloud's Bot Framework settings with another OpenID metadata address: the SDK takes one of these
 * settings only with all the others (it then assumes a complete custom cloud).
 */
function publicCloudReadingMetadataFrom(openIdMetadataUrl: string) {
  return {
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    ToBotFromChannelOpenIdMetadataUrl: openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: openIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}

/** The Bot Framework adapter: authenticated with the bot's identity, or unauthenticated in local mode. */
export function createAdapter(bot: BotIdentity | undefined, options: AdapterOptions = {}): BotAdapter {
  const metadata = options.openIdMetadataUrl ? publicCloudReadingMetadataFrom(options.openIdMetadataUrl) : {};
  if (!bot) return new BotAdapter(metadata);
  return new BotAdapter({
    MicrosoftAppId: bot.appId,
    MicrosoftAppPassword: bot.password ?? '',
    MicrosoftAppType: bot.type,
    MicrosoftAppTenantId: bot.tenantId ?? '',
    ...metadata,
  });
}
