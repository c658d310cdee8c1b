/**
 * One request per person and package at a time (issue 12, CONTRACT §5): a submit is refused while the person's
 * latest request for the package is open, holds the access or failed, with a sentence that says what exists and
 * what to do; nothing is stored and no card is sent. Two submits at the same moment give exactly one request.
 */
import { strict as assert } from 'node:assert';
import { cancelRequest } from '../../src/app/cancelRequest';
import { EffectRunner } from '../../src/app/effectRunner';
import { submitRequest } from '../../src/app/submitRequest';
import { ConflictError } from '../../src/domain/errors';
import { refusalOfNewRequest } from '../../src/domain/oneRequestPerPackage';
import { errorText } from '../../src/teams/i18n';
import { domainError } from '../support/assertions';
import { createTestContext, demo, type TestContext } from '../support/fakes';
import { buildRequest } from '../support/requestFixtures';
import { crmUsersInput, useCaseSteps } from '../support/useCaseSteps';

const { adele, diego, lee } = demo.users;
const CRM = 'CRM users';

describe('one request per person and package', () => {
  let t: TestContext;
  let runner: EffectRunner;
  const { submitAndRun, decideAndRun } = useCaseSteps(() => ({ t, runner }));

  beforeEach(() => {
    t = createTestContext();
    runner = new EffectRunner(t);
  });

  it('refuses a second request while the first waits for approval: 409, nothing stored, no card', async () => {
    await submitAndRun();
    const requests = t.store.ids().length;
    const posts = t.notifier.posts.length;
    await assert.rejects(submitRequest(t, crmUsersInput()), domainError(ConflictError, 'error.alreadyRequested', { package: CRM, state: 'pendingApproval' }));
    await runner.idle();
    assert.equal(t.store.ids().length, requests, 'nothing stored');
    assert.equal(t.notifier.posts.length, posts, 'no card sent');
  });

  it('refuses while the access is held, and says until when', async () => {
    const id = await submitAndRun();
    await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
    const held = t.store.peek(id)?.request;
    assert.equal(held?.state, 'delivered');
    const expected = held?.accessEndsAt
      ? domainError(ConflictError, 'error.alreadyHeldUntil', { package: CRM, date: held.accessEndsAt.slice(0, 10) })
      : domainError(ConflictError, 'error.alreadyHeld', { package: CRM });
    await assert.rejects(submitRequest(t, crmUsersInput()), expected);
  });

  it('allows a new request once the last one ended without access (denied, canceled)', async () => {
    const denied = await submitAndRun();
    await decideAndRun({ requestId: denied, actorId: diego, outcome: 'denied', justification: 'not now' });
    const second = await submitAndRun();
    await cancelRequest(t, { requestId: second, actorId: adele });
    await runner.idle();
    const third = await submitRequest(t, crmUsersInput());
    assert.equal(third.request.state, 'submitted');
  });

  it('is per person and per package', async () => {
    await submitAndRun();
    await submitRequest(t, crmUsersInput({ packageId: 'sales-team' }));
    await submitRequest(t, crmUsersInput({ requesterId: lee }));
  });

  it('two submits at the same moment: exactly one request, the other refused', async () => {
    const results = await Promise.allSettled([submitRequest(t, crmUsersInput()), submitRequest(t, crmUsersInput())]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(refused?.reason instanceof ConflictError && ['error.alreadyRequested', 'error.submitInFlight'].includes(refused.reason.messageKey), String(refused?.reason));
    assert.equal(t.store.ids().length, 1);
  });

  it('a claim whose request is not stored refuses while it may be in flight, and nothing 10 s later (a crash between the two writes)', async () => {
    assert.ok(await t.claims.claim(adele, 'crm-users', 'lost-request', t.clock.now().toISOString(), undefined));
    await assert.rejects(submitRequest(t, crmUsersInput()), domainError(ConflictError, 'error.submitInFlight', { package: CRM }));
    t.clock.advance(10_000);
    const created = await submitRequest(t, crmUsersInput());
    assert.equal(created.request.state, 'submitted');
  });

  it('says what exists and what to do, in English and Japanese', () => {
    const failed = refusalOfNewRequest(buildRequest({ state: 'partiallyDelivered' }), CRM);
    assert.ok(failed);
    assert.match(errorText('en', failed.messageKey, failed.params), /reprocess.*"cancel"/);
    assert.match(errorText('ja', failed.messageKey, failed.params), /キャンセル/);
    const open = refusalOfNewRequest(buildRequest({ state: 'pendingApproval' }), CRM);
    assert.ok(open);
    assert.match(errorText('en', open.messageKey, open.params), /"status".*"cancel"/);
    const removing = refusalOfNewRequest(buildRequest({ state: 'partiallyDelivered', removalStartedAt: '2026-03-05T09:00:00.000Z', canceledAt: '2026-03-05T09:00:00.000Z' }), CRM);
    assert.equal(removing?.messageKey, 'error.removalUnderway', 'a canceled request still removing its access: wait, do not cancel again');
    for (const state of ['denied', 'expired', 'canceled', 'accessExpired', 'extended'] as const) {
      assert.equal(refusalOfNewRequest(buildRequest({ state }), CRM), undefined, state);
    }
  });
});
