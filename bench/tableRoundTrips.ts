/**
 * Table round trips per state transition: a few lifecycles (submit → start stage → decide → deliver) through
 * the use-cases and the EffectRunner in-process, against Azurite, with a pipeline policy on the Tables clients
 * counting every HTTP attempt. A transition's count covers its read of the partition (a use-case reads it; an
 * effect works on the request as the commit or the effect before it left it), the index rows written beside
 * it and its entity-group transaction. Target ≤ 3.
 */
import { decideRequest } from '../src/app/decide';
import { EffectRunner, type RunMark } from '../src/app/effectRunner';
import type { CommitOptions, LoadedRequest, RecordOptions, RequesterPage, RequesterPageQuery, RequestStore } from '../src/app/ports';
import { submitRequest } from '../src/app/submitRequest';
import type { AccessRequest } from '../src/domain/request';
import { BENCH, MANAGER_PACKAGE, benchSeed, formCardOf, round, startCore, TableTraffic, verdict, type BenchEnv, type Measured, type TrafficCounts } from './support';

/** The state transitions of a lifecycle the target is about, by the name the table prints. */
const TRANSITIONS: Record<string, string> = { submit: 'submit', startStage: 'start stage', decide: 'decide', deliver: 'deliver' };
const LIFECYCLES = 5;

export interface TableRoundTripsResult {
  max: number;
  mean: number;
  /** Per step of a lifecycle (transitions and the effects' bookkeeping writes): round trips, mean and max. */
  byStep: Record<string, { mean: number; max: number; reads: number; writes: number }>;
  lifecycles: number;
}

/**
 * What a commit or record completes: a transition by its name (repeatable effects it also marks done ride in
 * its transaction for free), otherwise the kinds it marks done ('refreshCards+schedule').
 */
function effectKind(loaded: LoadedRequest, options: CommitOptions | undefined): string {
  const kinds = (options?.completedEffectIds ?? []).map((id) => loaded.effects.find((e) => e.id === id)?.effect.kind ?? '?');
  if (!kinds.length) return '(unlabelled)';
  return kinds[0] in TRANSITIONS ? kinds[0] : kinds.join('+');
}

interface Segment {
  label: string;
  counts: TrafficCounts;
}

/**
 * Delegates to the Table store and cuts the traffic into segments: one per use-case call (`mark`), and while
 * effects run (`runningEffects`), one per step of the runner: its read of the partition ('read', once per
 * run), each write that marks effects done with the traffic since the previous step (named after the effects
 * it marks: repeatable ones share one write, e.g. 'refreshCards+schedule'), and 'idle' (the release of the
 * outbox index).
 */
class SegmentingStore implements RequestStore {
  readonly segments: Segment[] = [];
  runningEffects = false;
  private open: { label: string; before: TrafficCounts } | undefined;

  constructor(
    private readonly inner: RequestStore,
    private readonly traffic: TableTraffic,
  ) {}

  get origin(): string {
    return this.inner.origin;
  }

  mark(label: string): void {
    this.close();
    this.open = { label, before: this.traffic.snapshot() };
  }

  close(): void {
    if (this.open) this.segments.push({ label: this.open.label, counts: this.traffic.since(this.open.before) });
    this.open = undefined;
  }

  /** While effects run: ends the segment under way as `label` and starts the next one. */
  private cut(label: string): void {
    if (!this.runningEffects) return;
    if (this.open) this.open.label = label;
    this.mark('(unlabelled)');
  }

  async get(requestId: string): Promise<LoadedRequest | undefined> {
    const loaded = await this.inner.get(requestId);
    this.cut('read');
    return loaded;
  }

