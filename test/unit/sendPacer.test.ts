import { strict as assert } from 'node:assert';
import { SendPacer, TEAMS_LIMITS, type PacerTime, type RateLimit } from '../../src/teams/sendPacer';

/** Virtual time: sleeps resolve when `run` moves the clock to them, earliest first. */
class VirtualTime implements PacerTime {
  private current = 1_000_000;
  private timers: Array<{ at: number; done: () => void }> = [];

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((done) => this.timers.push({ at: this.current + Math.max(0, ms), done }));
  }

  /** Runs timers in time order until nothing is left to wake. */
  async run(): Promise<void> {
    await flush();
    while (this.timers.length) {
      this.timers.sort((a, b) => a.at - b.at);
      const timer = this.timers.shift()!;
      this.current = Math.max(this.current, timer.at);
      timer.done();
      await flush();
    }
  }
}

const flush = () => new Promise<void>((done) => setImmediate(done));

/** The most grants in any window of `windowInMs` (half-open, like Teams' limits), over sorted times. */
function busiestWindow(times: number[], windowInMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j] - times[i] >= windowInMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

function assertWithin(times: number[], limits: RateLimit[], what: string): void {
  for (const { limit, windowInMs } of limits) {
    assert.ok(busiestWindow(times, windowInMs) <= limit, `${what}: at most ${limit} per ${windowInMs} ms, got ${busiestWindow(times, windowInMs)}`);
  }
}

describe('SendPacer (Teams rate limits)', () => {
  it('never lets a conversation exceed 7 per second or 60 per 30 s, and sends without needless waiting', async () => {
    const time = new VirtualTime();
    const pacer = new SendPacer(TEAMS_LIMITS, time);
    const granted: number[] = [];
    const all = Array.from({ length: 130 }, () => pacer.acquire('t1', 'c1').then((release) => {
      release();
      granted.push(time.now());
    }));
    await time.run();
    await Promise.all(all);
    assert.equal(granted.length, 130);
    assertWithin(granted, TEAMS_LIMITS.perConversation, 'one conversation');
    // The first 7 go at once; 60 within the first 30 s window (9 s at 7/s), then the 30 s window holds the rest back.
    assert.equal(granted.filter((t) => t === granted[0]).length, 7);
    assert.equal(granted.filter((t) => t < granted[0] + 30_000).length, 60);
  });

  it('never lets a tenant exceed 50 per second across conversations', async () => {
    const time = new VirtualTime();
    const pacer = new SendPacer(TEAMS_LIMITS, time);
    const byConversation = new Map<string, number[]>();
    const tenant: number[] = [];
    const all: Array<Promise<void>> = [];
    for (let c = 0; c < 60; c++) {
      for (let n = 0; n < 3; n++) {
        const id = `c${c}`;
        all.push(
          pacer.acquire('t1', id).then((release) => {
            release();
            tenant.push(time.now());
            byConversation.set(id, [...(byConversation.get(id) ?? []), time.now()]);
          }),
        );
      }
    }
    // Another tenant is not held back by the first.
    let otherAt: number | undefined;
    all.push(pacer.acquire('t2', 'x').then((release) => void (release(), (otherAt = time.now()))));
    await time.run();
    await Promise.all(all);
    assert.equal(tenant.length, 180);
    assertWithin(tenant, TEAMS_LIMITS.perTenant, 'the tenant');
    for (const [id, times] of byConversation) assertWithin(times, TEAMS_LIMITS.perConversation, id);
    assert.equal(otherAt, 1_000_000);
  });

  it('serves waiters in arrival order, and a busy conversation does not hold up others', async () => {
    const time = new VirtualTime();
    const pacer = new SendPacer({ perConversation: [{ limit: 2, windowInMs: 1_000 }], perTenant: [{ limit: 100, windowInMs: 1_000 }] }, time);
    const order: string[] = [];
    const all = ['a1', 'a2', 'a3', 'a4', 'b1', 'a5', 'b2'].map((name) => pacer.acquire('t', name[0]).then((release) => (release(), order.push(name))));
    await time.run();
    await Promise.all(all);
    assert.deepEqual(order, ['a1', 'a2', 'b1', 'b2', 'a3', 'a4', 'a5']);
  });

  it('counts a send until it completes: a slow call keeps its place, so no window of arrivals can hold more', async () => {
    const time = new VirtualTime();
    const pacer = new SendPacer({ perConversation: [], perTenant: [{ limit: 1, windowInMs: 1_000 }] }, time);
    const releaseFirst = await pacer.acquire('t');
    let secondAt: number | undefined;
    let waitingAtCompletion = 0;
    const second = pacer.acquire('t').then((release) => void (release(), (secondAt = time.now())));
    // The first call completes 5 s later: until then the second waits, Teams may not have counted the first yet.
    void time.sleep(5_000).then(() => {
      waitingAtCompletion = pacer.waiting;
      releaseFirst();
    });
    await time.run();
    await second;
    assert.equal(waitingAtCompletion, 1);
    assert.equal(secondAt, 1_000_000 + 5_000 + 1_000, 'a window after the first completed');
  });

  it('keeps no state between pacers', async () => {
    const time = new VirtualTime();
    const first = new SendPacer({ perConversation: [{ limit: 1, windowInMs: 1_000 }], perTenant: [] }, time);
    (await first.acquire('t', 'c'))();
    const second = new SendPacer({ perConversation: [{ limit: 1, windowInMs: 1_000 }], perTenant: [] }, time);
    let granted = false;
    void second.acquire('t', 'c').then((release) => void (release(), (granted = true)));
    await flush();
    assert.equal(granted, true);
    assert.equal(first.waiting, 0);
  });
});
