import { strict as assert } from 'node:assert';
import { RunHistory } from '../../src/app/runHistory';

describe('RunHistory: whether a state read after a moment can still be trusted', () => {
  it('a request no run touched since the mark is untouched; one that started or ended since is not', () => {
    const history = new RunHistory();
    history.note('a');
    const mark = history.now();
    assert.equal(history.untouchedSince('a', mark), true);
    assert.equal(history.untouchedSince('never-run', mark), true);
    history.note('a');
    assert.equal(history.untouchedSince('a', mark), false);
    assert.equal(history.untouchedSince('b', mark), true);
  });

  it('after forgetting old requests it answers "touched" for any it no longer knows, when in doubt', () => {
    const history = new RunHistory();
    const mark = history.now();
    for (let i = 0; i <= 10_000; i++) history.note(`r${i}`);
    assert.equal(history.untouchedSince('r0', mark), false, 'r0 is forgotten but was touched after the mark');
    assert.equal(history.untouchedSince('new', mark), false, 'unknown, and requests were forgotten since the mark');
    assert.equal(history.untouchedSince('new', history.now()), true, 'nothing forgotten after this mark');
  });
});
