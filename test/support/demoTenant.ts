/**
 * Object ids of the demo tenant (directory.sample.json), as the Graph emulator seeds them, for the tests that
 * talk to the emulator; and the emulator started on that seed.
 */
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../../src/local/graphEmulator';

export const ADELE = '11111111-0000-4000-8000-000000000001';
export const DIEGO = '11111111-0000-4000-8000-000000000002';
export const PATTI = '11111111-0000-4000-8000-000000000003';
export const LEE = '11111111-0000-4000-8000-000000000004';
export const MEGAN = '11111111-0000-4000-8000-000000000005';
export const ISAIAH = '11111111-0000-4000-8000-000000000006';
export const GRADY = '11111111-0000-4000-8000-000000000007';

export const CRM_USERS = '22222222-0000-4000-8000-000000000001';
export const SALES_TEAM = '22222222-0000-4000-8000-000000000002';
export const CRM_APPROVERS = '22222222-0000-4000-8000-000000000003';
export const SALES_LEADS = '22222222-0000-4000-8000-000000000004';
export const MARKETING_TEAM = '22222222-0000-4000-8000-000000000005';

/** The CRM service principal and its app roles. */
export const CRM_SP = '33333333-0000-4000-8000-000000000001';
export const CRM_READER = '44444444-0000-4000-8000-000000000001';
export const CRM_EDITOR = '44444444-0000-4000-8000-000000000002';

/** An id no object in the tenant has. */
export const MISSING = '99999999-0000-4000-8000-000000000099';

/** A Graph emulator on a free port, seeded from directory.sample.json. */
export function startDemoGraphEmulator(options: Omit<GraphEmulatorOptions, 'seedFile' | 'seed'> = {}): Promise<GraphEmulator> {
  return startGraphEmulator({ seedFile: 'directory.sample.json', port: 0, ...options });
}
