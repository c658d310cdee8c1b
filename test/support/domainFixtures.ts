/** The start time and the sample catalog's packages, policies and stage that the domain tests build requests from. */
import type { ApprovalStage, PackageEntry, Policy } from '../../src/catalog/types';
import { sampleCatalog } from './fakes';

export const T0 = new Date('2026-03-02T09:00:00.000Z');
/** `ms` milliseconds after T0. */
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

const catalog = sampleCatalog();
function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`test setup: no ${what}`);
  return value;
}
export const crmEntry: PackageEntry = must(catalog.findPackage('crm-users'), 'crm-users');
export const crmPolicy: Policy = must(catalog.findPolicy('crm-users', 'employees'), 'employees policy');
export const crmStage: ApprovalStage = crmPolicy.approval.stages[0];
export const salesEntry: PackageEntry = must(catalog.findPackage('sales-team'), 'sales-team');
export const salesPolicy: Policy = must(catalog.findPolicy('sales-team', 'members-no-approval'), 'no-approval policy');