  create(request: AccessRequest, options?: CommitOptions): Promise<LoadedRequest> {
    return this.inner.create(request, options);
  }
  async commit(loaded: LoadedRequest, next: AccessRequest, options?: CommitOptions): Promise<LoadedRequest> {
    const committed = await this.inner.commit(loaded, next, options);
    this.cut(effectKind(loaded, options));
    return committed;
  }
  async record(loaded: LoadedRequest, options: RecordOptions): Promise<LoadedRequest> {
    const recorded = await this.inner.record(loaded, options);
    this.cut(effectKind(loaded, options));
    return recorded;
  }
  listRequestsWithPendingEffects(limit: number, writtenBefore?: Date): Promise<string[]> {
    return this.inner.listRequestsWithPendingEffects(limit, writtenBefore);
  }
  async releaseIfIdle(requestId: string, known?: LoadedRequest): Promise<void> {
    await this.inner.releaseIfIdle(requestId, known);
    this.cut('idle');
  }
  listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    return this.inner.listByRequester(requesterId, limit);
  }
  pageOfRequester(requesterId: string, query: RequesterPageQuery): Promise<RequesterPage> {
    return this.inner.pageOfRequester(requesterId, query);
  }
  listAudit(requestId: string) {
    return this.inner.listAudit(requestId);
  }
}

export async function measureTableRoundTrips({ connectionString }: BenchEnv): Promise<Measured<TableRoundTripsResult>> {
  const traffic = new TableTraffic();
  const core = await startCore(connectionString, benchSeed({ requesters: LIFECYCLES, managers: 1 }), traffic);
  try {
    const store = new SegmentingStore(core.ctx.store, traffic);
    const ctx = { ...core.ctx, store };
    const runner = new EffectRunner(ctx);
    const runEffects = async (committed: LoadedRequest, readAfter: RunMark) => {
      store.runningEffects = true;
      store.mark('(unlabelled)');
      runner.runFrom(committed, readAfter);
      await runner.idle();
      store.runningEffects = false;
      store.close();
    };
    for (let n = 0; n < LIFECYCLES; n++) {
      store.mark('submit');
      const submitted = runner.mark();
      const created = await submitRequest(ctx, { requesterId: BENCH.requester(n), packageId: MANAGER_PACKAGE, justification: 'benchmark', formCard: formCardOf(BENCH.requester(n)) });
      store.close();
      await runEffects(created, submitted);
      store.mark('decide');
      const approved = runner.mark();
      const decided = await decideRequest(ctx, { requestId: created.request.id, actorId: BENCH.manager(0), outcome: 'approved' });
      store.close();
      await runEffects(decided, approved);
      const final = await core.ctx.store.get(created.request.id);
      if (final?.request.state !== 'delivered') throw new Error(`lifecycle ${n} ended ${final?.request.state ?? 'missing'}, not delivered`);
    }

    const byStep: TableRoundTripsResult['byStep'] = {};
    const segments = store.segments.filter((s) => s.counts.roundTrips > 0);
    for (const label of [...new Set(segments.map((s) => s.label))]) {
      const list = segments.filter((s) => s.label === label);
      byStep[label] = {
        mean: round(list.reduce((sum, s) => sum + s.counts.roundTrips, 0) / list.length, 2),
        max: Math.max(...list.map((s) => s.counts.roundTrips)),
        reads: round(list.reduce((sum, s) => sum + s.counts.reads, 0) / list.length, 2),
        writes: round(list.reduce((sum, s) => sum + s.counts.writes, 0) / list.length, 2),
      };
    }
    const transitions = segments.filter((s) => s.label in TRANSITIONS).map((s) => s.counts.roundTrips);
    for (const label of Object.keys(TRANSITIONS)) if (!byStep[label]) throw new Error(`no ${label} transition was seen`);
    const max = Math.max(...transitions);
    const mean = round(transitions.reduce((a, b) => a + b, 0) / transitions.length, 2);
    const per = Object.entries(TRANSITIONS).map(([label, name]) => `${name} ${byStep[label].max}`).join(', ');
    const others = Object.entries(byStep)
      .filter(([label]) => !(label in TRANSITIONS))
      .map(([label, s]) => `${label} ${s.max} (${s.reads}r+${s.writes}w)`)
      .join(', ');
    return {
      result: { max, mean, byStep, lifecycles: LIFECYCLES },
      rows: [{ measure: 'Table round trips per transition (max / mean)', figure: `${max} / ${mean}`, target: '≤ 3', verdict: verdict(max <= 3) }],
      notes: [
        `table round trips: ${LIFECYCLES} lifecycles in-process on Azurite, every HTTP attempt counted by a perRetry pipeline policy; per transition (max): ${per}`,
        `  effect bookkeeping, not state transitions (max, mean reads + writes): ${others}`,
      ],
    };
  } finally {
    await core.close();
  }
}
