import { strict as assert } from 'node:assert';
import { domainError } from '../support/assertions';
import { cancelRequest } from '../../src/app/cancelRequest';
import { decideRequest, type DecideInput } from '../../src/app/decide';
import { EffectRunner } from '../../src/app/effectRunner';
import type { LoadedRequest } from '../../src/app/ports';
import { submitRequest, type SubmitRequestInput } from '../../src/app/submitRequest';
import { ConcurrencyError, ConflictError, ExpiredError, ForbiddenError, NotFoundError, ValidationError } from '../../src/domain/errors';
import {
  FakeDirectory,
  InMemoryRequestStore,
  RecordingLogger,
  createTestContext,
  demo,
  sampleCatalogWith,
  type TestContext,
  formCard,
} from '../support/fakes';
import { CRM_STAGE, useCaseSteps } from '../support/useCaseSteps';

const { adele, diego, megan, lee, patti, grady } = demo.users;

const crmInput = (overrides: Partial<SubmitRequestInput> = {}): SubmitRequestInput => ({
  requesterId: adele,
  packageId: 'crm-users',
  justification: 'Pipeline review',
  ...overrides,
});

describe('use-cases on in-memory fakes', () => {
  let t: TestContext;
  let runner: EffectRunner;
  const { stored, submitAndRun, decideAndRun } = useCaseSteps(() => ({ t, runner }));

  beforeEach(() => {
    t = createTestContext();
    runner = new EffectRunner(t);
  });

  describe('the fakes themselves', () => {
    it('InMemoryRequestStore: stale ETag → ConcurrencyError and nothing changes; create twice → ConflictError', async () => {
      const store = new InMemoryRequestStore();
      const created = await submitRequest({ ...t, store }, crmInput());
      const id = created.request.id;
      const next = { ...created.request, version: 2, justification: 'changed' };
      const committed = await store.commit(created, next, { effects: [{ kind: 'refreshCards', cards: ['requestStatus'] }] });
      assert.notEqual(committed.etag, created.etag);
      assert.deepEqual(committed.effects.map((e) => e.effect.kind), ['startStage', 'syncPackageIndex', 'refreshCards']);
      assert.ok(committed.effects[0].id < committed.effects[1].id, 'effect ids sort in creation order');

      await assert.rejects(store.commit(created, { ...next, justification: 'lost' }, { effects: [{ kind: 'deliver' }] }), ConcurrencyError);
      assert.deepEqual(store.peek(id), committed);

      await assert.rejects(store.create(created.request), domainError(ConflictError, 'error.requestExists', { requestId: id }));
    });

    it('InMemoryRequestStore: hands out copies, so callers cannot change stored state', async () => {
      const store = new InMemoryRequestStore();
      const created = await submitRequest({ ...t, store }, crmInput());
      created.request.state = 'delivered';
      created.effects.length = 0;
      const read = await store.get(created.request.id);
      assert.equal(read?.request.state, 'submitted');
      assert.equal(read?.effects.length, 2);
    });

    it('FakeDirectory expands nested groups and answers checkMemberGroups transitively', async () => {
      const directory = FakeDirectory.sample();
      assert.deepEqual((await directory.listTransitiveMemberUserIds(demo.groups.crmApprovers)).sort(), [diego, megan].sort());
      assert.deepEqual(await directory.checkMemberGroups(megan, [demo.groups.crmApprovers, demo.groups.salesTeam]), [demo.groups.crmApprovers]);
      assert.equal((await directory.getManager(adele))?.id, diego);
      assert.equal(await directory.getManager(patti), undefined);
      assert.equal((await directory.getUser(grady))?.userType, 'Guest');
    });
  });

  describe('submitRequest', () => {
    it('refuses a form with no package selected', async () => {
      for (const packageId of [undefined, '', '   ']) {
        await assert.rejects(submitRequest(t, crmInput({ packageId })), domainError(ValidationError, 'error.noPackageSelected'));
      }
      assert.deepEqual(t.store.ids(), []);
    });

    it('refuses an unknown package', async () => {
      await assert.rejects(submitRequest(t, crmInput({ packageId: 'payroll' })), domainError(ValidationError, 'error.unknownPackage', { packageId: 'payroll' }));
      assert.deepEqual(t.store.ids(), []);
    });

    it('refuses a requester the directory does not know', async () => {
      await assert.rejects(
        submitRequest(t, crmInput({ requesterId: '11111111-0000-4000-8000-0000000000ff' })),
        domainError(ForbiddenError, 'error.unknownUser'),
      );
      assert.deepEqual(t.store.ids(), []);
    });

    it('refuses a guest for an allMembers package, and a disabled account', async () => {
      await assert.rejects(submitRequest(t, crmInput({ requesterId: grady })), domainError(ForbiddenError, 'error.notEligible', { package: 'CRM users' }));
      t.directory.updateUser(adele, { accountEnabled: false });
      await assert.rejects(submitRequest(t, crmInput()), domainError(ForbiddenError, 'error.notEligible', { package: 'CRM users' }));
      assert.deepEqual(t.store.ids(), []);
    });

    it('stores nothing when the form is invalid', async () => {
      await assert.rejects(submitRequest(t, crmInput({ justification: '   ' })), domainError(ValidationError, 'error.justificationRequired'));
      await assert.rejects(submitRequest(t, crmInput({ endDate: '2020-01-01' })), domainError(ValidationError, 'error.endInPast'));
      assert.equal(t.store.calls.create, 0);
      assert.deepEqual(t.store.ids(), []);
      assert.deepEqual(await t.store.listByRequester(adele, 10), []);
      assert.deepEqual(await t.store.listRequestsWithPendingEffects(10), []);
    });

    it('stores a valid request with a snapshot of the requester and the startStage effect', async () => {
      const created = await submitRequest(t, crmInput({ justification: '  Pipeline review ', startDate: '2026-03-05', endDate: '2026-06-30' }));
      const loaded = stored(created.request.id);
      assert.deepEqual(loaded, created);
      const { request } = loaded;
      assert.equal(request.state, 'submitted');
      assert.equal(request.version, 1);
      assert.equal(request.packageId, 'crm-users');
      assert.equal(request.policyId, 'employees');
      assert.equal(request.justification, 'Pipeline review');
      assert.deepEqual([request.startDate, request.endDate], ['2026-03-05', '2026-06-30']);
      assert.equal(request.submittedAt, t.clock.now().toISOString());
      assert.deepEqual(request.requester, {
        id: adele,
        displayName: 'Adele Vance',
        mail: 'adele@contoso.example',
        department: 'Sales',
        jobTitle: 'Account Executive',
      });
      assert.deepEqual(loaded.effects.map((e) => e.effect), [{ kind: 'startStage' }, { kind: 'syncPackageIndex' }]);
      assert.deepEqual(loaded.cards, []);
      assert.deepEqual(await t.store.listRequestsWithPendingEffects(10), [request.id]);
      assert.deepEqual((await t.store.listByRequester(adele, 10)).map((r) => r.id), [request.id]);
    });

    it('a package without approval is approved at once, with a deliver effect', async () => {
      const created = await submitRequest(t, { requesterId: adele, packageId: 'sales-team' });
      const loaded = stored(created.request.id);
      assert.equal(loaded.request.state, 'approved');
      assert.deepEqual(loaded.effects.map((e) => e.effect), [{ kind: 'deliver' }, { kind: 'syncPackageIndex' }, { kind: 'syncAssignment' }]);
    });

    it('the form card the requester submitted from becomes their requestStatus card', async () => {
      const created = await submitRequest(t, crmInput({ formCard: formCard(adele) }));
      assert.deepEqual(stored(created.request.id).cards, [{ ...formCard(adele), card: 'requestStatus', postedBy: 'form' }]);
    });

    it('"today" is the requester\'s date in their time zone', async () => {
      // 20:00 UTC on 1 March is already 2 March in Tokyo.
      t.clock.set('2026-03-01T20:00:00.000Z');
      await assert.rejects(
        submitRequest(t, crmInput({ startDate: '2026-03-01', timeZone: 'Asia/Tokyo' })),
        domainError(ValidationError, 'error.startInPast'),
      );
      const utc = await submitRequest(t, crmInput({ startDate: '2026-03-01' }));
      assert.equal(utc.request.startDate, '2026-03-01');
      await cancelRequest(t, { requestId: utc.request.id, actorId: adele });
      // 05:00 UTC on 2 March is still 1 March in Honolulu.
      t.clock.set('2026-03-02T05:00:00.000Z');
      await assert.rejects(submitRequest(t, crmInput({ startDate: '2026-03-01' })), domainError(ValidationError, 'error.startInPast'));
      const honolulu = await submitRequest(t, crmInput({ startDate: '2026-03-01', timeZone: 'Pacific/Honolulu' }));
      assert.equal(honolulu.request.startDate, '2026-03-01');
      // An unknown zone falls back to UTC.
      await assert.rejects(
        submitRequest(t, crmInput({ startDate: '2026-03-01', timeZone: 'Mars/Olympus_Mons' })),
        domainError(ValidationError, 'error.startInPast'),
      );
    });
  });

  describe('decideRequest', () => {
    it('happy path: the approver decision is stored with their snapshot and the deliver effect', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      const committed = await decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'Welcome' });
      const after = stored(id);
      assert.deepEqual(after, committed);
      assert.equal(after.request.state, 'approved');
      assert.equal(after.request.version, before.request.version + 1);
      assert.deepEqual(after.request.stages[0].decision, {
        stageIndex: 0,
        outcome: 'approved',
        by: { id: diego, displayName: 'Diego Siciliani', mail: 'diego@contoso.example', department: 'Sales', jobTitle: 'Sales Manager' },
        at: t.clock.now().toISOString(),
        justification: 'Welcome',
      });
      assert.deepEqual(after.effects.map((e) => e.effect), [
        { kind: 'syncApprovals' },
        { kind: 'refreshCards', cards: ['requestStatus', 'approvalRequest', 'approvalReminder'] },
        { kind: 'deliver' },
        { kind: 'syncPackageIndex' },
        { kind: 'syncAssignment' },
      ]);
    });

    it('an unknown request is NotFound', async () => {
      await assert.rejects(
        decideRequest(t, { requestId: 'request-9999', actorId: diego, outcome: 'approved', justification: 'x' }),
        domainError(NotFoundError, 'error.unknownRequest'),
      );
    });

    it('a forged click (not an approver, or the requester) changes nothing and costs no directory call', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      const lookups = t.directory.calls.getUser;
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: lee, outcome: 'approved', justification: 'sure' }),
        domainError(ForbiddenError, 'error.notApprover'),
      );
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: adele, outcome: 'approved', justification: 'me' }),
        domainError(ForbiddenError, 'error.selfApproval'),
      );
      assert.deepEqual(stored(id), before);
      assert.equal(t.directory.calls.getUser, lookups);
    });

    it('a missing approver justification or a timed-out stage changes nothing', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved' }),
        domainError(ValidationError, 'error.approverJustificationRequired'),
      );
      t.clock.advanceDays(14);
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'late' }),
        domainError(ExpiredError, 'error.requestExpired'),
      );
      assert.deepEqual(stored(id), before);
    });

    it('two approvers deciding at once: exactly one decision is stored, the other is told who decided', async () => {
      const id = await submitAndRun();
      const commits = t.store.calls.commit;
      type Outcome = { ok: true; loaded: LoadedRequest } | { ok: false; err: unknown };
      const attempt = (input: DecideInput): Promise<Outcome> =>
        decideRequest(t, input).then(
          (loaded): Outcome => ({ ok: true, loaded }),
          (err: unknown): Outcome => ({ ok: false, err }),
        );
      const outcomes = await Promise.all([
        attempt({ requestId: id, actorId: diego, outcome: 'approved', justification: 'yes' }),
        attempt({ requestId: id, actorId: megan, outcome: 'denied', justification: 'no' }),
      ]);
      // Both read the same version and both tried to commit: the race really happened.
      assert.equal(t.store.calls.commit, commits + 2);
      const won = outcomes.filter((o) => o.ok);
      const lost = outcomes.filter((o) => !o.ok);
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const after = stored(id);
      const decision = after.request.stages[0].decision;
      assert.ok(decision);
      const winner = decision.by.displayName;
      assert.ok(['Diego Siciliani', 'Megan Bowen'].includes(winner));
      assert.equal(after.request.state, decision.outcome === 'approved' ? 'approved' : 'denied');
      const loser = lost[0];
      assert.ok(!loser.ok);
      await assert.rejects(Promise.reject(loser.err), domainError(ConflictError, 'error.alreadyDecided', { name: winner, outcome: decision.outcome }));
      assert.equal(after.request.version, 3, 'one transition after the stage started');
    });
  });

  describe('EffectRunner end to end', () => {
    it('asks every approver of the nested group, never the requester', async () => {
      const id = await submitAndRun();
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'pendingApproval');
      assert.deepEqual([...loaded.request.stages[0].approverIds].sort(), [diego, megan].sort());
      assert.equal(loaded.request.stages[0].usedFallback, false);
      assert.equal(loaded.request.stages[0].dueAt, new Date(t.clock.now().getTime() + 14 * 86_400_000).toISOString());
      assert.deepEqual(t.notifier.posts.map((p) => [p.recipientId, p.card]).sort(), [[diego, 'approvalRequest'], [megan, 'approvalRequest']].sort());
      assert.deepEqual(
        loaded.cards.map((c) => [c.recipientId, c.card]).sort(),
        [[adele, 'requestStatus'], [diego, 'approvalRequest'], [megan, 'approvalRequest']].sort(),
      );
      // The requester's status card was re-rendered for the new state.
      const statusUpdates = t.notifier.updates.filter((u) => u.posted.card === 'requestStatus');
      assert.ok(statusUpdates.some((u) => u.request.state === 'pendingApproval'));
      assert.deepEqual(loaded.effects, []);
      assert.equal(t.store.isIndexed(id), false);

      // Diego, a member of the approver group, requesting: only Megan (through the nested group) is asked.
      const own = await submitAndRun(crmInput({ requesterId: diego }));
      assert.deepEqual(stored(own).request.stages[0].approverIds, [megan]);
      assert.equal(t.notifier.postsTo(diego).filter((p) => p.request.id === own).length, 0);
    });

    it('uses the fallback approvers when the group resolves to nobody but the requester', async () => {
      t.directory.setGroupMembers(demo.groups.crmApprovers, [adele]);
      const id = await submitAndRun();
      const stage = stored(id).request.stages[0];
      assert.deepEqual(stage.approverIds, [lee]);
      assert.equal(stage.usedFallback, true);
      assert.deepEqual(t.notifier.posts.map((p) => [p.recipientId, p.card]), [[lee, 'approvalRequest']]);
    });

    it('asks the administrators when neither approvers nor fallbacks resolve', async () => {
      t = createTestContext({ catalog: sampleCatalogWith([[...CRM_STAGE, 'fallbackApprovers'], []]) });
      runner = new EffectRunner(t);
      t.directory.setGroupMembers(demo.groups.crmApprovers, []);
      const id = await submitAndRun();
      const stage = stored(id).request.stages[0];
      assert.deepEqual(stage.approverIds, [lee]);
      assert.equal(stage.usedFallback, true);
    });

    it('asks the requester\'s manager for a manager stage, and the fallback when there is none', async () => {
      t = createTestContext({ catalog: sampleCatalogWith([[...CRM_STAGE, 'approvers'], [{ manager: true }]]) });
      runner = new EffectRunner(t);
      const id = await submitAndRun();
      assert.deepEqual(stored(id).request.stages[0].approverIds, [diego]);
      const noManager = await submitAndRun(crmInput({ requesterId: patti }));
      assert.deepEqual(stored(noManager).request.stages[0].approverIds, [lee]);
      assert.equal(stored(noManager).request.stages[0].usedFallback, true);
    });

    it('logs an error when nobody at all can be asked (the administrator is the requester)', async () => {
      const logger = new RecordingLogger();
      t = createTestContext({ logger, catalog: sampleCatalogWith([[...CRM_STAGE, 'fallbackApprovers'], []]) });
      runner = new EffectRunner(t);
      t.directory.setGroupMembers(demo.groups.crmApprovers, [lee]);
      const id = await submitAndRun(crmInput({ requesterId: lee }));
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'pendingApproval');
      assert.deepEqual(loaded.request.stages[0].approverIds, []);
      assert.ok(logger.at('error').some((e) => (e.obj as { requestId?: string }).requestId === id));
    });

    it('approve → deliver: one grant per resource, delivered, the requester told and the cards refreshed', async () => {
      const id = await submitAndRun();
      const updatesBefore = t.notifier.updates.length;
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.equal(loaded.request.completedAt, t.clock.now().toISOString());
      assert.equal(t.provisioner.calls.length, 1);
      assert.deepEqual(t.provisioner.calls[0], { userId: adele, resources: loaded.request.resources.map((r) => r.resource) });
      assert.deepEqual(t.provisioner.grants.map((g) => g.userId), [adele, adele]);
      assert.deepEqual(loaded.request.resources.map((r) => [r.status, r.attempts]), [['delivered', 1], ['delivered', 1]]);
      assert.equal(loaded.request.resources[1].assignmentId, t.provisioner.grants[1].assignmentId);
      assert.ok(loaded.request.resources[1].assignmentId);
      // The sample policy's access lasts 365 days from delivery.
      assert.equal(loaded.request.accessEndsAt, new Date(t.clock.now().getTime() + 365 * 86_400_000).toISOString());

      const delivered = t.notifier.postsTo(adele, 'accessDelivered');
      assert.equal(delivered.length, 1);
      assert.equal(delivered[0].request.state, 'delivered');
      // Each approver's card was re-rendered when the stage closed (#4); the requester's status card follows to delivered.
      const updates = t.notifier.updates.slice(updatesBefore);
      const refreshedIn = (state: string): Set<string> =>
        new Set(updates.filter((u) => u.request.state === state).map((u) => u.posted.activityId));
      for (const card of loaded.cards.filter((c) => c.card === 'approvalRequest')) {
        assert.ok(refreshedIn('approved').has(card.activityId), `approval card of ${card.recipientId} refreshed after the decision`);
      }
      const status = loaded.cards.find((c) => c.card === 'requestStatus');
      assert.ok(status);
      assert.ok(refreshedIn('delivered').has(status.activityId), 'status card shows delivered');
      assert.equal(loaded.cards.filter((c) => c.card === 'approvalRequest').length, 2);
      assert.deepEqual(loaded.effects, []);
      assert.equal(t.store.isIndexed(id), false);
    });

    it('two stages: stage 2 is asked only after stage 1 approves, and only its approvers may decide it', async () => {
      const stage1 = { approvers: [{ group: demo.groups.crmApprovers }], approverJustificationRequired: false, timeoutDays: 14 };
      const stage2 = { approvers: [{ user: patti }], timeoutDays: 7 };
      t = createTestContext({ catalog: sampleCatalogWith([CRM_STAGE.slice(0, -1), [stage1, stage2]]) });
      runner = new EffectRunner(t);
      const id = await submitAndRun();
      assert.equal(t.notifier.postsTo(patti).length, 0, 'stage 2 not asked yet');

      await decideAndRun({ requestId: id, actorId: megan, outcome: 'approved' });
      let loaded = stored(id);
      assert.equal(loaded.request.state, 'pendingApproval');
      assert.equal(loaded.request.stages.length, 2);
      assert.deepEqual(loaded.request.stages[1].approverIds, [patti]);
      assert.equal(loaded.request.stages[1].dueAt, new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString());
      assert.deepEqual(t.notifier.postsTo(patti).map((p) => p.card), ['approvalRequest']);
      assert.equal(t.provisioner.calls.length, 0);

      // Diego (stage 1, not the decider) clicking his old card is told stage 1 was decided; Lee was never asked.
      const beforeStrayClicks = stored(id);
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'denied' }),
        domainError(ConflictError, 'error.alreadyDecided', { name: 'Megan Bowen', outcome: 'approved' }),
      );
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: lee, outcome: 'denied' }),
        domainError(ForbiddenError, 'error.notApprover'),
      );
      assert.deepEqual(stored(id), beforeStrayClicks);
      await decideAndRun({ requestId: id, actorId: patti, outcome: 'approved' });
      loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.deepEqual(loaded.request.stages.map((s) => s.decision?.by.id), [megan, patti]);
    });

    it('an approver who has left the directory is refused and changes nothing', async () => {
      const id = await submitAndRun();
      const before = stored(id);
      t.directory = new FakeDirectory({ users: [] });
      await assert.rejects(
        decideRequest(t, { requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' }),
        domainError(ForbiddenError, 'error.unknownUser'),
      );
      assert.deepEqual(stored(id), before);
    });

    it('a package without approval is delivered straight after submit', async () => {
      const id = await submitAndRun({ requesterId: adele, packageId: 'sales-team' });
      assert.equal(stored(id).request.state, 'delivered');
      assert.deepEqual(t.provisioner.grants.map((g) => [g.userId, g.resource.type]), [[adele, 'group']]);
      assert.equal(t.notifier.postsTo(adele, 'accessDelivered').length, 1);
    });

    it('deny: the requester gets requestDenied, nothing is granted, every card shows the denial', async () => {
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: megan, outcome: 'denied', justification: 'Not in scope' });
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'denied');
      assert.equal(t.provisioner.calls.length, 0);
      const denied = t.notifier.postsTo(adele, 'requestDenied');
      assert.equal(denied.length, 1);
      assert.equal(denied[0].request.stages[0].decision?.by.id, megan);
      const deniedUpdates = new Set(t.notifier.updates.filter((u) => u.request.state === 'denied').map((u) => u.posted.activityId));
      for (const card of loaded.cards.filter((c) => c.card !== 'requestDenied')) assert.ok(deniedUpdates.has(card.activityId), `${card.card} of ${card.recipientId}`);
      assert.deepEqual(loaded.effects, []);
    });

    it('writes the assignment once when approval and delivery run in one go', async () => {
      const [writes, reads] = [[] as string[], [] as string[]];
      const [put, get] = [t.assignments.put.bind(t.assignments), t.assignments.get.bind(t.assignments)];
      t.assignments.put = (assignment, previous) => {
        writes.push(assignment.state);
        return put(assignment, previous);
      };
      t.assignments.get = (personId, packageId) => {
        reads.push(packageId);
        return get(personId, packageId);
      };
      const id = await submitAndRun();
      assert.deepEqual(writes, [], 'no assignment while approval is pending');
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      assert.equal(stored(id).request.state, 'delivered');
      assert.deepEqual([writes, reads], [['delivered'], ['crm-users']], 'the syncAssignment of the approval and of the delivery, run on one version, read and write once');
      const assignment = (await get(adele, 'crm-users'))?.assignment;
      assert.deepEqual([assignment?.state, assignment?.requestIds], ['delivered', [id]]);
    });

    it('a transient Graph failure is retried for that resource only, then delivered', async () => {
      t.provisioner.failTransiently(demo.appRoles.crmReader, 2);
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      assert.equal(stored(id).request.state, 'delivering', 'the retry waits for its backoff');
      assert.equal(t.provisioner.attemptsFor(demo.appRoles.crmReader), 1);
      for (const backoffInMs of [5_000, 10_000]) {
        t.clock.set(new Date(t.clock.now().getTime() + backoffInMs));
        runner.kick(id);
        await runner.idle();
      }
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'delivered');
      assert.equal(t.provisioner.attemptsFor(demo.groups.crmUsers), 1, 'the delivered group is not granted again');
      assert.equal(t.provisioner.attemptsFor(demo.appRoles.crmReader), 3);
      assert.deepEqual(loaded.request.resources.map((r) => r.attempts), [1, 3]);
    });

    it('a permanent Graph failure ends partiallyDelivered, without the access card', async () => {
      t.provisioner.failPermanently(demo.appRoles.crmReader, 'HTTP 403 Authorization_RequestDenied');
      const id = await submitAndRun();
      await decideAndRun({ requestId: id, actorId: diego, outcome: 'approved', justification: 'ok' });
      const loaded = stored(id);
      assert.equal(loaded.request.state, 'partiallyDelivered');
      assert.equal(loaded.request.resources[1].lastError, 'HTTP 403 Authorization_RequestDenied');
      assert.equal(t.notifier.postsTo(adele, 'accessDelivered').length, 0);
      assert.ok(t.notifier.updates.some((u) => u.posted.card === 'requestStatus' && u.request.state === 'partiallyDelivered'));
    });

    it('drops an effect that can never succeed (the request moved on) and runs the ones after it', async () => {
      const created = await submitRequest(t, crmInput({ formCard: formCard(adele) }));
      const loaded = stored(created.request.id);
      // A stray startStage after the first one: the domain refuses it (ConflictError) every time.
      await t.store.commit(loaded, { ...loaded.request, version: loaded.request.version + 1 }, { effects: [{ kind: 'startStage' }] });
      runner.kick(created.request.id);
      await runner.idle();
      const after = stored(created.request.id);
      assert.equal(after.request.state, 'pendingApproval');
      assert.deepEqual(after.effects, [], 'nothing left blocking the outbox');
      assert.ok(t.notifier.posts.some((p) => p.recipientId === diego), 'the approval cards still went out');
    });

    it('an unreachable recipient does not block the effects after it', async () => {
      t.notifier.markUnreachable(diego);
      const id = await submitAndRun();
      const loaded = stored(id);
      assert.deepEqual(t.notifier.posts.map((p) => p.recipientId), [megan]);
      assert.equal(loaded.cards.some((c) => c.recipientId === diego), false);
      assert.deepEqual(loaded.effects, []);
      await decideAndRun({ requestId: id, actorId: megan, outcome: 'approved', justification: 'ok' });
      assert.equal(stored(id).request.state, 'delivered');
    });

    it('a notifier that throws leaves the effect in the outbox; a later sweep finishes it', async () => {
      t.notifier.failPosts(1);
      const id = await submitAndRun();
      const stuck = stored(id);
      assert.equal(stuck.request.state, 'pendingApproval');
      assert.equal(t.notifier.posts.length, 0);
      assert.deepEqual(
        stuck.effects.map((e) => e.effect.kind),
        // The index effects before the notify ran (the inbox lists the request) but are marked done with the next
        // write, which never came.
        ['syncPackageIndex', 'syncApprovals', 'notify', 'notify', 'refreshCards', 'schedule', 'syncPackageIndex'],
        'the failed notify and everything after it wait',
      );
      assert.deepEqual(await t.store.listRequestsWithPendingEffects(10), [id]);
      assert.deepEqual(t.schedule.items(), [], 'the timeout is not scheduled before the effects ahead of it ran');

      assert.equal(await runner.sweep(), 1);
      const done = stored(id);
      assert.deepEqual(done.effects, []);
      const { dueAt } = done.request.stages[0];
      assert.deepEqual(t.schedule.items().map((i) => [i.kind, i.dueAt]), [
        ['approvalReminder', new Date(Date.parse(dueAt) - 86_400_000).toISOString()],
        ['stageTimeout', dueAt],
      ]);
      assert.deepEqual(t.notifier.posts.map((p) => p.recipientId).sort(), [diego, megan].sort());
      assert.equal(t.store.isIndexed(id), false);
      assert.equal(await runner.sweep(), 0);
    });

    it('a notify effect re-run after a crash updates the existing card instead of posting twice', async () => {
      const id = await submitAndRun();
      const loaded = stored(id);
      const diegoCard = loaded.cards.find((c) => c.recipientId === diego && c.card === 'approvalRequest');
      assert.ok(diegoCard);
      // The outbox still holds a notify whose card already reached Diego: the crash came after the card was
      // recorded (postedBy = that effect) but before the effect was marked done.
      const committed = await t.store.commit(loaded, { ...loaded.request, version: loaded.request.version + 1 }, {
        effects: [{ kind: 'notify', recipientId: diego, card: 'approvalRequest' }],
      });
      const pending = committed.effects.at(-1)!;
      await t.store.record(committed, { cards: [{ ...diegoCard, postedBy: pending.id }] });
      const posts = t.notifier.posts.length;
      const updates = t.notifier.updates.length;
      assert.equal(await runner.sweep(), 1);
      assert.equal(t.notifier.posts.length, posts, 'not posted again');
      assert.deepEqual(t.notifier.updates.slice(updates).map((u) => u.posted.activityId), [diegoCard.activityId]);
      assert.deepEqual(stored(id).effects, []);
    });

    it("runs all of a request's effects from one read: each one hands the request on to the next", async () => {
      const created = await submitRequest(t, crmInput());
      const reads = t.store.calls.get;
      runner.kick(created.request.id);
      await runner.idle();
      assert.equal(stored(created.request.id).request.state, 'pendingApproval');
      assert.deepEqual(stored(created.request.id).effects, []);
      assert.equal(t.notifier.posts.length, 2, 'both approvers asked');
      assert.equal(t.store.calls.get - reads, 1, 'one read of the request');
    });

    it('runs the effects of a commit from the state the commit returned, without reading it', async () => {
      const readAfter = runner.mark();
      const created = await submitRequest(t, crmInput());
      const reads = t.store.calls.get;
      runner.runFrom(created, readAfter);
      await runner.idle();
      assert.equal(stored(created.request.id).request.state, 'pendingApproval');
      assert.equal(t.notifier.posts.length, 2);
      assert.equal(t.store.calls.get - reads, 0, 'no read');
    });

    it('reads again when a run of the request came between the mark and the commit (nothing is done twice)', async () => {
      const id = await submitAndRun();
      const loaded = stored(id);
      await t.store.commit(loaded, { ...loaded.request, version: loaded.request.version + 1 }, {
        effects: [{ kind: 'notify', recipientId: diego, card: 'approvalRequest' }],
      });
      const readAfter = runner.mark();
      const stale = await t.store.get(id); // what a use-case read: the notify still pending
      runner.kick(id); // meanwhile a run does it
      await runner.idle();
      const posts = t.notifier.posts.length;
      runner.runFrom(stale!, readAfter);
      await runner.idle();
      assert.equal(t.notifier.posts.length, posts, 'Diego not asked twice');
      assert.deepEqual(stored(id).effects, []);
    });

    it("leaves effects another process committed to that process, and the sweep to whoever finds them abandoned", async () => {
      const other = { ...t, store: t.store.asProcess('instance-2') };
      const created = await submitRequest(other, crmInput());
      const id = created.request.id;
      assert.ok(created.effects.every((e) => e.origin === 'instance-2'));

      runner.kick(id);
      await runner.idle();
      assert.equal(t.notifier.posts.length, 0, "this process's runner does not run the other's effects");
      assert.deepEqual(stored(id).effects.map((e) => e.id), created.effects.map((e) => e.id));

      const otherRunner = new EffectRunner(other);
      otherRunner.kick(id);
      await otherRunner.idle();
      assert.equal(stored(id).request.state, 'pendingApproval', 'the other process ran them');
      const posts = t.notifier.posts.length;

      // Its decision's effects, left behind (that process stopped): found by this process's sweep.
      await decideRequest(other, { requestId: id, actorId: megan, outcome: 'approved', justification: 'ok' });
      runner.kick(id);
      await runner.idle();
      assert.equal(stored(id).request.state, 'approved', 'not delivered by an own run');
      assert.equal(await runner.sweep(), 1);
      assert.equal(stored(id).request.state, 'delivered');
      assert.ok(t.notifier.posts.length > posts);
      assert.equal(t.store.isIndexed(id), false);
    });

    it('kicking the same request twice at once still sends each card once', async () => {
      const created = await submitRequest(t, crmInput());
      runner.kick(created.request.id);
      runner.kick(created.request.id);
      await runner.idle();
      assert.deepEqual(t.notifier.posts.map((p) => p.recipientId).sort(), [diego, megan].sort());
      assert.deepEqual(stored(created.request.id).effects, []);
    });
  });
});
