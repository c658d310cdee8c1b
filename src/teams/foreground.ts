/**
 * Interactive work first: counts the activities the bot is answering, so that work started after an answer
 * (a request's effects: Graph writes, proactive cards) waits until no answer is pending. A burst of clicks is
 * then answered before the deliveries it causes compete for the one event loop; under load that never lets
 * up, the work starts anyway after `maxWaitInMs`.
 */
export class Foreground {
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly maxWaitInMs = 1_000) {}

  /** Runs `answer` as foreground work. */
  async answer<T>(answer: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await answer();
    } finally {
      if (--this.inFlight === 0) this.wakeAll();
    }
  }

  /** Runs `work` once no answer is pending, or after `maxWaitInMs` at most. */
  afterwards(work: () => void): void {
    if (this.inFlight === 0) {
      work();
      return;
    }
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      work();
    };
    const timer = setTimeout(once, this.maxWaitInMs);
    timer.unref();
    this.waiters.push(once);
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
