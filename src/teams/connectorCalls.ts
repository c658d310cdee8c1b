/**
 * Proactive Bot Connector calls through the SDK's adapter, within Teams' rate limits: each call waits for the
 * pacer, 429 (after Retry-After) and 412/502/503/504 (with backoff) are retried a bounded number of times, and a
 * failure is thrown to the caller instead of being swallowed by the adapter's turn error handler.
 */
import { Channels, type CloudAdapter, type ConversationParameters, type ConversationReference, type TurnContext } from 'botbuilder';
import { RETRIED_STATUS, retryAfterInMsOf, statusCodeOf } from './connectorErrors';
import { ANY_TENANT } from './conversationRecorder';
import { SendPacer, systemPacerTime, TEAMS_LIMITS, type PacerTime, type PacingLimits } from './sendPacer';

export interface RetrySettings {
  /** Retries after the first attempt (429 and 412/502/503/504). */
  maxRetries: number;
  /** Backoff of the first retry when Teams does not say (Retry-After); doubles each time. */
  baseDelayInMs: number;
  /** No wait is longer, whatever Retry-After says. */
  maxDelayInMs: number;
}

export interface PacingOptions {
  limits?: PacingLimits;
  time?: PacerTime;
  retry?: Partial<RetrySettings>;
}

const DEFAULT_RETRY: RetrySettings = { maxRetries: 4, baseDelayInMs: 500, maxDelayInMs: 30_000 };

/**
 * The SDK declares `audience` a string, but null/undefined is what selects the adapter's own OAuth scope
 * (TeamsInfo.sendMessageToTeamsChannel passes null): a fixed string would be wrong in sovereign clouds.
 */
const ADAPTER_AUDIENCE = undefined as unknown as string;

/**
 * The SDK's HTTP pipeline retries 429/5xx by itself, out of sight: those retries would bypass the pacer and hide
 * the throttling. A connector client used for a proactive send gets them removed, so `paced` does them.
 */
function withoutSdkRetries(adapter: CloudAdapter, context: TurnContext): void {
  const client = context.turnState.get<{ client?: { pipeline?: { removePolicy(policy: { name: string }): unknown } } }>(adapter.ConnectorClientKey);
  client?.client?.pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
}

export class ConnectorCalls {
  private readonly pacer: SendPacer;
  private readonly time: PacerTime;
  private readonly retry: RetrySettings;

  constructor(
    private readonly adapter: CloudAdapter,
    readonly botAppId: string,
    pacing: PacingOptions = {},
  ) {
    this.time = pacing.time ?? systemPacerTime;
    this.pacer = new SendPacer(pacing.limits ?? TEAMS_LIMITS, this.time);
    this.retry = { ...DEFAULT_RETRY, ...pacing.retry };
  }

  /**
   * One Bot Connector call within Teams' limits: waits for the pacer, and retries 429 (after Retry-After) and
   * 412/502/503/504 (with backoff) up to `maxRetries` times. Resolves with whether Teams throttled it (429)
   * before it went through; rethrows the last failure.
   */
  async paced(tenantId: string | undefined, conversationId: string | undefined, call: () => Promise<void>): Promise<boolean> {
    let throttled = false;
    for (let attempt = 0; ; attempt++) {
      const release = await this.pacer.acquire(tenantId ?? ANY_TENANT, conversationId);
      const outcome = await call().then(
        () => ({ ok: true as const }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      // Counted as in flight until here: Teams may have counted it at any moment in between.
      release();
      if (outcome.ok) return throttled;
      const { err } = outcome;
      const status = statusCodeOf(err);
      if (status === undefined || !RETRIED_STATUS.has(status) || attempt >= this.retry.maxRetries) throw err;
      if (status === 429) throttled = true;
      const backoff = this.retry.baseDelayInMs * 2 ** attempt;
      const wait = (status === 429 ? retryAfterInMsOf(err) : undefined) ?? backoff;
      await this.time.sleep(Math.min(wait, this.retry.maxDelayInMs));
    }
  }

  /** Runs `logic` in an existing conversation (one attempt: wrap it in `paced`); its failure is thrown here. */
  async continueConversation(reference: Record<string, unknown>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    // The adapter's onTurnError would swallow a failed send: keep it, and throw it here, where it is handled.
    const failure: { error?: unknown } = {};
    await this.adapter.continueConversationAsync(this.botAppId, reference as Partial<ConversationReference>, async (context) => {
      withoutSdkRetries(this.adapter, context);
      try {
        await logic(context);
      } catch (error) {
        failure.error = error ?? new Error('the send failed');
      }
    });
    if ('error' in failure) throw failure.error;
  }

  /** `POST /v3/conversations` at `serviceUrl` (one attempt: wrap it in `paced`); `logic` runs in the new conversation. */
  createConversation(serviceUrl: string, parameters: ConversationParameters, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    return this.adapter.createConversationAsync(this.botAppId, Channels.Msteams, serviceUrl, ADAPTER_AUDIENCE, parameters, logic);
  }
}
