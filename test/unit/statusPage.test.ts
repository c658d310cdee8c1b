/** `status` pages over the in-memory store: current requests first and never cut off, history with "more". */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { CURRENT_PER_PAGE, HISTORY_PER_PAGE, statusPage, type StatusCursor } from '../../src/app/statusPage';
import { ValidationError } from '../../src/domain/errors';
import type { AccessRequest, RequestState } from '../../src/domain/request';
import { parseStatusMorePayload, statusCursorToken } from '../../src/teams/payloads';
import { aRequest } from '../support/builders';
import { createTestContext, type TestContext } from '../support/fakes';

const REQUESTER = { id: '11111111-0000-4000-8000-000000000001', displayName: 'Adele Vance' };
const OTHER = { id: '11111111-0000-4000-8000-000000000006', displayName: 'Isaiah Langer' };

/** `day` days into 2026 at 08:00: larger is newer. */
const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n, 8)).toISOString();

async function stored(t: TestContext, state: RequestState, submittedOn: number, overrides: Partial<AccessRequest> = {}): Promise<AccessRequest> {
  const request = aRequest({ id: randomUUID(), requester: REQUESTER, state, submittedAt: day(submittedOn), ...overrides });
  await t.store.create(request);
  return request;
}

/** The cursor as it travels on the card and back. */
function throughTheCard(cursor: StatusCursor | undefined): StatusCursor {
  assert.ok(cursor, 'there is a next page');
  return parseStatusMorePayload({ cursor: statusCursorToken(cursor) });
}

describe('status pages (use-case, in-memory store)', () => {
  it('an old access comes first, then the open requests, then the newest finished ones; "more" reaches the rest', async () => {
    const t = createTestContext();
    const oldAccess = await stored(t, 'delivered', 1);
    const finished = [];
    for (let i = 0; i < 25; i++) finished.push(await stored(t, i % 2 ? 'denied' : 'canceled', 10 + i));
    const open = [await stored(t, 'pendingApproval', 40), await stored(t, 'scheduled', 41)];
    await t.store.create(aRequest({ requester: OTHER, state: 'delivered', submittedAt: day(50) }));

    const first = await statusPage(t, REQUESTER.id);
    assert.equal(first.continued, false);
    assert.equal(first.notShown, 0);
    // Current ones newest first (the view puts the access above the open ones).
    assert.deepEqual(first.requests.slice(0, 3).map((r) => r.id), [open[1].id, open[0].id, oldAccess.id]);
    // The history's 20 newest are the two open ones and 18 finished.
    const newestFinished = [...finished].reverse();
    assert.deepEqual(first.requests.slice(3).map((r) => r.id), newestFinished.slice(0, HISTORY_PER_PAGE - 2).map((r) => r.id));
    assert.equal(first.next?.current, undefined, 'every current request is shown');

    const second = await statusPage(t, REQUESTER.id, throughTheCard(first.next));
    assert.equal(second.continued, true);
    // The rest of the finished ones; the old access (in this stretch of history) is not shown twice.
    assert.deepEqual(second.requests.map((r) => r.id), newestFinished.slice(HISTORY_PER_PAGE - 2).map((r) => r.id));
    assert.equal(second.next, undefined);
  });

  it('never cuts off current requests: how many are not shown, and the next pages show them', async () => {
    const t = createTestContext();
    const current: AccessRequest[] = [];
    for (let i = 0; i < CURRENT_PER_PAGE + 5; i++) current.push(await stored(t, i % 3 ? 'delivered' : 'pendingApproval', i));
    const newest = current.reverse().map((r) => r.id);

    const first = await statusPage(t, REQUESTER.id);
    assert.deepEqual(first.requests.map((r) => r.id), newest.slice(0, CURRENT_PER_PAGE));
    assert.equal(first.notShown, 5);
    assert.ok(first.next?.current);

    const second = await statusPage(t, REQUESTER.id, throughTheCard(first.next));
    assert.deepEqual(second.requests.map((r) => r.id), newest.slice(CURRENT_PER_PAGE));
    assert.equal(second.notShown, 0);
    assert.equal(second.next, undefined);
  });

  it('a cursor naming someone else\'s request still pages only through the clicker\'s own', async () => {
    const t = createTestContext();
    const mine = await stored(t, 'denied', 5);
    const theirs = aRequest({ requester: OTHER, state: 'denied', submittedAt: day(9) });
    await t.store.create(theirs);
    const page = await statusPage(t, REQUESTER.id, { history: { time: Date.parse(day(10)), requestId: theirs.id } });
    assert.deepEqual(page.requests.map((r) => r.id), [mine.id]);
  });

  it('the "more" payload is untrusted: anything but a cursor this bot wrote is refused (400)', () => {
    const valid = statusCursorToken({ history: { time: Date.parse(day(3)), requestId: randomUUID() } });
    assert.ok(parseStatusMorePayload({ cursor: valid }).history);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const garbage: unknown[] = [
      undefined,
      {},
      { cursor: '' },
      { cursor: 42 },
      { cursor: 'not base64!' },
      { cursor: 'x'.repeat(401) },
      { cursor: Buffer.from('not json').toString('base64url') },
      { cursor: encode({}) },
      { cursor: encode(null) },
      { cursor: encode({ h: [1, 'not-a-uuid'] }) },
      { cursor: encode({ h: [-1, randomUUID()] }) },
      { cursor: encode({ h: [1.5, randomUUID()] }) },
      { cursor: encode({ h: [1, randomUUID()], admin: true }) },
      { cursor: encode({ c: ["' or 1 eq 1", randomUUID()] }) },
    ];
    for (const data of garbage) {
      assert.throws(() => parseStatusMorePayload(data), (err: unknown) => err instanceof ValidationError && err.messageKey === 'error.badAction', JSON.stringify(data));
    }
  });
});
