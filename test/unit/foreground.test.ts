import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { Foreground } from '../../src/teams/foreground';

describe('Foreground: work after an answer waits for the answers still pending', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  function pendingAnswer(foreground: Foreground): () => Promise<void> {
    let finish!: () => void;
    const answered = foreground.answer(() => new Promise<void>((done) => (finish = done)));
    return async () => {
      finish();
      await answered;
    };
  }

  it('runs the work at once when no answer is pending', () => {
    const ran: string[] = [];
    new Foreground().afterwards(() => ran.push('work'));
    assert.deepEqual(ran, ['work']);
  });

  it('holds the work until the last pending answer has been sent', async () => {
    const foreground = new Foreground();
    const [first, second] = [pendingAnswer(foreground), pendingAnswer(foreground)];
    const ran: string[] = [];
    foreground.afterwards(() => ran.push('a'));
    foreground.afterwards(() => ran.push('b'));
    await first();
    assert.deepEqual(ran, [], 'one answer still pending');
    await second();
    assert.deepEqual(ran, ['a', 'b']);
  });

  it('starts the work after maxWaitInMs when answers never stop coming, and only once', async () => {
    const foreground = new Foreground(1_000);
    const finish = pendingAnswer(foreground);
    let runs = 0;
    foreground.afterwards(() => runs++);
    await clock.tickAsync(999);
    assert.equal(runs, 0);
    await clock.tickAsync(1);
    assert.equal(runs, 1);
    await finish();
    assert.equal(runs, 1, 'not run again when the answers end');
  });

  it('counts an answer that fails as finished', async () => {
    const foreground = new Foreground();
    await assert.rejects(foreground.answer(() => Promise.reject(new Error('boom'))));
    let ran = false;
    foreground.afterwards(() => (ran = true));
    assert.equal(ran, true);
  });
});
