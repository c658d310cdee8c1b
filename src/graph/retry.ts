import { setTimeout as sleepFor } from 'node:timers/promises';

/** How hard one provisioning call tries before leaving transient failures to the caller's own backoff. */
export interface RetryOptions {
  /** Attempts of one Graph call, the first included. Default 4. */
  maxAttempts?: number;
  /** Total time one provisioning call may spend, waits included. Default 30 s. */
  budgetInMs?: number;
  /** Backoff before the first retry when Graph gave no Retry-After; doubles after each attempt. Default 1 s. */
  baseDelayInMs?: number;
  /** Cap on one backoff. Default 8 s. */
  maxDelayInMs?: number;
}

/** The clock, sleep and randomness behind the waits; replaceable in tests. */
export interface RetryEnvironment {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

export const systemRetryEnvironment: RetryEnvironment = {
  now: () => Date.now(),
  sleep: (ms) => sleepFor(ms),
  random: () => Math.random(),
};

/** The waiting allowance of one call: started when the call starts. */
export class RetryBudget {
  private readonly maxAttempts: number;
  private readonly budgetInMs: number;
  private readonly baseDelayInMs: number;
  private readonly maxDelayInMs: number;
  private readonly startedAt: number;

  constructor(
    options: RetryOptions,
    private readonly env: RetryEnvironment,
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.budgetInMs = Math.max(0, options.budgetInMs ?? 30_000);
    this.baseDelayInMs = Math.max(0, options.baseDelayInMs ?? 1_000);
    this.maxDelayInMs = Math.max(this.baseDelayInMs, options.maxDelayInMs ?? 8_000);
    this.startedAt = env.now();
  }

  /** May a call that has been tried `attempts` times be tried again? */
  allowsAnotherAttempt(attempts: number): boolean {
    return attempts < this.maxAttempts;
  }

  /**
   * The wait before the next attempt, or undefined when the budget cannot afford it. A Retry-After is honoured
   * exactly (Graph's minimum, and no more); otherwise exponential backoff with "equal jitter" (half fixed, half
   * random) so that callers throttled together do not come back together, capped by what is left of the budget.
   */
  delayBefore(attempts: number, retryAfterInMs: number | undefined): number | undefined {
    const remaining = this.budgetInMs - (this.env.now() - this.startedAt);
    if (retryAfterInMs !== undefined) return retryAfterInMs <= remaining ? retryAfterInMs : undefined;
    if (remaining <= 0) return undefined;
    const ceiling = Math.min(this.maxDelayInMs, this.baseDelayInMs * 2 ** Math.max(0, attempts - 1));
    return Math.min(remaining, ceiling / 2 + (this.env.random() * ceiling) / 2);
  }

  sleep(ms: number): Promise<void> {
    return ms > 0 ? this.env.sleep(ms) : Promise.resolve();
  }
}
