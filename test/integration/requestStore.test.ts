import { strict as assert } from 'node:assert';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { LoadedRequest } from '../../src/app/ports';
import type { Effect } from '../../src/domain/effects';
import { ConcurrencyError, ConflictError } from '../../src/domain/errors';
import type { AccessRequest } from '../../src/domain/request';
import { TableRequestStore } from '../../src/storage/requestStore';
import { encodeKey, type Tables } from '../../src/storage/tables';
import { aPostedCard, aRequest, aResource, aStage } from '../support/builders';
import { useTables } from '../support/azurite';

/** Counts HTTP requests to the Table service, by table (the first path segment after the account). */
class RoundTrips {
  private calls: string[] = [];
  readonly policy: PipelinePolicy = {
    name: 'countRoundTrips',
    sendRequest: (request, next) => {
      this.calls.push(`${request.method} ${new URL(request.url).pathname}`);
      return next(request);
    },
  };
  async count(action: () => Promise<unknown>): Promise<string[]> {
    this.calls = [];
    await action();
    return this.calls;
  }
}

function next(loaded: LoadedRequest, changes: Partial<AccessRequest> = {}): AccessRequest {
  return {
    ...structuredClone(loaded.request),
    version: loaded.request.version + 1,
    updatedAt: '2026-01-06T10:00:00.000Z',
    ...changes,
  };
}

const notifyApprover: Effect = { kind: 'notify', recipientId: '55555555-5555-5555-5555-555555555555', card: 'approvalRequest' };

