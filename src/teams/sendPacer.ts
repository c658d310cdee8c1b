/**
 * Keeps proactive sends within Teams' rate limits (PRODUCT.md): per bot per conversation 7 per second and 60
 * per 30 seconds; per app per tenant 50 per second. Every limit is a sliding window over the sends it granted.
 *
 * A send counts from the moment it is granted until it completes, and then at its completion time: Teams counts a
 * call when it arrives, which is somewhere in between. Counted that way, no window of arrivals can hold more
 * sends than the limit, whatever the network or a busy event loop does to the calls in flight (counting at the
 * grant alone let a delayed call land in the next window with the calls granted after it: 51 in one second, once).
 *
 * Waiters are served in arrival order: a send is granted as soon as every window it counts against has room,
 * earlier waiters first. One waiting on its own busy conversation does not hold up sends to other conversations.
 * Time and waiting are injected; each notifier builds its own pacer (no module-level state).
 */

export interface RateLimit {
  /** At most this many sends ... */
  limit: number;
  /** ... in any window of this length. */
  windowInMs: number;
}

export interface PacingLimits {
  perConversation: RateLimit[];
  perTenant: RateLimit[];
  /** Added to every window: a little slack for clocks (Teams' and ours) that do not tick exactly alike. */
  marginInMs?: number;
}

export const TEAMS_LIMITS: PacingLimits = {
  perConversation: [
    { limit: 7, windowInMs: 1_000 },
    { limit: 60, windowInMs: 30_000 },
  ],
  perTenant: [{ limit: 50, windowInMs: 1_000 }],
  marginInMs: 50,
};

export interface PacerTime {
  /** Milliseconds, monotonic enough for pacing (wall time by default: the bot's dev clock may jump). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemPacerTime: PacerTime = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms).unref()),
};

/** The sends granted against one key: completion times, oldest first, then the ones in flight (Infinity). */
class SendLog {
  readonly times: number[] = [];

  constructor(
    readonly limits: RateLimit[],
    private readonly marginInMs: number,
  ) {}

  /** The earliest time at or after `now` when one more send fits in every window (Infinity: wait for a completion). */
  earliest(now: number): number {
    let at = now;
    for (const { limit, windowInMs } of this.limits) {
      if (limit <= 0) return Number.POSITIVE_INFINITY;
      // Sends in (t - window, t] or in flight: the (limit)-th newest must have left the window.
      if (this.times.length >= limit) at = Math.max(at, this.times[this.times.length - limit] + windowInMs + this.marginInMs);
    }
    return at;
  }

  /** A send granted now: in flight until `complete`. */
  start(now: number): void {
    this.times.push(Number.POSITIVE_INFINITY);
    const keep = Math.max(...this.limits.map((l) => l.windowInMs)) + this.marginInMs;
    while (this.times.length && this.times[0] <= now - keep) this.times.shift();
  }

  /** One send in flight completed at `at`: it counts from then on, in time order. */
  complete(at: number): void {
    const inFlight = this.times.indexOf(Number.POSITIVE_INFINITY);
    if (inFlight < 0) return;
    this.times.splice(inFlight, 1);
    let i = this.times.length;
    while (i > 0 && this.times[i - 1] > at) i--;
    this.times.splice(i, 0, at);
  }
}

interface Waiter {
  logs: SendLog[];
  grant(release: () => void): void;
}

/** Ends a granted send: call it once the call has completed (answered or failed). */
export type ReleaseSend = () => void;

export class SendPacer {
  private readonly logs = new Map<string, SendLog>();
  private readonly queue: Waiter[] = [];
  /** When a wake-up is already due; a later one is not scheduled, an earlier one is. */
  private wakeAt: number | undefined;

  constructor(
    private readonly limits: PacingLimits = TEAMS_LIMITS,
    private readonly time: PacerTime = systemPacerTime,
  ) {}

  /**
   * Resolves when one more send may go to `conversationId` in `tenantId`, and counts it as in flight until the
   * returned release is called. Without a conversation (creating one) only the tenant's limit applies.
   */
  acquire(tenantId: string, conversationId?: string): Promise<ReleaseSend> {
    const logs = [this.log(`tenant|${tenantId}`, this.limits.perTenant)];
    if (conversationId !== undefined) logs.push(this.log(`conversation|${conversationId}`, this.limits.perConversation));
    return new Promise<ReleaseSend>((grant) => {
      this.queue.push({ logs, grant });
      this.grantReady();
    });
  }

  private releaser(logs: SendLog[]): ReleaseSend {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = this.time.now();
      for (const log of logs) log.complete(now);
      this.grantReady();
    };
  }

  /** How many sends are waiting for room. */
  get waiting(): number {
    return this.queue.length;
  }

  private log(key: string, limits: RateLimit[]): SendLog {
    let log = this.logs.get(key);
    if (!log) {
      log = new SendLog(limits, this.limits.marginInMs ?? 0);
      this.logs.set(key, log);
    }
    return log;
  }

  /** Grants, in arrival order, every waiter that fits now; then sleeps until the next one could. */
  private grantReady(): void {
    const now = this.time.now();
    let next = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.queue.length; ) {
      const waiter = this.queue[i];
      const at = Math.max(...waiter.logs.map((log) => log.earliest(now)));
      if (at <= now) {
        for (const log of waiter.logs) log.start(now);
        this.queue.splice(i, 1);
        waiter.grant(this.releaser(waiter.logs));
      } else {
        next = Math.min(next, at);
        i++;
      }
    }
    this.forgetIdleLogs(now);
    if (Number.isFinite(next) && (this.wakeAt === undefined || next < this.wakeAt)) {
      const wakeAt = next;
      this.wakeAt = wakeAt;
      void this.time.sleep(Math.max(0, wakeAt - now)).then(() => {
        if (this.wakeAt === wakeAt) this.wakeAt = undefined;
        this.grantReady();
      });
    }
  }

  /** A key whose every send has left its longest window holds nothing worth keeping. */
  private forgetIdleLogs(now: number): void {
    if (this.logs.size < 1_000) return;
    for (const [key, log] of this.logs) {
      const keep = Math.max(...log.limits.map((l) => l.windowInMs)) + (this.limits.marginInMs ?? 0);
      const last = log.times.at(-1);
      if ((last === undefined || last <= now - keep) && !this.queue.some((w) => w.logs.includes(log))) this.logs.delete(key);
    }
  }
}
