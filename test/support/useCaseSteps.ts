/**
 * What the use-case tests on the in-memory fakes do again and again: submit or decide and run the effects,
 * run due work, read a stored request; and where the sample catalog's policies sit, for `sampleCatalogWith`.
 */
import { strict as assert } from 'node:assert';
import { decideRequest, type DecideInput } from '../../src/app/decide';
import { runDueItem } from '../../src/app/dueWork';
import type { EffectRunner } from '../../src/app/effectRunner';
import type { LoadedRequest } from '../../src/app/ports';
import { submitRequest, type SubmitRequestInput } from '../../src/app/submitRequest';
import type { DueItem } from '../../src/domain/schedule';
import { demo, formCard, type TestContext } from './fakes';

/** JSON paths into catalog.sample.json: the CRM users policy, its first approval stage, the Sales team policy. */
export const CRM_POLICY = ['catalogs', 0, 'accessPackages', 0, 'policies', 0] as const;
export const CRM_STAGE = [...CRM_POLICY, 'approval', 'stages', 0] as const;
export const SALES_POLICY = ['catalogs', 0, 'accessPackages', 1, 'policies', 0] as const;

/** Adele asks for CRM users from the request form. */
export const crmUsersInput = (overrides: Partial<SubmitRequestInput> = {}): SubmitRequestInput => ({
  requesterId: demo.users.adele,
  packageId: 'crm-users',
  justification: 'Pipeline review',
  formCard: formCard(demo.users.adele),
  ...overrides,
});

export interface UseCaseSteps {
  /** The stored request; fails the test when there is none. */
  stored(requestId: string): LoadedRequest;
  /** Kicks the effects of these requests and waits until the runner is idle. */
  settle(...requestIds: string[]): Promise<void>;
  /** Submits a request (by default `crmUsersInput()`) and runs its effects to completion; returns its id. */
  submitAndRun(input?: SubmitRequestInput): Promise<string>;
  /** Decides and runs the effects of the decision. */
  decideAndRun(input: DecideInput): Promise<LoadedRequest>;
  /** Runs one due item and the effects it caused. */
  runDue(item: DueItem): Promise<'done' | 'stale'>;
}

/** The steps, on whatever context and runner `current()` gives when a step runs (a fresh pair per test). */
export function useCaseSteps(current: () => { t: TestContext; runner: EffectRunner }): UseCaseSteps {
  const steps: UseCaseSteps = {
    stored(requestId) {
      const loaded = current().t.store.peek(requestId);
      assert.ok(loaded, `request ${requestId} is stored`);
      return loaded;
    },
    async settle(...requestIds) {
      const { runner } = current();
      for (const id of requestIds) runner.kick(id);
      await runner.idle();
    },
    async submitAndRun(input = crmUsersInput()) {
      const created = await submitRequest(current().t, input);
      await steps.settle(created.request.id);
      return created.request.id;
    },
    async decideAndRun(input) {
      const committed = await decideRequest(current().t, input);
      await steps.settle(input.requestId);
      return committed;
    },
    async runDue(item) {
      const { t, runner } = current();
      const outcome = await runDueItem(t, runner, item);
      await runner.idle();
      return outcome;
    },
  };
  return steps;
}
