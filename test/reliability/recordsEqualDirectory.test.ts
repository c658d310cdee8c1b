/**
 * Reliability, issue 12: records equal the directory, always — checked, not hoped. Seeded random runs of requests,
 * approvals, denials, cancellations, releases, extensions, expiries and reprocesses over packages sharing the CRM
 * Users group and the CRM Reader role, with Graph faults and restarts, on two bot instances sharing one Azurite; at
 * every settle, at the end and 20 days later, each requester's Graph memberships and app-role assignments are
 * exactly what their requests hold (directoryInvariant.ts says how). A failure prints the seed and the shortest
 * failing sequence found.
 *
 * Replay: `RELIABILITY_SEED=<seed> npx mocha test/reliability/recordsEqualDirectory.test.ts`; a larger run:
 * `npm run invariants -- --operations 1000`; one printed sequence: `npm run invariants -- --replay '<steps>'`.
 */
import { strict as assert } from 'node:assert';
import { describeSteps, describeTally, runInvariants, runSteps, type Step } from './directoryInvariant';

const SEED = Number(process.env.RELIABILITY_SEED ?? 0x5eed_0012);
const OPERATIONS = 300;
const PER_RUN = 100;

/**
 * Found by this test (seed 1, shrunk by hand): a delivery waiting out a Graph outage and a second package's delivery
 * of the same group each counted the other as the grant, so neither wrote it — both recorded CRM Users delivered,
 * Graph never had the membership.
 */
const TWO_WAITING_DELIVERIES: Step[] = [
  [{ kind: 'faults', mode: 'writesDown' }],
  [{ kind: 'submit', person: 2, pkg: 1, via: 0 }],
  [{ kind: 'pause' }],
  [{ kind: 'submit', person: 2, pkg: 3, via: 1 }],
  [{ kind: 'pause' }],
  [{ kind: 'faults', mode: 'none' }],
  [{ kind: 'clock', minutes: 1, tick: 'both' }],
];

/**
 * Found with this test: Requester 000 releases CRM group during an outage of removals, then asks for CRM editors.
 * The new delivery waits for the removal of CRM Users; the removal, retried once Graph is back, keeps CRM Users
 * because CRM editors is about to grant it; then Graph refuses the member write (a withdrawn permission), CRM editors
 * records the group failed — and the membership stays in Graph with no request granting it, for good.
 */
const KEPT_FOR_A_DELIVERY_THAT_FAILS: Step[] = [
  [{ kind: 'submit', person: 2, pkg: 1, via: 0 }],
  [{ kind: 'pause' }],
  [{ kind: 'faults', mode: 'removalsDown' }],
  [{ kind: 'release', person: 2, pick: 0, aim: 'fit', via: 0 }],
  [{ kind: 'pause' }],
  [{ kind: 'submit', person: 2, pkg: 3, via: 1 }],
  [{ kind: 'pause' }],
  [{ kind: 'faults', mode: 'memberRefused' }],
  [{ kind: 'clock', minutes: 1, tick: 'both' }],
  [{ kind: 'clock', minutes: 1, tick: 'both' }],
];

describe('reliability: records equal the directory (two instances, shared resources, Graph faults)', function () {
  this.timeout(300_000);

  it(`holds through ${OPERATIONS} random operations on two instances (seed ${SEED})`, async () => {
    const started = Date.now();
    const { answers, paths } = await runInvariants({ seed: SEED, operations: OPERATIONS, perRun: PER_RUN, shrinkBudgetInMs: 45_000, log: (line) => console.log(line) });
    console.log(`      ${OPERATIONS} steps in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}); answers: ${describeTally(answers)}; paths: ${describeTally(paths)}`);
  });

  for (const [name, steps] of [
    ['two packages deliver one group while Graph refuses writes for a while', TWO_WAITING_DELIVERIES],
    ['a removal keeps a group for a delivery that then fails', KEPT_FOR_A_DELIVERY_THAT_FAILS],
  ] as const) {
    it(`holds when ${name}`, async () => {
      const result = await runSteps(steps);
      assert.ok(!result.error, `${describeSteps(steps)}\nfailed at step ${result.failedAt}: ${result.error?.message}`);
    });
  }
});
