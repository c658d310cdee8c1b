import { strict as assert } from 'node:assert';
import { domainError } from '../support/assertions';
import { cancelRequest } from '../../src/app/cancelRequest';
import { decideRequest } from '../../src/app/decide';
import { runDueItem } from '../../src/app/dueWork';
import { EffectRunner } from '../../src/app/effectRunner';
import type { CommitOptions, LoadedRequest, PostedCard } from '../../src/app/ports';
import { Scheduler } from '../../src/app/scheduler';
import { submitRequest } from '../../src/app/submitRequest';
import { transact } from '../../src/app/transact';
import { ConcurrencyError, ConflictError, ExpiredError, ForbiddenError, NotFoundError } from '../../src/domain/errors';
import type { AccessRequest, RequestState } from '../../src/domain/request';
import { DUE_KINDS, type DueItem, type DueKind } from '../../src/domain/schedule';
import { DAY_IN_MS, advance } from '../../src/domain/transitions';
import {
  InMemoryLease,
  InMemoryRequestStore,
  createTestContext,
  demo,
  sampleCatalogWith,
  silentLogger,
  type TestContext,
  type TestContextOverrides,
  formCard,
} from '../support/fakes';
import { CRM_POLICY, CRM_STAGE, SALES_POLICY, crmUsersInput, useCaseSteps } from '../support/useCaseSteps';

const { adele, diego, megan, lee, patti, isaiah } = demo.users;
/**
 * A request store whose commits can lose an ETag race: `failNextCommits` makes the next commits throw
 * ConcurrencyError without writing; `beforeNextCommit` runs another writer first, so the commit really
 * meets a changed ETag.
 */
class RacingRequestStore extends InMemoryRequestStore {
  private failures = 0;
  private interference: (() => Promise<void>) | undefined;
  readonly lostRaces: string[] = [];

  failNextCommits(times: number): void {
    this.failures = times;
  }

  beforeNextCommit(writer: () => Promise<void>): void {
    this.interference = writer;
  }

  override async commit(loaded: LoadedRequest, next: AccessRequest, options?: CommitOptions): Promise<LoadedRequest> {
    const writer = this.interference;
    this.interference = undefined;
    if (writer) await writer();
    if (this.failures > 0) {
      this.failures--;
      this.lostRaces.push(next.id);
      throw new ConcurrencyError(`request ${next.id}`);
    }
    return super.commit(loaded, next, options);
  }
}

