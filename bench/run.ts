/**
 * npm run bench: runs each measure in turn against one in-memory Azurite (a child process) and Graph
 * emulators, prints one table (measure, figure, target, verdict) and writes bench/results.json.
 * `npm run bench -- table graph` runs only the named measures (results.json is then left alone).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite } from '../src/local/azurite';
import { measureFanout } from './fanout';
import { measureGraphRoundTrips } from './graphRoundTrips';
import { measureInvokeLatency } from './invokeLatency';
import { measureLifecycles } from './lifecycles';
import { measureMachine } from './machine';
import { measureSchedulerTick } from './schedulerTick';
import { progress, round, type BenchEnv, type Measured, type Row } from './support';
import { measureTableRoundTrips } from './tableRoundTrips';

interface Measure {
  /** Its key in results.json. */
  key: string;
  /** Its name on the command line. */
  name: string;
  run(env: BenchEnv): Promise<Measured<unknown>>;
}

const MEASURES: Measure[] = [
  { key: 'machine', name: 'machine', run: () => measureMachine() },
  { key: 'invokeLatencyMs', name: 'invoke', run: measureInvokeLatency },
  { key: 'tableRoundTripsPerTransition', name: 'table', run: measureTableRoundTrips },
  { key: 'graphRoundTripsPerPackage', name: 'graph', run: () => measureGraphRoundTrips() },
  { key: 'lifecycles', name: 'lifecycles', run: measureLifecycles },
  { key: 'schedulerTick', name: 'scheduler', run: measureSchedulerTick },
  { key: 'fanout', name: 'fanout', run: measureFanout },
];

function table(rows: Row[]): string {
  const header: Row = { measure: 'measure', figure: 'figure', target: 'target', verdict: 'info' };
  const cells = (r: Row) => [r.measure, r.figure, r.target, r === header ? 'verdict' : r.verdict];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[header, ...rows].map((r) => cells(r)[i].length)));
  const line = (r: Row) => cells(r).map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !MEASURES.some((m) => m.name === name));
  if (unknown.length) throw new Error(`unknown measure(s) ${unknown.join(', ')}; known: ${MEASURES.map((m) => m.name).join(', ')}`);
  const chosen = only.length ? MEASURES.filter((m) => only.includes(m.name)) : MEASURES;

  const started = Date.now();
  progress('starting Azurite (in memory)');
  const azurite = await startAzurite();
  const results: Record<string, unknown> = {};
  const durations: Record<string, number> = {};
  const rows: Row[] = [];
  const notes: string[] = [];
  let failures = 0;
  try {
    for (const measure of chosen) {
      progress(`${measure.name} …`);
      const t0 = Date.now();
      try {
        const measured = await measure.run({ connectionString: azurite.connectionString, azuritePid: azurite.pid });
        results[measure.key] = measured.result;
        rows.push(...measured.rows);
        notes.push(...measured.notes);
      } catch (err) {
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        results[measure.key] = { error: message };
        rows.push({ measure: measure.key, figure: 'error', target: '-', verdict: 'MISS' });
        notes.push(`${measure.key}: failed: ${message}`);
        process.stderr.write(`${err instanceof Error ? err.stack : message}\n`);
      }
      durations[measure.key] = round((Date.now() - t0) / 1000, 1);
      progress(`${measure.name} done in ${durations[measure.key]} s`);
    }
  } finally {
    await azurite.stop();
  }
  const totalSeconds = round((Date.now() - started) / 1000, 1);

  process.stdout.write(`\n${table(rows)}\n\n${notes.join('\n')}\n`);
  process.stdout.write(`\ndurations (s): ${Object.entries(durations).map(([k, v]) => `${k} ${v}`).join(', ')}; total ${totalSeconds}\n`);
  if (only.length === 0) {
    const file = join(__dirname, 'results.json');
    const document = { ...results, run: { at: new Date().toISOString(), totalSeconds, durationsSeconds: durations, table: rows } };
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
  }
  // A measure that could not run fails the command; figures that miss their target do not (they are printed).
  if (failures) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
