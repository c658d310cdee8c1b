/**
 * Throughput of the core: lifecycles (submit → the requester's manager approves → delivered, 2 resources each)
 * through the use-cases and EffectRunner in-process (no HTTP in front, cards answered at once), against
 * Azurite and the Graph emulator, CONCURRENCY lifecycles at a time.
 *
 * Beside it, in the same run and on the same Azurite: its raw conditional-write rate, CONCURRENCY workers each
 * updating one entity of its own partition in a loop, every update guarded by the ETag the previous one
 * returned. The writes a lifecycle needs are counted by the pipeline policy over the whole run (every write
 * request: entity-group transactions, index upserts and deletes) and divided by the lifecycles.
 *   limit = raw writes/s ÷ writes per lifecycle;  ratioToLimit = lifecycles/s ÷ limit  (target ≥ 0.5)
 */
import type { TableClient } from '@azure/data-tables';
import { decideRequest } from '../src/app/decide';
import { EffectRunner } from '../src/app/effectRunner';
import { submitRequest } from '../src/app/submitRequest';
import { BENCH, benchSeed, benchTables, formCardOf, MANAGER_PACKAGE, ownCpuSeconds, pool, processCpuSeconds, progress, round, startCore, TableTraffic, verdict, type BenchEnv, type Measured } from './support';

/** BENCH_LIFECYCLES overrides it for a quick look (`npm run bench -- lifecycles`). */
const TARGET_COUNT = Number(process.env.BENCH_LIFECYCLES) || 1_000;
const CONCURRENCY = 16;
const MANAGERS = 50;
/** No new lifecycle starts after this long: `count` then says how many ran. */
const TIME_BUDGET_IN_MS = 240_000;
const RAW_WRITE_SECONDS = 5;

export interface LifecyclesResult {
  count: number;
  wallSeconds: number;
  perSecond: number;
  azuriteRawWritesPerSecond: number;
  ratioToLimit: number;
  concurrency: number;
  writesPerLifecycle: number;
  readsPerLifecycle: number;
  /** One worker, the same loop: Azurite's sequential conditional-write rate. */
  azuriteRawWritesPerSecondSequential: number;
  graphRequestsPerLifecycle: number;
  /** CPU seconds used during the run: this process (use-cases, Table and Graph clients, the Graph emulator) and Azurite. */
  cpuSeconds: { bench: number; azurite?: number };
}

/** Conditional updates per second: `workers` loops, each replacing its own entity (own partition) with the ETag it last got. */
async function rawConditionalWrites(client: TableClient, workers: number, seconds: number): Promise<number> {
  const run = `w${Date.now()}`;
  const etags = await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const created = await client.createEntity({ partitionKey: `${run}-${w}`, rowKey: 'row', n: 0 });
      return created.etag ?? '';
    }),
  );
  const deadline = performance.now() + seconds * 1000;
  let writes = 0;
  const t0 = performance.now();
  await Promise.all(
    etags.map(async (first, w) => {
      let etag = first;
      for (let n = 1; performance.now() < deadline; n++) {
        const updated = await client.updateEntity({ partitionKey: `${run}-${w}`, rowKey: 'row', n }, 'Replace', { etag });
        etag = updated.etag ?? '';
        writes++;
      }
    }),
  );
  return writes / ((performance.now() - t0) / 1000);
}

