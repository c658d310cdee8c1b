/**
 * `npm run invariants -- --operations 1000 [--seed N] [--per-run 100] [--shrink-seconds 300]`: the large run of
 * test/reliability/recordsEqualDirectory.test.ts — random operations on two bot instances sharing one Azurite and
 * one Graph emulator, checking that each person's Graph memberships and app-role assignments are exactly what their
 * stored requests hold (test/reliability/directoryInvariant.ts). Prints the seed; a failure prints the seed and the
 * shortest failing sequence found, and exits 1. `--replay '<steps as JSON>'` runs one printed sequence again.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { describeSteps, describeTally, runInvariants, runSteps, type Step } from '../test/reliability/directoryInvariant';
import { stopSharedAzurite } from '../test/support/azurite';

const USAGE = 'usage: npm run invariants -- [--operations 1000] [--seed N] [--per-run 100] [--shrink-seconds 300] [--replay \'[[...]]\']';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      operations: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      'per-run': { type: 'string', default: '100' },
      'shrink-seconds': { type: 'string', default: '300' },
      replay: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const number = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}, not "${text}"\n${USAGE}`);
    return value;
  };
  const started = Date.now();
  try {
    if (values.replay) {
      const steps = JSON.parse(values.replay) as Step[];
      console.log(`Replaying ${steps.length} steps:\n${describeSteps(steps)}`);
      const result = await runSteps(steps);
      if (result.error) {
        console.log(`Failed at step ${result.failedAt} (${result.failedAt! > steps.length ? 'the settle and check after the steps' : 'that step'}):\n${result.error.message}`);
        return 1;
      }
      console.log(`Held: ${result.requests} requests, ${result.graphWrites} Graph writes, ${(result.ms / 1000).toFixed(1)} s`);
      return 0;
    }
    const seed = values.seed !== undefined ? number('seed', values.seed, 0) : Number(process.env.RELIABILITY_SEED ?? randomInt(2 ** 31));
    const operations = number('operations', values.operations, 1);
    const perRun = number('per-run', values['per-run'], 1);
    const shrinkBudgetInMs = number('shrink-seconds', values['shrink-seconds'], 0) * 1000;
    console.log(`Records equal the directory: ${operations} operations in runs of ${perRun}, RELIABILITY_SEED=${seed}`);
    const { answers, paths } = await runInvariants({ seed, operations, perRun, shrinkBudgetInMs, log: (line) => console.log(line) });
    console.log(`Held: ${operations} operations in ${((Date.now() - started) / 1000).toFixed(1)} s, RELIABILITY_SEED=${seed}\nAnswers: ${describeTally(answers)}\nPaths: ${describeTally(paths)}`);
    return 0;
  } catch (error) {
    console.log(error instanceof Error ? error.message : String(error));
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 1;
  } finally {
    await stopSharedAzurite();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