describe('due work on in-memory fakes', () => {
  let t: TestContext;
  let runner: EffectRunner;
  const { stored, submitAndRun, decideAndRun, runDue } = useCaseSteps(() => ({ t, runner }));

  function useContext(overrides: TestContextOverrides = {}): void {
    t = createTestContext(overrides);
    runner = new EffectRunner(t);
  }

  beforeEach(() => useContext());

  /** The scheduled item of one kind for a request (exactly one is expected). */
  function scheduledItem(requestId: string, kind: DueKind): DueItem {
    const items = t.schedule.items().filter((i) => i.requestId === requestId && i.kind === kind);
    assert.equal(items.length, 1, `one ${kind} item for ${requestId}`);
    return items[0];
  }

  /** Activity ids of card updates made since `from` that show the request in `state`. */
  function updatedIn(state: RequestState, from = 0): Set<string> {
    return new Set(t.notifier.updates.slice(from).filter((u) => u.request.state === state).map((u) => u.posted.activityId));
  }

  function cardsOf(requestId: string, ...kinds: PostedCard['card'][]): PostedCard[] {
    return stored(requestId).cards.filter((c) => kinds.includes(c.card));
  }

  describe('the schedule effect', () => {
    it('submit → kick → idle: the index holds the stage timeout and the reminder with their due times, the outbox is empty', async () => {
      const submittedAt = t.clock.now().getTime();
      const id = await submitAndRun();
      const loaded = stored(id);
      const dueAt = new Date(submittedAt + 14 * DAY_IN_MS).toISOString();
      assert.equal(loaded.request.stages[0].dueAt, dueAt);
      assert.deepEqual(t.schedule.items(), [
        { kind: 'approvalReminder', requestId: id, dueAt: new Date(submittedAt + 13 * DAY_IN_MS).toISOString(), ref: 0 },
        { kind: 'stageTimeout', requestId: id, dueAt, ref: 0 },
      ]);
      assert.deepEqual(loaded.effects, []);
      assert.equal(t.store.isIndexed(id), false);
    });

    it('a stage with an escalation adds the escalation item; a package without approval schedules nothing', async () => {
      useContext({ catalog: sampleCatalogWith([[...CRM_STAGE, 'escalation'], { afterDays: 3, approvers: [{ user: lee }] }]) });
      const start = t.clock.now().getTime();
      const id = await submitAndRun();
      assert.deepEqual(
        t.schedule.items().map((i) => [i.kind, i.dueAt, i.ref]),
        [
          ['escalation', new Date(start + 3 * DAY_IN_MS).toISOString(), 0],
          ['approvalReminder', new Date(start + 13 * DAY_IN_MS).toISOString(), 0],
          ['stageTimeout', new Date(start + 14 * DAY_IN_MS).toISOString(), 0],
        ],
      );
      assert.ok(t.schedule.items().every((i) => i.requestId === id));

      const before = t.schedule.items();
      const noApproval = await submitAndRun({ requesterId: adele, packageId: 'sales-team' });
      assert.equal(stored(noApproval).request.state, 'delivered');
      // No stage items: only the access expiry (180 days) and its reminder (7 days before).
      assert.deepEqual(
        t.schedule.items().filter((i) => !before.some((b) => b.requestId === i.requestId && b.kind === i.kind && b.dueAt === i.dueAt)).map((i) => [i.requestId, i.kind]),
        [[noApproval, 'expiryReminder'], [noApproval, 'accessExpiry']],
      );
    });

    it('stage 2 gets its own items (ref 1) when it starts, after stage 1 approves', async () => {
      const stage1 = { approvers: [{ group: demo.groups.crmApprovers }], timeoutDays: 14, reminderDaysBeforeTimeout: 2 };
      const stage2 = { approvers: [{ user: patti }], timeoutDays: 7, reminderDaysBeforeTimeout: 1 };
      useContext({ catalog: sampleCatalogWith([[...CRM_STAGE.slice(0, -1)], [stage1, stage2]]) });
      const id = await submitAndRun();
      t.clock.advanceDays(2);
      await decideAndRun({ requestId: id, actorId: megan, outcome: 'approved' });
      const stage2Start = t.clock.now().getTime();
      const items = t.schedule.items().filter((i) => i.ref === 1);
      assert.deepEqual(items, [
        { kind: 'approvalReminder', requestId: id, dueAt: new Date(stage2Start + 6 * DAY_IN_MS).toISOString(), ref: 1 },
        { kind: 'stageTimeout', requestId: id, dueAt: new Date(stage2Start + 7 * DAY_IN_MS).toISOString(), ref: 1 },
      ]);
      assert.equal(stored(id).request.stages[1].dueAt, items[1].dueAt);
    });
  });

  describe('stage timeout', () => {
    it('after dueAt: done, expired, the requester told (#3), every approval card and the status card show the expiry', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'stageTimeout');
      t.clock.set(item.dueAt);
      const updates = t.notifier.updates.length;
      const version = stored(id).request.version;

      assert.equal(await runDue(item), 'done');
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'expired');
      assert.equal(loaded.request.version, version + 1);
      assert.equal(loaded.request.completedAt, item.dueAt);
      const notices = t.notifier.postsTo(adele, 'requestExpired');
      assert.equal(notices.length, 1);
      assert.equal(notices[0].request.state, 'expired');
      assert.deepEqual(t.notifier.posts.filter((p) => p.card === 'requestExpired').map((p) => p.recipientId), [adele], 'only the requester');
      const expiredCards = updatedIn('expired', updates);
      const approvalCards = cardsOf(id, 'approvalRequest');
      assert.deepEqual(approvalCards.map((c) => c.recipientId).sort(), [diego, megan].sort());
      for (const card of [...approvalCards, ...cardsOf(id, 'requestStatus')]) {
        assert.ok(expiredCards.has(card.activityId), `${card.card} of ${card.recipientId} shows the expiry`);
      }
      assert.deepEqual(loaded.effects, []);
    });

    it('a later approve click is refused with ExpiredError and changes nothing', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'stageTimeout');
      t.clock.set(item.dueAt);
      await runDue(item);
      t.clock.advance(60_000);
      const before = stored(id);
      const posts = t.notifier.posts.length;
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'sorry, late' }),
        (err) => domainError(ExpiredError, 'error.requestExpired')(err) && (err as ExpiredError).status === 412,
      );
      runner.kick(id);
      await runner.idle();
      assert.deepEqual(stored(id), before);
      assert.equal(t.notifier.posts.length, posts);
      assert.equal(t.provisioner.calls.length, 0);
    });

    it('the same item again is stale and does nothing', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'stageTimeout');
      t.clock.set(item.dueAt);
      assert.equal(await runDue(item), 'done');
      const after = stored(id);
      const [posts, updates] = [t.notifier.posts.length, t.notifier.updates.length];
      assert.equal(await runDue(item), 'stale');
      assert.deepEqual(stored(id), after);
      assert.deepEqual([t.notifier.posts.length, t.notifier.updates.length], [posts, updates]);
    });

    it('a stage decided in time makes its timeout and reminder stale', async () => {
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      const after = stored(id);
      assert.equal(after.request.state, 'delivered');
      // The stage's items; delivery has scheduled the access expiry beside them (test/unit/expiryWork.test.ts).
      for (const item of t.schedule.items().filter((i) => i.kind === 'stageTimeout' || i.kind === 'approvalReminder')) {
        t.clock.set(item.dueAt);
        assert.equal(await runDue(item), 'stale', item.kind);
      }
      assert.deepEqual(stored(id), after);
    });
  });

  describe('approval reminder', () => {
    it('posts the reminder card (#2) to each approver of the stage, once', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'approvalReminder');
      t.clock.set(item.dueAt);
      assert.equal(await runDue(item), 'done');
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'pendingApproval');
      assert.equal(loaded.request.stages[0].remindedAt, item.dueAt);
      const reminders = t.notifier.posts.filter((p) => p.card === 'approvalReminder');
      assert.deepEqual(reminders.map((p) => p.recipientId).sort(), [diego, megan].sort());
      assert.deepEqual(cardsOf(id, 'approvalReminder').map((c) => c.recipientId).sort(), [diego, megan].sort(), 'their activity ids are kept');

      t.clock.advance(60_000);
      assert.equal(await runDue(item), 'stale');
      assert.equal(t.notifier.posts.filter((p) => p.card === 'approvalReminder').length, 2, 'not reminded twice');
    });

    it('the decision after a reminder updates the reminder cards too (#4)', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'approvalReminder');
      t.clock.set(item.dueAt);
      await runDue(item);
      const updates = t.notifier.updates.length;
      await decideAndRun({ requestId: id, actorId: megan, outcome: 'denied', justification: 'Not in scope' });
      const denied = updatedIn('denied', updates);
      for (const card of cardsOf(id, 'approvalRequest', 'approvalReminder')) {
        assert.ok(denied.has(card.activityId), `${card.card} of ${card.recipientId} shows the denial`);
      }
    });

    it('a stage that already timed out is not reminded', async () => {
      const id = await submitAndRun();
      const reminder = scheduledItem(id, 'approvalReminder');
      const timeout = scheduledItem(id, 'stageTimeout');
      t.clock.set(timeout.dueAt);
      assert.equal(await runDue(timeout), 'done');
      assert.equal(await runDue(reminder), 'stale');
      assert.equal(t.notifier.posts.filter((p) => p.card === 'approvalReminder').length, 0);
    });
  });

  describe('escalation', () => {
    const escalating = (approvers: unknown[] = [{ user: lee }, { user: patti }]) =>
      sampleCatalogWith([[...CRM_STAGE, 'escalation'], { afterDays: 3, approvers }]);

    it('forwards the stage: the alternates get approval cards, the primary approvers keep theirs (refreshed)', async () => {
      useContext({ catalog: escalating() });
      const id = await submitAndRun();
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      const [posts, updates] = [t.notifier.posts.length, t.notifier.updates.length];

      assert.equal(await runDue(item), 'done');
      const stage = stored(id).request.stages[0];
      assert.deepEqual(stage.forwardedTo, [lee, patti]);
      assert.deepEqual([...stage.approverIds].sort(), [diego, megan, lee, patti].sort());
      assert.equal(stage.escalatedAt, item.dueAt);
      const newPosts = t.notifier.posts.slice(posts);
      assert.deepEqual(newPosts.map((p) => [p.recipientId, p.card]), [
        [lee, 'approvalRequest'],
        [patti, 'approvalRequest'],
      ]);
      assert.deepEqual(newPosts[0].request.stages[0].forwardedTo, [lee, patti], 'the forwarded card is rendered from the escalated stage');
      const refreshed = new Set(t.notifier.updates.slice(updates).map((u) => u.posted.activityId));
      for (const card of cardsOf(id, 'approvalRequest').filter((c) => c.recipientId === diego || c.recipientId === megan)) {
        assert.ok(refreshed.has(card.activityId), `the card of primary approver ${card.recipientId} is refreshed`);
      }
      assert.equal(await runDue(item), 'stale', 'once per stage');
      assert.equal(t.notifier.posts.length, posts + 2);
    });

    it('a forwarded approver can approve; every approval card then shows the decision', async () => {
      useContext({ catalog: escalating() });
      const id = await submitAndRun();
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      await runDue(item);
      const updates = t.notifier.updates.length;
      await decideAndRun({ requestId: id, actorId: lee, outcome: 'approved', justification: 'covering for Diego' });
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.equal(loaded.request.stages[0].decision?.by.id, lee);
      const approvedCards = updatedIn('approved', updates);
      const approvalCards = cardsOf(id, 'approvalRequest');
      assert.equal(approvalCards.length, 4);
      for (const card of approvalCards) assert.ok(approvedCards.has(card.activityId), `approval card of ${card.recipientId}`);
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'denied', justification: 'no' }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Lee Gu', outcome: 'approved' }),
      );
    });

    it('a primary approver can still decide after forwarding', async () => {
      useContext({ catalog: escalating() });
      const id = await submitAndRun();
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      await runDue(item);
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'denied', justification: 'Not now' });
      assert.equal(stored(id).request.state, 'denied');
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: patti, outcome: 'approved', justification: 'yes' }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Diego Siciliani', outcome: 'denied' }),
      );
    });

    it('alternates resolved through a group and the manager leave out the requester and present approvers', async () => {
      // Marketing Team is Megan (already an approver); Adele's manager is Diego (already an approver); Isaiah is new.
      useContext({ catalog: escalating([{ group: demo.groups.marketingTeam }, { manager: true }, { user: isaiah }, { user: adele }]) });
      const id = await submitAndRun();
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      const posts = t.notifier.posts.length;
      assert.equal(await runDue(item), 'done');
      assert.deepEqual(stored(id).request.stages[0].forwardedTo, [isaiah]);
      assert.deepEqual(t.notifier.posts.slice(posts).map((p) => [p.recipientId, p.card]), [[isaiah, 'approvalRequest']]);
    });

    it('a stage without escalation in the catalog makes an escalation item stale', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      t.clock.advanceDays(3);
      assert.equal(await runDue({ kind: 'escalation', requestId: id, dueAt: t.clock.now().toISOString(), ref: 0 }), 'stale');
      assert.deepEqual(stored(id), before);
    });

    it('after the stage was decided the escalation is stale, and nobody is forwarded', async () => {
      useContext({ catalog: escalating() });
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      assert.equal(await runDue(item), 'stale');
      assert.equal(t.notifier.postsTo(lee).length, 0);
    });
  });

  describe('scheduled start', () => {
    const datedSales = () => sampleCatalogWith([[...SALES_POLICY, 'requestorCanSpecifyDates'], true]);

    it('a package without approval and a future start date waits, then the scheduledStart item delivers it', async () => {
      useContext({ catalog: datedSales() });
      const id = await submitAndRun({ requesterId: adele, packageId: 'sales-team', startDate: '2026-03-05', formCard: formCard(adele) });
      assert.equal(stored(id).request.state, 'scheduled');
      assert.equal(t.provisioner.calls.length, 0);
      assert.deepEqual(t.schedule.items(), [{ kind: 'scheduledStart', requestId: id, dueAt: '2026-03-05T00:00:00.000Z', ref: 0 }]);

      t.clock.set('2026-03-05T00:00:00.000Z');
      assert.equal(await runDue(scheduledItem(id, 'scheduledStart')), 'done');
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.deepEqual(t.provisioner.grants.map((g) => [g.userId, g.resource.type]), [[adele, 'group']]);
      assert.equal(t.notifier.postsTo(adele, 'accessDelivered').length, 1);
      assert.equal(loaded.request.accessEndsAt, new Date(Date.parse('2026-03-05T00:00:00.000Z') + 180 * DAY_IN_MS).toISOString());
      assert.ok(updatedIn('delivered').has(formCard(adele).activityId), 'the status card follows');

      assert.equal(await runDue(scheduledItem(id, 'scheduledStart')), 'stale', 'the same item again');
      assert.equal(t.provisioner.calls.length, 1);
    });

    it('an approved request with a future start date is scheduled at approval and delivered at its date', async () => {
      const id = await submitAndRun(crmUsersInput({ startDate: '2026-03-09', endDate: '2026-04-30' }));
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      assert.equal(stored(id).request.state, 'scheduled');
      assert.equal(t.provisioner.calls.length, 0);
      const item = scheduledItem(id, 'scheduledStart');
      assert.equal(item.dueAt, '2026-03-09T00:00:00.000Z');
      t.clock.set('2026-03-09T06:00:00.000Z');
      assert.equal(await runDue(item), 'done');
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.equal(loaded.request.accessEndsAt, '2026-05-01T00:00:00.000Z', 'the requested end date (inclusive)');
    });

    it('a scheduled request canceled before its date is never delivered', async () => {
      useContext({ catalog: datedSales() });
      const id = await submitAndRun({ requesterId: adele, packageId: 'sales-team', startDate: '2026-03-05' });
      await cancelRequest(t, { requestId: id, actorId: adele });
      t.clock.set('2026-03-05T00:00:00.000Z');
      assert.equal(await runDue(scheduledItem(id, 'scheduledStart')), 'stale');
      assert.equal(stored(id).request.state, 'canceled');
      assert.equal(t.provisioner.calls.length, 0);
    });
  });

  it('an item for a request that is not stored is stale, whatever its kind, and writes nothing', async () => {
    for (const kind of DUE_KINDS) {
      assert.equal(await runDue({ kind, requestId: 'request-9999', dueAt: t.clock.now().toISOString(), ref: 0 }), 'stale', kind);
    }
    assert.equal(t.store.calls.commit, 0);
    assert.deepEqual(t.notifier.posts, []);
  });

  describe('cancelRequest use-case', () => {
    it('the requester cancels a pending request: canceled, every approval card and the status card say so', async () => {
      const id = await submitAndRun();
      const updates = t.notifier.updates.length;
      const committed = await cancelRequest(t, { requestId: id, actorId: adele });
      assert.equal(committed.request.state, 'canceled');
      assert.deepEqual(stored(id), committed);
      runner.kick(id);
      await runner.idle();
      const loaded = stored(id);
      assert.equal(loaded.request.completedAt, t.clock.now().toISOString());
      const canceled = updatedIn('canceled', updates);
      for (const card of cardsOf(id, 'approvalRequest', 'requestStatus')) assert.ok(canceled.has(card.activityId), `${card.card} of ${card.recipientId}`);
      assert.deepEqual(loaded.effects, []);
      // Approvers clicking their cards afterwards are refused, and the timeout is stale.
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' }),
        domainError(ConflictError, 'error.notPending', { state: 'canceled' }),
      );
      const timeout = scheduledItem(id, 'stageTimeout');
      t.clock.set(timeout.dueAt);
      assert.equal(await runDue(timeout), 'stale');
    });

    it('a request canceled before its first stage started is never put to approvers', async () => {
      const created = await submitRequest(t, crmUsersInput());
      await cancelRequest(t, { requestId: created.request.id, actorId: adele });
      runner.kick(created.request.id);
      await runner.idle();
      const loaded = stored(created.request.id);
      assert.equal(loaded.request.state, 'canceled');
      assert.deepEqual(loaded.request.stages, []);
      assert.deepEqual(t.notifier.posts, []);
      assert.deepEqual(loaded.effects, []);
    });

    it('someone else cannot cancel (403) and nothing changes', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      for (const actorId of [diego, lee]) {
        await assert.rejects(cancelRequest(t, { requestId: id, actorId }), domainError(ForbiddenError, 'error.notYourRequest'));
      }
      assert.deepEqual(stored(id), before);
    });

    it('a delivered request cannot be canceled (409) and nothing changes', async () => {
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      const before = stored(id);
      assert.equal(before.request.state, 'delivered');
      await assert.rejects(cancelRequest(t, { requestId: id, actorId: adele }), domainError(ConflictError, 'error.cannotCancel', { state: 'delivered' }));
      assert.deepEqual(stored(id), before);
    });

    it('an unknown request is NotFound', async () => {
      await assert.rejects(cancelRequest(t, { requestId: 'request-9999', actorId: adele }), domainError(NotFoundError, 'error.unknownRequest'));
    });
  });

  describe('transact', () => {
    let store: RacingRequestStore;

    beforeEach(() => {
      store = new RacingRequestStore();
      useContext({ store });
    });

    it('a commit that loses the ETag race is retried from a fresh read', async () => {
      const id = await submitAndRun();
      store.failNextCommits(1);
      const seen: number[] = [];
      const committed = await transact(store, id, (loaded) => {
        assert.ok(loaded);
        seen.push(loaded.request.version);
        return { next: advance(loaded.request, { justification: 'edited' }, t.clock.now()), effects: [] };
      });
      assert.deepEqual(store.lostRaces, [id]);
      assert.deepEqual(seen, [2, 2], 'built twice, each time from a read');
      assert.equal(committed?.request.justification, 'edited');
      assert.deepEqual(stored(id), committed);
    });

    it('the retry sees what the winner wrote: a reminder racing a decision turns stale', async () => {
      const id = await submitAndRun();
      const item = scheduledItem(id, 'approvalReminder');
      t.clock.set(item.dueAt);
      store.beforeNextCommit(async () => {
        await decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'just in time' });
      });
      const commits = store.calls.commit;
      assert.equal(await runDue(item), 'stale');
      assert.equal(store.calls.commit, commits + 2, 'the decision and the reminder both tried to commit');
      assert.equal(t.notifier.posts.filter((p) => p.card === 'approvalReminder').length, 0);
      assert.equal(stored(id).request.stages[0].decision?.by.id, diego);
    });

    it('a decision racing the timeout: the loser is told the request expired', async () => {
      const id = await submitAndRun();
      const timeout = scheduledItem(id, 'stageTimeout');
      t.clock.set(new Date(Date.parse(timeout.dueAt) - 1));
      store.beforeNextCommit(async () => {
        t.clock.set(timeout.dueAt);
        assert.equal(await runDueItem(t, runner, timeout), 'done');
      });
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'a second too late' }),
        domainError(ExpiredError, 'error.requestExpired'),
      );
      await runner.idle();
      assert.equal(stored(id).request.state, 'expired');
    });

    it('gives up after 3 lost races with the ConcurrencyError (the caller retries later)', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      store.failNextCommits(3);
      let builds = 0;
      await assert.rejects(
        transact(store, id, (loaded) => {
          builds++;
          assert.ok(loaded);
          return { next: advance(loaded.request, {}, t.clock.now()), effects: [] };
        }),
        ConcurrencyError,
      );
      assert.equal(builds, 3);
      assert.deepEqual(stored(id), before);
    });

    it('other errors are not retried; nothing to do or no request commits nothing', async () => {
      const id = await submitAndRun();
      const commits = store.calls.commit;
      let builds = 0;
      await assert.rejects(
        transact(store, id, () => {
          builds++;
          throw new ConflictError('error.notPending', { state: 'x' });
        }),
        domainError(ConflictError, 'error.notPending', { state: 'x' }),
      );
      assert.equal(builds, 1);
      assert.equal(await transact(store, id, () => undefined), undefined);
      const seen: Array<LoadedRequest | undefined> = [];
      assert.equal(
        await transact(store, 'request-9999', (loaded) => {
          seen.push(loaded);
          return undefined;
        }),
        undefined,
      );
      assert.deepEqual(seen, [undefined]);
      assert.equal(store.calls.commit, commits);
    });
  });

  describe('regressions', () => {
    it('an approver of stage 1 who is also asked in stage 2 gets a new approval card (#1) for stage 2', async () => {
      // Cards are idempotent per posting effect (postedBy), not per person and kind: a new stage is a new message.
      const stage1 = { approvers: [{ user: diego }, { user: megan }], timeoutDays: 14 };
      const stage2 = { approvers: [{ user: megan }], timeoutDays: 7 };
      useContext({ catalog: sampleCatalogWith([[...CRM_STAGE.slice(0, -1)], [stage1, stage2]]) });
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved' });
      assert.equal(stored(id).request.stages.length, 2, 'stage 2 started');
      const stage2Posts = t.notifier.postsTo(megan, 'approvalRequest').filter((p) => p.request.stages.length === 2);
      assert.equal(stage2Posts.length, 1, 'Megan gets a new approval card for stage 2');
    });

    it('an escalation item of a canceled request whose policy left the catalog is stale, not an error', async () => {
      // The re-check (is the stage still open?) comes before the policy lookup; otherwise the scheduler
      // would keep the item and defer the request's other items behind it on every tick, for ever.
      useContext({ catalog: sampleCatalogWith([[...CRM_STAGE, 'escalation'], { afterDays: 3, approvers: [{ user: lee }] }]) });
      const id = await submitAndRun();
      await cancelRequest(t, { requestId: id, actorId: adele });
      t.catalog = sampleCatalogWith([[...CRM_POLICY, 'id'], 'employees-v2']);
      const item = scheduledItem(id, 'escalation');
      t.clock.set(item.dueAt);
      assert.equal(await runDue(item), 'stale');
    });
  });

  it('with the Scheduler: a tick at each due time reminds, then expires, and empties the index', async () => {
    const scheduler = new Scheduler({
      index: t.schedule,
      lease: new InMemoryLease(),
      clock: t.clock,
      logger: silentLogger,
      holderId: 'instance-1',
      runDue: (item) => runDueItem(t, runner, item),
    });
    const id = await submitAndRun();
    const [reminder, timeout] = t.schedule.items();

    t.clock.set(new Date(Date.parse(reminder.dueAt) - 1));
    const early = await scheduler.tick();
    assert.ok(early.ran && early.due === 0);

    t.clock.set(reminder.dueAt);
    const first = await scheduler.tick();
    await runner.idle();
    assert.ok(first.ran);
    assert.deepEqual([first.done, first.stale, first.byKind.approvalReminder], [1, 0, 1]);
    assert.equal(t.notifier.posts.filter((p) => p.card === 'approvalReminder').length, 2);
    assert.deepEqual(t.schedule.items(), [timeout]);

    t.clock.set(timeout.dueAt);
    const second = await scheduler.tick();
    await runner.idle();
    assert.ok(second.ran);
    assert.deepEqual([second.done, second.byKind.stageTimeout], [1, 1]);
    assert.equal(stored(id).request.state, 'expired');
    assert.equal(t.notifier.postsTo(adele, 'requestExpired').length, 1);
    assert.deepEqual(t.schedule.items(), []);
  });
});
