/** Access expiry on the in-memory fakes: due work (#7, removal), extension with and without approval, release. */
import { strict as assert } from 'node:assert';
import { domainError } from '../support/assertions';
import { decideRequest } from '../../src/app/decide';
import { runDueItem } from '../../src/app/dueWork';
import { EffectRunner } from '../../src/app/effectRunner';
import { extendAccess } from '../../src/app/extendAccess';
import { releaseAccess } from '../../src/app/releaseAccess';
import { submitRequest } from '../../src/app/submitRequest';
import { ConflictError, ForbiddenError } from '../../src/domain/errors';
import { REMOVAL_RETRY_REF } from '../../src/domain/expiry';
import type { DueItem, DueKind } from '../../src/domain/schedule';
import { DAY_IN_MS } from '../../src/domain/transitions';
import { createTestContext, demo, formCard, sampleCatalogWith, type TestContext, type TestContextOverrides } from '../support/fakes';
import { CRM_POLICY, useCaseSteps } from '../support/useCaseSteps';

const { adele, megan } = demo.users;
const { crmUsers } = demo.groups;
const YEAR = 365 * DAY_IN_MS;

describe('access expiry on in-memory fakes', () => {
  let t: TestContext;
  let runner: EffectRunner;
  const { stored, settle, runDue } = useCaseSteps(() => ({ t, runner }));

  function useContext(overrides: TestContextOverrides = {}): void {
    t = createTestContext(overrides);
    runner = new EffectRunner(t);
  }

  beforeEach(() => useContext());

  /** Adele's CRM users request, approved by Megan and delivered (group + app role); returns its id. */
  async function delivered(): Promise<string> {
    const created = await submitRequest(t, { requesterId: adele, packageId: 'crm-users', justification: 'Pipeline review', formCard: formCard(adele) });
    const id = created.request.id;
    await settle(id);
    await decideRequest(t, { requestId: id, actorId: megan, outcome: 'approved', justification: 'ok' });
    await settle(id);
    assert.equal(stored(id).request.state, 'delivered');
    return id;
  }

  function items(requestId: string, kind: DueKind): DueItem[] {
    return t.schedule.items().filter((i) => i.requestId === requestId && i.kind === kind);
  }

  /** Moves the clock to the item's due time and runs it. */
  async function runAtDue(item: DueItem): Promise<'done' | 'stale'> {
    if (t.clock.now().getTime() < Date.parse(item.dueAt)) t.clock.set(item.dueAt);
    return runDue(item);
  }

  const grantsOfAdele = () => t.provisioner.grants.filter((g) => g.userId === adele);

  it('delivery schedules the expiry and a reminder for each of expiryReminderDays (14 and 1)', async () => {
    const deliveredAt = t.clock.now().getTime();
    const id = await delivered();
    const endsAt = stored(id).request.accessEndsAt;
    assert.equal(endsAt, new Date(deliveredAt + YEAR).toISOString());
    assert.deepEqual(items(id, 'accessExpiry').map((i) => [i.dueAt, i.ref]), [[endsAt, 0]]);
    assert.deepEqual(
      items(id, 'expiryReminder').map((i) => [i.dueAt, i.ref]),
      [
        [new Date(deliveredAt + YEAR - 14 * DAY_IN_MS).toISOString(), 14],
        [new Date(deliveredAt + YEAR - DAY_IN_MS).toISOString(), 1],
      ],
    );
  });

  it('#7: the reminder is posted to the requester once; a re-run item is stale', async () => {
    const id = await delivered();
    const [fourteen] = items(id, 'expiryReminder');
    assert.equal(await runAtDue(fourteen), 'done');
    assert.equal(t.notifier.postsTo(adele, 'accessEndingSoon').length, 1);
    assert.equal(await runDue(fourteen), 'stale');
    assert.equal(t.notifier.postsTo(adele, 'accessEndingSoon').length, 1);
  });

  it('expiry: every resource removed through Graph, accessExpired, #8 to the requester', async () => {
    const id = await delivered();
    assert.equal(grantsOfAdele().length, 2);
    const [expiry] = items(id, 'accessExpiry');
    assert.equal(await runAtDue(expiry), 'done');
    assert.equal(grantsOfAdele().length, 0, 'membership and app-role assignment removed');
    const appRoleRemoval = t.provisioner.revokeCalls[0].deliveries.find((d) => d.resource.type === 'appRole');
    assert.ok(appRoleRemoval?.assignmentId, 'the app-role assignment is removed by the id kept at delivery');
    const { request } = stored(id);
    assert.equal(request.state, 'accessExpired');
    assert.deepEqual(request.resources.map((r) => r.status), ['removed', 'removed']);
    assert.equal(t.notifier.postsTo(adele, 'accessEnded').length, 1);
    assert.equal(await runDue(expiry), 'stale', 'a re-run does nothing');
    const audit = await t.store.listAudit(id);
    assert.equal(audit.filter((a) => a.action === 'graphRemove' && a.outcome === 'removed').length, 2);
  });

  it('a removal already gone (404) counts as removed', async () => {
    const id = await delivered();
    t.provisioner.grants.splice(0, t.provisioner.grants.length);
    await runAtDue(items(id, 'accessExpiry')[0]);
    assert.equal(stored(id).request.state, 'accessExpired');
  });

  it('transient removal failures are retried with backoff until removed', async () => {
    const id = await delivered();
    t.provisioner.failRemovalTransiently(crmUsers, 2);
    await runAtDue(items(id, 'accessExpiry')[0]);
    assert.equal(stored(id).request.state, 'delivered');
    assert.equal(stored(id).effects[0]?.effect.kind, 'revoke', 'a retry waits in the outbox');
    for (let i = 0; i < 2; i++) {
      t.clock.advance(60_000);
      await settle(id);
    }
    assert.equal(stored(id).request.state, 'accessExpired');
    assert.equal(grantsOfAdele().length, 0);
  });

  it('a removal Graph refuses is kept visible and retried daily, then #8 once it succeeds', async () => {
    const id = await delivered();
    t.provisioner.failRemovalPermanently(crmUsers);
    await runAtDue(items(id, 'accessExpiry')[0]);
    let { request } = stored(id);
    assert.equal(request.state, 'delivered', 'still holds the group: not accessExpired');
    const group = request.resources.find((r) => r.resource.type === 'group');
    assert.equal(group?.status, 'removalFailed');
    assert.match(group?.lastError ?? '', /403/);
    assert.equal(t.notifier.postsTo(adele, 'accessEnded').length, 0);
    const [retry] = items(id, 'accessExpiry').filter((i) => i.ref === REMOVAL_RETRY_REF);
    assert.ok(retry, 'a retry is scheduled');

    t.provisioner.healRemoval(crmUsers);
    assert.equal(await runAtDue(retry), 'done');
    request = stored(id).request;
    assert.equal(request.state, 'accessExpired');
    assert.equal(grantsOfAdele().length, 0);
    assert.equal(t.notifier.postsTo(adele, 'accessEnded').length, 1);
  });

  it('an expiry due while a reprocess is delivering waits for the next tick', async () => {
    const id = await delivered();
    const [expiry] = items(id, 'accessExpiry');
    const loaded = stored(id);
    await t.store.commit(loaded, { ...loaded.request, state: 'delivering', version: loaded.request.version + 1 });
    t.clock.set(expiry.dueAt);
    await assert.rejects(runDueItem(t, runner, expiry), /delivery under way/);
  });

  describe('extension without approval', () => {
    it('moves the end a year; the old items are stale, the new ones follow the new date', async () => {
      const id = await delivered();
      const [fourteen] = items(id, 'expiryReminder');
      const [oldExpiry] = items(id, 'accessExpiry');
      await runAtDue(fourteen);
      const { extended, extension } = await extendAccess(t, { requestId: id, actorId: adele });
      assert.equal(extension, undefined);
      const newEnd = new Date(Date.parse(oldExpiry.dueAt) + YEAR).toISOString();
      assert.equal(extended.request.accessEndsAt, newEnd);
      await settle(id);
      assert.ok(t.notifier.updates.some((u) => u.posted.card === 'accessEndingSoon' && u.request.accessEndsAt === newEnd), 'the #7 card shows the new date');
      const audit = await t.store.listAudit(id);
      assert.equal(audit.at(-1)?.actorId, adele);

      const [, oneDay] = items(id, 'expiryReminder');
      assert.equal(await runAtDue(oneDay), 'stale', 'the old reminder');
      assert.equal(await runAtDue(oldExpiry), 'stale', 'the old expiry');
      assert.equal(grantsOfAdele().length, 2);
      const [newExpiry] = items(id, 'accessExpiry').filter((i) => i.dueAt === newEnd);
      assert.ok(newExpiry);
      assert.equal(await runAtDue(newExpiry), 'done');
      assert.equal(stored(id).request.state, 'accessExpired');
    });

    it('refused for someone else, when the policy does not allow it, or out of the requestor scope', async () => {
      const id = await delivered();
      await assert.rejects(extendAccess(t, { requestId: id, actorId: megan }), domainError(ForbiddenError, 'error.notYourAccess'));
      t.catalog = sampleCatalogWith([[...CRM_POLICY, 'extension'], { allowed: false, approvalRequired: false }]);
      await assert.rejects(extendAccess(t, { requestId: id, actorId: adele }), domainError(ConflictError, 'error.extensionNotAllowed'));
      t.catalog = sampleCatalogWith([[...CRM_POLICY, 'requestors'], { scope: { users: [megan] } }]);
      await assert.rejects(extendAccess(t, { requestId: id, actorId: adele }), domainError(ForbiddenError, 'error.extensionOutOfScope'));
    });
  });

  describe('extension with approval', () => {
    beforeEach(() => useContext({ catalog: sampleCatalogWith([[...CRM_POLICY, 'extension'], { allowed: true, approvalRequired: true }]) }));

    it('goes through the approval stage; approved → the end moves and the extension request is `extended`', async () => {
      const id = await delivered();
      const endsAt = stored(id).request.accessEndsAt;
      const { extended, extension } = await extendAccess(t, { requestId: id, actorId: adele });
      assert.ok(extension);
      assert.equal(extended.request.accessEndsAt, endsAt, 'not before approval');
      assert.equal(extended.request.pendingExtension?.requestId, extension.request.id);
      await assert.rejects(extendAccess(t, { requestId: id, actorId: adele }), domainError(ConflictError, 'error.extensionPending'));
      await settle(id, extension.request.id);
      assert.equal(stored(extension.request.id).request.state, 'pendingApproval');
      const asked = t.notifier.posts.filter((p) => p.card === 'approvalRequest' && p.request.id === extension.request.id);
      assert.ok(asked.length > 0, 'the approvers are asked');
      assert.ok(asked.every((p) => p.request.extensionOf?.requestId === id), 'the card is about an extension');

      await decideRequest(t, { requestId: extension.request.id, actorId: megan, outcome: 'approved', justification: 'ok' });
      await settle(extension.request.id);
      await settle(id);
      const original = stored(id).request;
      assert.equal(original.accessEndsAt, new Date(Date.parse(endsAt ?? '') + YEAR).toISOString());
      assert.equal(original.pendingExtension, undefined);
      assert.ok(items(id, 'accessExpiry').some((i) => i.dueAt === original.accessEndsAt));
      assert.equal(stored(extension.request.id).request.state, 'extended');
      assert.equal(t.provisioner.calls.length, 1, 'an extension delivers nothing');
    });

    it('denied → the mark goes and the end stays', async () => {
      const id = await delivered();
      const endsAt = stored(id).request.accessEndsAt;
      const { extension } = await extendAccess(t, { requestId: id, actorId: adele });
      assert.ok(extension);
      await settle(extension.request.id);
      await decideRequest(t, { requestId: extension.request.id, actorId: megan, outcome: 'denied', justification: 'not now' });
      await settle(extension.request.id, id);
      assert.equal(stored(id).request.pendingExtension, undefined);
      assert.equal(stored(id).request.accessEndsAt, endsAt);
      assert.equal(t.notifier.postsTo(adele, 'requestDenied').length, 1);
    });

    it('release while an extension waits: access removed, the extension request withdrawn', async () => {
      const id = await delivered();
      const { extension } = await extendAccess(t, { requestId: id, actorId: adele });
      assert.ok(extension);
      await settle(extension.request.id);
      await releaseAccess(t, { requestId: id, actorId: adele });
      await settle(id, extension.request.id);
      assert.equal(stored(extension.request.id).request.state, 'canceled');
      assert.equal(stored(id).request.state, 'accessExpired');
      assert.equal(stored(id).request.pendingExtension, undefined);
    });
  });

  describe('release', () => {
    it('the requester gives access back early: removed at once, #8, the scheduled expiry is stale', async () => {
      const id = await delivered();
      const released = await releaseAccess(t, { requestId: id, actorId: adele });
      assert.equal(released.request.removalStartedAt, t.clock.now().toISOString());
      await settle(id);
      assert.equal(stored(id).request.state, 'accessExpired');
      assert.equal(grantsOfAdele().length, 0);
      assert.equal(t.notifier.postsTo(adele, 'accessEnded').length, 1);
      assert.equal(await runAtDue(items(id, 'accessExpiry')[0]), 'stale');
      assert.equal((await t.store.listAudit(id)).some((a) => a.actorId === adele), true);
    });

    it('refused for someone else and twice', async () => {
      const id = await delivered();
      await assert.rejects(releaseAccess(t, { requestId: id, actorId: megan }), domainError(ForbiddenError, 'error.notYourAccess'));
      await releaseAccess(t, { requestId: id, actorId: adele });
      await assert.rejects(releaseAccess(t, { requestId: id, actorId: adele }), domainError(ConflictError, 'error.alreadyRemoving'));
    });
  });
});