describe('TableRequestStore (Azurite)', function () {
  this.timeout(30_000);
  let tables: Tables;
  let store: TableRequestStore;
  const roundTrips = new RoundTrips();

  before(async () => {
    tables = await useTables({
      clientOptions: { additionalPolicies: [{ policy: roundTrips.policy, position: 'perCall' }] },
    });
  });
  beforeEach(() => {
    store = new TableRequestStore({ tables });
  });

  describe('create and get', () => {
    it('round-trips the request, its stages, resources, cards and effects', async () => {
      const request = aRequest({
        stages: [
          aStage({
            index: 0,
            decision: {
              stageIndex: 0,
              outcome: 'approved',
              by: { id: '55555555-5555-5555-5555-555555555555', displayName: 'Megan Bowen' },
              at: '2026-01-05T10:00:00.000Z',
              justification: 'ok',
            },
          }),
          aStage({ index: 1, approverIds: ['66666666-6666-6666-6666-666666666666'], usedFallback: true }),
        ],
        resources: [
          aResource({ key: '00', displayName: 'CRM Users' }),
          aResource({ key: '01', status: 'failed', attempts: 2, lastError: 'Forbidden' }),
          aResource({
            key: '02',
            resource: { type: 'appRole', servicePrincipalId: '33333333-3333-3333-3333-333333333333', appRoleId: '44444444-4444-4444-4444-444444444444' },
            displayName: 'CRM Reader',
            appDisplayName: 'Contoso CRM',
          }),
        ],
      });
      const cards = [aPostedCard(), aPostedCard({ recipientId: request.requester.id, card: 'requestStatus' })];
      const created = await store.create(request, { effects: [{ kind: 'startStage' }, notifyApprover], cards });

      const loaded = await store.get(request.id);
      assert.ok(loaded);
      assert.deepEqual(loaded.request, request);
      assert.equal(loaded.etag, created.etag);
      assert.deepEqual(
        loaded.effects.map((e) => e.effect),
        [{ kind: 'startStage' }, notifyApprover],
      );
      assert.deepEqual(
        loaded.effects.map((e) => e.id),
        created.effects.map((e) => e.id),
      );
      const byKind = (a: { card: string }, b: { card: string }) => a.card.localeCompare(b.card);
      assert.deepEqual([...loaded.cards].sort(byKind), [...cards].sort(byKind));
      assert.deepEqual(created.request, request);
    });

    it('returns undefined for an unknown request', async () => {
      assert.equal(await store.get('no-such-request'), undefined);
    });

    it('refuses a second create of the same id with ConflictError', async () => {
      const request = aRequest();
      await store.create(request);
      await assert.rejects(store.create({ ...request, state: 'submitted' }), (error: unknown) => {
        assert.ok(error instanceof ConflictError);
        assert.equal(error.messageKey, 'error.requestExists');
        return true;
      });
      assert.equal((await store.get(request.id))?.request.state, 'pendingApproval');
    });

    it('keeps ids with characters that table keys do not allow', async () => {
      const request = aRequest({ id: 'odd/id#with?chars\\and%', resources: [aResource({ key: 'a/b' })] });
      await store.create(request, { effects: [notifyApprover] });
      const loaded = await store.get(request.id);
      assert.deepEqual(loaded?.request, request);
      assert.ok((await store.listRequestsWithPendingEffects(1000)).includes(request.id));
    });

    it('stores a stage longer than one table column holds', async () => {
      const approverIds = Array.from({ length: 1500 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
      const request = aRequest({ stages: [aStage({ approverIds })] });
      const created = await store.create(request);
      assert.deepEqual((await store.get(request.id))?.request, request);
      const updated = await store.commit(created, next(created, { stages: [aStage({ approverIds: approverIds.slice(1) })] }));
      assert.deepEqual((await store.get(request.id))?.request, updated.request);
    });

    it('refuses a write of more than 100 operations, and writes nothing', async () => {
      const request = aRequest({
        resources: Array.from({ length: 101 }, (_, i) => aResource({ key: String(i).padStart(3, '0') })),
      });
      // request + stage + 101 resources + the audit trail's 'transition' row
      await assert.rejects(store.create(request), /needs 104 table operations, more than the 100 one transaction can hold/);
      assert.equal(await store.get(request.id), undefined);
    });
  });

  describe('commit', () => {
    it('writes the next version and returns the new ETag', async () => {
      const created = await store.create(aRequest());
      const decided = next(created, {
        state: 'approved',
        stages: [
          {
            ...created.request.stages[0],
            decision: {
              stageIndex: 0,
              outcome: 'approved',
              by: { id: '55555555-5555-5555-5555-555555555555', displayName: 'Megan Bowen' },
              at: '2026-01-06T10:00:00.000Z',
            },
          },
        ],
      });
      const committed = await store.commit(created, decided);
      assert.equal(committed.request.version, 2);
      assert.notEqual(committed.etag, created.etag);

      const loaded = await store.get(decided.id);
      assert.deepEqual(loaded?.request, decided);
      assert.equal(loaded?.etag, committed.etag);

      // The returned ETag is good for the next commit.
      const delivering = await store.commit(committed, next(committed, { state: 'delivering' }));
      assert.equal((await store.get(decided.id))?.request.state, 'delivering');
      assert.equal(delivering.request.version, 3);
    });

    it('refuses a stale ETag with ConcurrencyError and changes nothing', async () => {
      const created = await store.create(aRequest(), { effects: [notifyApprover] });
      await store.commit(created, next(created, { state: 'denied' }));
      const before = await store.get(created.request.id);

      await assert.rejects(
        store.commit(created, next(created, { state: 'approved', stages: [] }), {
          effects: [{ kind: 'deliver' }],
          completedEffectIds: created.effects.map((e) => e.id),
          cards: [aPostedCard({ card: 'requestDenied' })],
        }),
        ConcurrencyError,
      );
      assert.deepEqual(await store.get(created.request.id), before);
    });

    it('reports a stale ETag as ConcurrencyError even when the effects it completes are already gone', async () => {
      const created = await store.create(aRequest(), { effects: [notifyApprover] });
      await store.commit(created, next(created, { state: 'denied' }), { completedEffectIds: created.effects.map((e) => e.id) });
      await assert.rejects(
        store.commit(created, next(created), { completedEffectIds: created.effects.map((e) => e.id) }),
        ConcurrencyError,
      );
    });

    it('lets exactly one of two concurrent commits from the same read win', async () => {
      const created = await store.create(aRequest());
      const loaded = await store.get(created.request.id);
      assert.ok(loaded);
      const results = await Promise.allSettled([
        store.commit(loaded, next(loaded, { state: 'approved' }), { effects: [{ kind: 'deliver' }] }),
        store.commit(loaded, next(loaded, { state: 'denied' }), { effects: [{ kind: 'refreshCards', cards: ['requestStatus'] }] }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0].reason instanceof ConcurrencyError);

      const stored = await store.get(created.request.id);
      assert.equal(stored?.request.version, 2);
      const winner = (won[0] as PromiseFulfilledResult<LoadedRequest>).value;
      assert.equal(stored?.request.state, winner.request.state);
      assert.deepEqual(stored?.effects, winner.effects);
    });

    it('sees changes made in place to the loaded request (it compares with what was read)', async () => {
      const created = await store.create(aRequest());
      const loaded = await store.get(created.request.id);
      assert.ok(loaded);
      const following = next(loaded);
      loaded.request.resources[0].status = 'delivered';
      following.resources[0].status = 'delivered';
      await store.commit(loaded, following);
      assert.equal((await store.get(created.request.id))?.request.resources[0].status, 'delivered');
    });

    it('removes stage and resource rows that the next version no longer has', async () => {
      const created = await store.create(aRequest());
      await store.commit(created, next(created, { stages: [], resources: [created.request.resources[1]] }));
      const loaded = await store.get(created.request.id);
      assert.deepEqual(loaded?.request.stages, []);
      assert.deepEqual(loaded?.request.resources, [created.request.resources[1]]);
    });

    it('refuses a version that is not the next one', async () => {
      const created = await store.create(aRequest());
      await assert.rejects(store.commit(created, { ...created.request, version: 3 }), /version must be 2/);
    });
  });

  describe('outbox', () => {
    it('keeps added effects in creation order across commits and lists the request as pending', async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }] });
      const second = await store.commit(created, next(created), {
        effects: [notifyApprover, { kind: 'refreshCards', cards: ['requestStatus'] }],
      });
      const third = await store.commit(second, next(second), { effects: [{ kind: 'deliver' }] });

      const loaded = await store.get(created.request.id);
      assert.deepEqual(
        loaded?.effects.map((e) => e.effect.kind),
        ['startStage', 'notify', 'refreshCards', 'deliver'],
      );
      const ids = loaded?.effects.map((e) => e.id) ?? [];
      assert.deepEqual([...ids].sort(), ids);
      assert.deepEqual(third.effects, loaded?.effects);
      assert.ok((await store.listRequestsWithPendingEffects(1000)).includes(created.request.id));
    });

    it('removes completed effects in the commit that completes them', async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }, notifyApprover] });
      const [first] = created.effects;
      const committed = await store.commit(created, next(created), { completedEffectIds: [first.id] });
      const loaded = await store.get(created.request.id);
      assert.deepEqual(
        loaded?.effects.map((e) => e.effect),
        [notifyApprover],
      );
      assert.deepEqual(committed.effects, loaded?.effects);
    });

    it('commits even when an effect it completes was already completed by record()', async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }, notifyApprover] });
      const [first, second] = created.effects;
      await store.record(created, { completedEffectIds: [first.id] });
      const committed = await store.commit(created, next(created, { state: 'approved' }), {
        completedEffectIds: [first.id, second.id],
      });
      const loaded = await store.get(created.request.id);
      assert.equal(loaded?.request.state, 'approved');
      assert.deepEqual(loaded?.effects, []);
      assert.equal(loaded?.etag, committed.etag);
    });

    it('record() upserts cards and completes effects, and tolerates effects already gone', async () => {
      const card = aPostedCard({ activityId: 'first' });
      const created = await store.create(aRequest(), {
        effects: [{ kind: 'startStage' }, notifyApprover, { kind: 'refreshCards', cards: ['requestStatus'] }],
        cards: [card],
      });
      const [a, b, c] = created.effects.map((e) => e.id);
      await store.record(created, { completedEffectIds: [a] });
      const recorded = await store.record(created, {
        completedEffectIds: [a, b],
        cards: [{ ...card, activityId: 'second' }, aPostedCard({ recipientId: 'someone-else' })],
      });
      assert.deepEqual(await store.record(recorded, {}), recorded, 'nothing to record: the same request back');

      const loaded = await store.get(created.request.id);
      assert.deepEqual(recorded, loaded, 'record() returns the request as a read would find it');
      assert.deepEqual(
        loaded?.effects.map((e) => e.id),
        [c],
      );
      assert.equal(loaded?.cards.length, 2);
      assert.equal(loaded?.cards.find((x) => x.recipientId === card.recipientId)?.activityId, 'second');
      assert.equal(loaded?.etag, created.etag, 'record() leaves the request row alone');
    });

    it('releaseIfIdle() drops the index row only once every effect is done', async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }] });
      const id = created.request.id;
      await store.releaseIfIdle(id);
      assert.ok((await store.listRequestsWithPendingEffects(1000)).includes(id), 'kept while effects are pending');

      await store.record(created, { completedEffectIds: created.effects.map((e) => e.id) });
      await store.releaseIfIdle(id);
      assert.ok(!(await store.listRequestsWithPendingEffects(1000)).includes(id), 'dropped when idle');
      await store.releaseIfIdle(id); // no index row: nothing to do
    });

    it('releaseIfIdle() keeps an index row written by a commit whose transaction has not landed yet', async () => {
      const created = await store.create(aRequest());
      const id = created.request.id;
      // What commit() writes just before its transaction, for version 2.
      await tables
        .client('work')
        .upsertEntity({ partitionKey: 'outbox', rowKey: encodeKey(id), requestId: id, version: 2 }, 'Replace');
      await store.releaseIfIdle(id);
      assert.ok((await store.listRequestsWithPendingEffects(1000)).includes(id));

      await store.commit(created, next(created));
      await store.releaseIfIdle(id);
      assert.ok(!(await store.listRequestsWithPendingEffects(1000)).includes(id));
    });

    it('listRequestsWithPendingEffects() honours the limit', async () => {
      for (let i = 0; i < 3; i++) await store.create(aRequest(), { effects: [{ kind: 'startStage' }] });
      assert.equal((await store.listRequestsWithPendingEffects(2)).length, 2);
      assert.deepEqual(await store.listRequestsWithPendingEffects(0), []);
    });
  });

  describe('listByRequester', () => {
    it('lists a requester’s requests newest first, up to the limit, skipping creates that failed', async () => {
      const requester = { id: `requester-${Date.now()}`, displayName: 'Lee Gu' };
      const at = (day: number) => `2026-02-${String(day).padStart(2, '0')}T08:00:00.000Z`;
      const old = aRequest({ requester, submittedAt: at(1) });
      const newest = aRequest({ requester, submittedAt: at(20) });
      const middle = aRequest({ requester, submittedAt: at(10) });
      for (const request of [old, newest, middle]) await store.create(request);
      await store.create(aRequest({ submittedAt: at(15) })); // someone else's
      // A create that failed after writing its index row.
      await tables.client('requesterIndex').upsertEntity({
        partitionKey: requester.id,
        rowKey: '000000000000000|ghost',
        requestId: 'ghost',
      });
      // A duplicate create writes a second index row for an existing id.
      await assert.rejects(store.create({ ...old, submittedAt: at(25) }), ConflictError);

      const all = await store.listByRequester(requester.id, 10);
      assert.deepEqual(
        all.map((r) => r.id),
        [newest.id, middle.id, old.id],
      );
      const two = await store.listByRequester(requester.id, 2);
      assert.deepEqual(
        two.map((r) => r.id),
        [newest.id, middle.id],
      );
      assert.deepEqual(await store.listByRequester('nobody', 5), []);
    });
  });

  describe('round trips', () => {
    it('get = 1 query, commit = 1 transaction (+1 index upsert when it adds effects), create = index rows + 1 transaction', async () => {
      const request = aRequest();
      const create = await roundTrips.count(() => store.create(request, { effects: [{ kind: 'startStage' }] }));
      assert.equal(create.length, 3, create.join('\n'));

      let loaded: LoadedRequest | undefined;
      const get = await roundTrips.count(async () => (loaded = await store.get(request.id)));
      assert.equal(get.length, 1, get.join('\n'));
      assert.ok(loaded);

      let committed: LoadedRequest | undefined;
      const plain = await roundTrips.count(async () => (committed = await store.commit(loaded as LoadedRequest, next(loaded as LoadedRequest))));
      assert.deepEqual(plain.map((call) => call.split(' ')[0]), ['POST'], plain.join('\n'));
      assert.match(plain[0], /\$batch$/);
      assert.ok(committed);

      const withEffects = await roundTrips.count(() =>
        store.commit(committed as LoadedRequest, next(committed as LoadedRequest), {
          effects: [{ kind: 'deliver' }],
          completedEffectIds: loaded?.effects.map((e) => e.id),
          cards: [aPostedCard()],
        }),
      );
      assert.equal(withEffects.length, 2, withEffects.join('\n'));
      console.log(`      round trips: create ${create.length}, get ${get.length}, commit ${plain.length}, commit+effects ${withEffects.length}`);
    });

    it("releasing the index after a run (the runner's view, a row this process wrote) is one guarded delete", async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }] });
      const done = await store.record(created, { completedEffectIds: created.effects.map((e) => e.id) });
      const release = await roundTrips.count(() => store.releaseIfIdle(created.request.id, done));
      assert.deepEqual(release.map((call) => call.split(' ')[0]), ['DELETE'], release.join('\n'));
      assert.ok(!(await store.listRequestsWithPendingEffects(1000)).includes(created.request.id));
    });

    it('a row another process rewrote since is left alone (its ETag changed)', async () => {
      const created = await store.create(aRequest(), { effects: [{ kind: 'startStage' }] });
      const done = await store.record(created, { completedEffectIds: created.effects.map((e) => e.id) });
      const other = new TableRequestStore({ tables });
      const stillPending = await other.commit(done, next(done), { effects: [{ kind: 'deliver' }] });
      await store.releaseIfIdle(created.request.id, done);
      assert.ok((await store.listRequestsWithPendingEffects(1000)).includes(created.request.id), 'kept for the other commit');
      assert.equal(stillPending.effects.length, 1);
    });
  });
});