export async function measureLifecycles({ connectionString, azuritePid }: BenchEnv): Promise<Measured<LifecyclesResult>> {
  const traffic = new TableTraffic();
  const core = await startCore(connectionString, benchSeed({ requesters: TARGET_COUNT, managers: MANAGERS }), traffic);
  try {
    traffic.enabled = false;
    const rawTables = await benchTables(connectionString);
    const rawClient = rawTables.client('work');
    const rawSequential = await rawConditionalWrites(rawClient, 1, RAW_WRITE_SECONDS);
    const rawConcurrent = await rawConditionalWrites(rawClient, CONCURRENCY, RAW_WRITE_SECONDS);
    progress(`lifecycles: Azurite raw conditional writes ${round(rawSequential)}/s sequential, ${round(rawConcurrent)}/s at ${CONCURRENCY} at once`);

    // One EffectRunner per worker over the same context: `idle()` then waits for that worker's request only
    // (a runner keeps nothing but its own runs; requests are independent).
    const runners = Array.from({ length: CONCURRENCY }, () => new EffectRunner(core.ctx));
    const ids: string[] = [];
    const graphBefore = core.graph.requests().length;
    traffic.enabled = true;
    const before = traffic.snapshot();
    const cpuBefore = { bench: ownCpuSeconds(), azurite: processCpuSeconds(azuritePid) };
    const t0 = performance.now();
    const stopStartingAt = t0 + TIME_BUDGET_IN_MS;
    let completed = 0;
    await pool(TARGET_COUNT, CONCURRENCY, async (n, slot) => {
      if (performance.now() > stopStartingAt) return;
      const runner = runners[slot];
      const requesterId = BENCH.requester(n);
      // As the card actions do: each commit's effects run from the state the commit returned.
      const submitted = runner.mark();
      const created = await submitRequest(core.ctx, { requesterId, packageId: MANAGER_PACKAGE, justification: 'Throughput benchmark', formCard: formCardOf(requesterId) });
      const requestId = created.request.id;
      runner.runFrom(created, submitted);
      await runner.idle();
      const approved = runner.mark();
      runner.runFrom(await decideRequest(core.ctx, { requestId, actorId: BENCH.manager(n % MANAGERS), outcome: 'approved' }), approved);
      await runner.idle();
      ids.push(requestId);
      if (++completed % 250 === 0) progress(`lifecycles: ${completed} in ${round((performance.now() - t0) / 1000)} s`);
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    const azuriteCpu = processCpuSeconds(azuritePid);
    const cpu = {
      bench: round(ownCpuSeconds() - cpuBefore.bench, 1),
      azurite: azuriteCpu !== undefined && cpuBefore.azurite !== undefined ? round(azuriteCpu - cpuBefore.azurite, 1) : undefined,
    };
    const counts = traffic.since(before);
    traffic.enabled = false;
    const graphRequests = core.graph.requests().length - graphBefore;

    // Every lifecycle must have ended delivered (checked after the clock stopped).
    const states = new Map<string, number>();
    await pool(ids.length, CONCURRENCY, async (i) => {
      const state = (await core.ctx.store.get(ids[i]))?.request.state ?? 'missing';
      states.set(state, (states.get(state) ?? 0) + 1);
    });
    if (states.get('delivered') !== ids.length) throw new Error(`lifecycles ended: ${JSON.stringify(Object.fromEntries(states))}`);

    const count = ids.length;
    const perSecond = count / wallSeconds;
    const writesPerLifecycle = counts.writes / count;
    const limit = rawConcurrent / writesPerLifecycle;
    const ratioToLimit = perSecond / limit;
    const result: LifecyclesResult = {
      count,
      wallSeconds: round(wallSeconds, 1),
      perSecond: round(perSecond, 1),
      azuriteRawWritesPerSecond: round(rawConcurrent, 0),
      ratioToLimit: round(ratioToLimit, 2),
      concurrency: CONCURRENCY,
      writesPerLifecycle: round(writesPerLifecycle, 2),
      readsPerLifecycle: round(counts.reads / count, 2),
      azuriteRawWritesPerSecondSequential: round(rawSequential, 0),
      graphRequestsPerLifecycle: round(graphRequests / count, 2),
      cpuSeconds: cpu,
    };
    const shortened = count < TARGET_COUNT ? ` (of ${TARGET_COUNT}: the time budget of ${TIME_BUDGET_IN_MS / 1000} s ran out)` : '';
    return {
      result,
      rows: [
        { measure: `${count.toLocaleString('en-US')} lifecycles${shortened}: wall time, throughput`, figure: `${result.wallSeconds} s, ${result.perSecond}/s`, target: '-', verdict: 'info' },
        {
          measure: '  Azurite raw conditional writes/s; writes per lifecycle',
          figure: `${result.azuriteRawWritesPerSecond}/s; ${result.writesPerLifecycle}`,
          target: '-',
          verdict: 'info',
        },
        { measure: '  throughput ÷ (raw writes/s ÷ writes per lifecycle)', figure: String(result.ratioToLimit), target: '≥ 0.5', verdict: verdict(ratioToLimit >= 0.5) },
      ],
      notes: [
        `lifecycles: ${count} × (submit → manager approves → delivered, 2 resources) via submitRequest, decideRequest and EffectRunner in-process, ${CONCURRENCY} at a time, on Azurite + Graph emulator (cards answered at once, no HTTP in front); all ${count} ended delivered${shortened}`,
        `  writes per lifecycle = Table write requests counted by the pipeline policy over the whole run ÷ ${count} = ${result.writesPerLifecycle} (plus ${result.readsPerLifecycle} reads; ${result.graphRequestsPerLifecycle} Graph requests); limit = ${result.azuriteRawWritesPerSecond} ÷ ${result.writesPerLifecycle} = ${round(limit, 1)} lifecycles/s`,
        `  CPU during the run (${result.wallSeconds} s of wall time): this process ${cpu.bench} s (use-cases, Table and Graph clients, Graph emulator), Azurite ${cpu.azurite ?? '?'} s`,
        `  raw conditional writes: ${CONCURRENCY} workers × ${RAW_WRITE_SECONDS} s of ETag-guarded replaces of one entity each (own partition): ${result.azuriteRawWritesPerSecond}/s; 1 worker: ${result.azuriteRawWritesPerSecondSequential}/s`,
      ],
    };
  } finally {
    await core.close();
  }
}
