import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { Scheduler, type DueOutcome, type SchedulerOptions, type TickSummary } from '../../src/app/scheduler';
import type { DueItem } from '../../src/domain/schedule';
import { InMemoryLease, InMemoryScheduleIndex, ManualClock, RecordingLogger } from '../support/fakes';

const NOW = '2026-03-02T09:00:00.000Z';

function item(requestId: string, dueAt: string, kind: DueItem['kind'] = 'stageTimeout', ref = 1): DueItem {
  return { kind, requestId, dueAt, ref };
}

function minutesBefore(minutes: number): string {
  return new Date(Date.parse(NOW) - minutes * 60_000).toISOString();
}

function ran(summary: TickSummary): Extract<TickSummary, { ran: true }> {
  assert.equal(summary.ran, true, summary.ran ? '' : summary.reason);
  return summary as Extract<TickSummary, { ran: true }>;
}

/** A runDue that records what it ran and answers per request id: 'done' unless told otherwise. */
class FakeWork {
  readonly runs: DueItem[] = [];
  readonly outcomes = new Map<string, DueOutcome | Error>();
  private active = 0;
  maxActive = 0;
  readonly log: string[] = [];

  readonly runDue = async (item: DueItem): Promise<DueOutcome> => {
    this.runs.push(item);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.log.push(`start ${item.requestId} ${item.dueAt}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    this.log.push(`end ${item.requestId} ${item.dueAt}`);
    this.active--;
    const outcome = this.outcomes.get(item.requestId) ?? 'done';
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };

  ranFor(requestId: string): string[] {
    return this.runs.filter((r) => r.requestId === requestId).map((r) => r.dueAt);
  }
}

describe('Scheduler', () => {
  let sandbox: sinon.SinonSandbox;
  let index: InMemoryScheduleIndex;
  let lease: InMemoryLease;
  let clock: ManualClock;
  let logger: RecordingLogger;
  let work: FakeWork;

  beforeEach(() => {
    sandbox = sinon.createSandbox();
    index = new InMemoryScheduleIndex();
    lease = new InMemoryLease();
    clock = new ManualClock(NOW);
    logger = new RecordingLogger();
    work = new FakeWork();
  });

  afterEach(() => sandbox.restore());

  function scheduler(options: Partial<SchedulerOptions> = {}): Scheduler {
    return new Scheduler({ index, lease, clock, logger, holderId: 'instance-1', runDue: work.runDue, ...options });
  }

  it('runs what is due, removes done and stale items, and keeps failed ones', async () => {
    work.outcomes.set('stale', 'stale');
    work.outcomes.set('broken', new Error('Graph 503'));
    await index.add([
      item('done', minutesBefore(3), 'approvalReminder'),
      item('stale', minutesBefore(2), 'escalation'),
      item('broken', minutesBefore(1)),
      item('at-now', NOW, 'scheduledStart'),
      item('future', '2026-03-02T09:00:00.001Z'),
    ]);

    const summary = ran(await scheduler().tick());

    assert.deepEqual(
      { due: summary.due, done: summary.done, stale: summary.stale, failed: summary.failed, deferred: summary.deferred },
      { due: 4, done: 2, stale: 1, failed: 1, deferred: 0 },
    );
    assert.deepEqual(summary.byKind, { stageTimeout: 1, approvalReminder: 1, escalation: 1, scheduledStart: 1, accessExpiry: 0, expiryReminder: 0 });
    assert.deepEqual(
      index.items().map((i) => i.requestId),
      ['broken', 'future'],
    );
    const failure = logger.at('warn').find((e) => e.msg?.includes('failed'));
    assert.ok(failure, 'the failure is logged');
    assert.deepEqual({ ...failure.obj, err: undefined }, { requestId: 'broken', kind: 'stageTimeout', dueAt: minutesBefore(1), ref: 1, err: undefined });
  });

  it('tries a failed item once per tick, and again at the next tick', async () => {
    work.outcomes.set('broken', new Error('Graph 503'));
    await index.add([item('broken', minutesBefore(1))]);
    const s = scheduler({ batchSize: 1 });

    assert.equal(ran(await s.tick()).failed, 1);
    assert.equal(work.runs.length, 1);

    work.outcomes.delete('broken');
    assert.equal(ran(await s.tick()).done, 1);
    assert.equal(work.runs.length, 2);
    assert.deepEqual(index.items(), []);
  });

  it('runs the items of one request one after another, in due order, and requests in parallel', async () => {
    await index.add([
      item('a', minutesBefore(1), 'stageTimeout'),
      item('b', minutesBefore(5)),
      item('a', minutesBefore(3), 'approvalReminder'),
      item('a', minutesBefore(2), 'escalation'),
      item('c', minutesBefore(4)),
    ]);

    ran(await scheduler().tick());

    assert.deepEqual(work.ranFor('a'), [minutesBefore(3), minutesBefore(2), minutesBefore(1)]);
    const forA = work.log.filter((line) => line.includes(' a '));
    assert.deepEqual(
      forA.map((line) => line.split(' ')[0]),
      ['start', 'end', 'start', 'end', 'start', 'end'],
      'never two items of one request at once',
    );
    assert.ok(work.maxActive > 1, 'different requests run at the same time');
  });

  it('leaves the later items of a request whose earlier item failed for the next tick', async () => {
    work.outcomes.set('a', new Error('Graph 503'));
    await index.add([item('a', minutesBefore(2), 'scheduledStart'), item('a', minutesBefore(1), 'approvalReminder'), item('b', minutesBefore(1))]);

    const summary = ran(await scheduler({ batchSize: 1 }).tick());

    assert.deepEqual({ due: summary.due, done: summary.done, failed: summary.failed, deferred: summary.deferred }, { due: 2, done: 1, failed: 1, deferred: 1 });
    assert.deepEqual(work.ranFor('a'), [minutesBefore(2)]);
    assert.equal(index.items().filter((i) => i.requestId === 'a').length, 2);
  });

  it('works through more than one batch, renewing the lease between batches', async () => {
    await index.add(Array.from({ length: 7 }, (_, i) => item(`r${i}`, minutesBefore(10 - i))));
    const acquire = sandbox.spy(lease, 'acquire');

    const summary = ran(await scheduler({ batchSize: 3 }).tick());

    assert.equal(summary.done, 7);
    assert.deepEqual(index.items(), []);
    assert.equal(acquire.callCount, 4, 'taken once, renewed before each later batch (the last one comes back empty)');
    assert.equal(lease.holderOf('scheduler'), undefined, 'released at the end');
  });

  it('is not stopped by more failed items than a batch holds', async () => {
    for (const id of ['x1', 'x2', 'x3']) work.outcomes.set(id, new Error('boom'));
    await index.add([item('x1', minutesBefore(9)), item('x2', minutesBefore(8)), item('x3', minutesBefore(7)), item('ok1', minutesBefore(6)), item('ok2', minutesBefore(5))]);

    const summary = ran(await scheduler({ batchSize: 2 }).tick());

    assert.equal(summary.failed, 3);
    assert.equal(summary.done, 2);
    assert.equal(work.runs.length, 5, 'each item once');
  });

  it('runs items that fall due during the tick (added by the work it did)', async () => {
    await index.add([item('a', minutesBefore(1), 'escalation')]);
    const runDue = async (due: DueItem): Promise<DueOutcome> => {
      if (due.kind === 'escalation') await index.add([item('a', NOW, 'stageTimeout', 2)]);
      return work.runDue(due);
    };
    const summary = ran(await scheduler({ runDue }).tick());
    assert.equal(summary.done, 2);
  });

  it('does nothing while another instance holds the lease, and runs once it has expired', async () => {
    await index.add([item('a', minutesBefore(1))]);
    assert.equal(await lease.acquire('scheduler', 'instance-2', 5 * 60_000, clock.now()), true);

    const summary = await scheduler().tick();

    assert.deepEqual(summary, { ran: false, reason: 'another instance holds the scheduler lease' });
    assert.equal(work.runs.length, 0);
    assert.equal(lease.holderOf('scheduler'), 'instance-2');

    clock.advance(5 * 60_000);
    assert.equal(ran(await scheduler().tick()).done, 1);
  });

  it('runs each item once when two schedulers share one index and lease and tick at the same moment', async () => {
    await index.add(Array.from({ length: 30 }, (_, i) => item(`r${i % 7}`, minutesBefore(60 - i), i % 2 ? 'approvalReminder' : 'stageTimeout', i)));
    const first = scheduler({ holderId: 'instance-1', batchSize: 4 });
    const second = scheduler({ holderId: 'instance-2', batchSize: 4 });

    const summaries = await Promise.all([first.tick(), second.tick(), first.tick(), second.tick()]);

    assert.equal(work.runs.length, 30);
    assert.equal(new Set(work.runs.map((r) => `${r.requestId}|${r.kind}|${r.ref}`)).size, 30);
    assert.equal(
      summaries.reduce((sum, s) => sum + (s.ran ? s.done : 0), 0),
      30,
    );
    assert.ok(summaries.some((s) => !s.ran), 'the other instance was kept out');
    assert.deepEqual(index.items(), []);
  });

  it('releases the lease when the index fails, and rejects', async () => {
    sandbox.stub(index, 'listDue').rejects(new Error('storage down'));
    await assert.rejects(scheduler().tick(), /storage down/);
    assert.equal(lease.holderOf('scheduler'), undefined);
  });

  it('never overlaps ticks: a tick asked for while one runs starts after it', async () => {
    await index.add([item('a', minutesBefore(1))]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const starts: string[] = [];
    const runDue = async (due: DueItem): Promise<DueOutcome> => {
      starts.push(due.requestId);
      await gate;
      return 'done';
    };
    const s = scheduler({ runDue });
    const one = s.tick();
    const two = s.tick();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(starts, ['a'], 'the second tick (same holder, so the lease would let it in) has not started');
    release();
    const [first, second] = await Promise.all([one, two]);
    assert.equal(ran(first).done, 1);
    assert.equal(ran(second).due, 0);
    assert.deepEqual(starts, ['a']);
  });

  describe('timer', () => {
    it('ticks every interval once started, and stop() waits for a running tick', async () => {
      const timers = sandbox.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      await index.add([item('a', minutesBefore(1))]);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const runDue = sandbox.spy(async (): Promise<DueOutcome> => {
        await gate;
        return 'done';
      });
      const s = scheduler({ runDue });

      s.start(60_000);
      await timers.tickAsync(59_999);
      assert.equal(runDue.callCount, 0);
      await timers.tickAsync(1);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(runDue.callCount, 1);

      let stopped = false;
      const stopping = s.stop().then(() => (stopped = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(stopped, false, 'stop waits for the running tick');
      release();
      await stopping;
      assert.deepEqual(index.items(), []);

      await index.add([item('b', minutesBefore(1))]);
      await timers.tickAsync(120_000);
      assert.equal(runDue.callCount, 1, 'no tick after stop');
    });
  });
});
