import { strict as assert } from 'node:assert';
import type { Expiration, Policy, RequestorScope } from '../../src/catalog/types';
import { ValidationError } from '../../src/domain/errors';
import {
  MAX_JUSTIFICATION_LENGTH,
  groupsNamedBy,
  isInScope,
  latestEndDate,
  validateRequestForm,
  type RequesterFacts,
  type RequestFormInput,
} from '../../src/domain/policy';
import { demo, sampleCatalog } from '../support/fakes';

const catalog = sampleCatalog();
function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`test setup: no ${what}`);
  return value;
}
/** Justification required, dates allowed, expires after 365 days. */
const crmPolicy: Policy = must(catalog.findPolicy('crm-users', 'employees'), 'employees policy');
/** No justification required, no dates. */
const salesPolicy: Policy = must(catalog.findPolicy('sales-team', 'members-no-approval'), 'no-approval policy');

const TODAY = '2026-03-02';
const withExpiration = (expiration: Expiration): Policy => ({ ...crmPolicy, expiration });

const member: RequesterFacts = { id: demo.users.adele, userType: 'Member', accountEnabled: true, memberOfGroupIds: [] };
const guest: RequesterFacts = { id: demo.users.grady, userType: 'Guest', accountEnabled: true, memberOfGroupIds: [] };
const disabled = (facts: RequesterFacts): RequesterFacts => ({ ...facts, accountEnabled: false });

function validation(messageKey: string, params?: Record<string, unknown>) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    assert.equal(err.messageKey, messageKey);
    if (params) assert.deepEqual(err.params, params);
    return true;
  };
}

async function refuses(policy: Policy, input: RequestFormInput, messageKey: string, params?: Record<string, unknown>): Promise<void> {
  await assert.rejects(async () => validateRequestForm(policy, input, TODAY), validation(messageKey, params));
}

describe('domain/policy', () => {
  describe('isInScope', () => {
    it('allMembers: members yes, guests no, disabled accounts no', () => {
      assert.equal(isInScope('allMembers', member), true);
      assert.equal(isInScope('allMembers', guest), false);
      assert.equal(isInScope('allMembers', disabled(member)), false);
    });

    it('allUsers: members and guests, but not disabled accounts', () => {
      assert.equal(isInScope('allUsers', member), true);
      assert.equal(isInScope('allUsers', guest), true);
      assert.equal(isInScope('allUsers', disabled(guest)), false);
    });

    it('users: only the listed ids, and only while enabled', () => {
      const scope: RequestorScope = { users: [demo.users.adele, demo.users.grady] };
      assert.equal(isInScope(scope, member), true);
      assert.equal(isInScope(scope, guest), true, 'a listed guest is in scope');
      assert.equal(isInScope(scope, { ...member, id: demo.users.megan }), false);
      assert.equal(isInScope(scope, disabled(member)), false);
    });

    it('groups: members of any named group, guests included, disabled accounts not', () => {
      const scope: RequestorScope = { groups: [demo.groups.salesTeam, demo.groups.marketingTeam] };
      assert.equal(isInScope(scope, { ...member, memberOfGroupIds: [demo.groups.marketingTeam] }), true);
      assert.equal(isInScope(scope, { ...guest, memberOfGroupIds: [demo.groups.salesTeam] }), true);
      assert.equal(isInScope(scope, { ...member, memberOfGroupIds: [demo.groups.crmUsers] }), false);
      assert.equal(isInScope(scope, member), false);
      assert.equal(isInScope(scope, disabled({ ...member, memberOfGroupIds: [demo.groups.salesTeam] })), false);
    });

    it('groupsNamedBy lists the groups a scope needs membership facts for', () => {
      assert.deepEqual(groupsNamedBy({ groups: [demo.groups.salesTeam] }), [demo.groups.salesTeam]);
      assert.deepEqual(groupsNamedBy({ users: [demo.users.adele] }), []);
      assert.deepEqual(groupsNamedBy('allMembers'), []);
      assert.deepEqual(groupsNamedBy('allUsers'), []);
    });
  });

  describe('validateRequestForm', () => {
    it('refuses a date with anything after it that is not a time', async () => {
      for (const startDate of ['2026-03-05garbage', '2026-03-05 ', '2026-03-05T', '2026-3-5']) {
        await refuses(crmPolicy, { justification: 'j', startDate: `${startDate}x` }, 'error.invalidDate', { field: 'startDate' });
      }
    });

    it('refuses a start date after a fixed end date, even without an end date', async () => {
      await refuses(withExpiration({ onDate: '2026-06-30' }), { justification: 'j', startDate: '2026-07-15' }, 'error.endAfterPolicyLimit', { date: '2026-06-30' });
    });

    it('requires the justification when the policy does (missing, empty, blank)', async () => {
      for (const justification of [undefined, '', '  \t\n ']) {
        await refuses(crmPolicy, { justification }, 'error.justificationRequired');
      }
    });

    it('trims the justification and drops a blank optional one', () => {
      assert.deepEqual(validateRequestForm(crmPolicy, { justification: '  Pipeline review \n' }, TODAY), {
        justification: 'Pipeline review',
        startDate: undefined,
        endDate: undefined,
      });
      assert.equal(validateRequestForm(salesPolicy, { justification: '   ' }, TODAY).justification, undefined);
    });

    it(`refuses a justification over ${MAX_JUSTIFICATION_LENGTH} characters (after trimming)`, async () => {
      await refuses(salesPolicy, { justification: 'x'.repeat(MAX_JUSTIFICATION_LENGTH + 1) }, 'error.justificationTooLong', { max: MAX_JUSTIFICATION_LENGTH });
      const atLimit = validateRequestForm(crmPolicy, { justification: `  ${'x'.repeat(MAX_JUSTIFICATION_LENGTH)}  ` }, TODAY);
      assert.equal(atLimit.justification?.length, MAX_JUSTIFICATION_LENGTH);
    });

    it('refuses dates when the policy does not let the requester choose them, and ignores blank ones', async () => {
      await refuses(salesPolicy, { startDate: '2026-03-05' }, 'error.datesNotAllowed');
      await refuses(salesPolicy, { endDate: '2026-03-05' }, 'error.datesNotAllowed');
      assert.deepEqual(validateRequestForm(salesPolicy, { startDate: '', endDate: '  ' }, TODAY), {
        justification: undefined,
        startDate: undefined,
        endDate: undefined,
      });
    });

    it('refuses dates that do not exist or are not YYYY-MM-DD, naming the field', async () => {
      await refuses(crmPolicy, { justification: 'j', startDate: '2026-02-30' }, 'error.invalidDate', { field: 'startDate' });
      await refuses(crmPolicy, { justification: 'j', endDate: '2026-02-29' }, 'error.invalidDate', { field: 'endDate' });
      await refuses(crmPolicy, { justification: 'j', endDate: '2026-13-01' }, 'error.invalidDate', { field: 'endDate' });
      await refuses(crmPolicy, { justification: 'j', startDate: '2026-3-5' }, 'error.invalidDate', { field: 'startDate' });
      await refuses(crmPolicy, { justification: 'j', startDate: 'next monday' }, 'error.invalidDate', { field: 'startDate' });
      const leapDay = validateRequestForm(withExpiration({ never: true }), { justification: 'j', endDate: '2028-02-29' }, TODAY);
      assert.equal(leapDay.endDate, '2028-02-29');
    });

    it('accepts an ISO timestamp and keeps its date part', () => {
      const fields = validateRequestForm(
        crmPolicy,
        { justification: 'j', startDate: '2026-03-05T00:00:00.000Z', endDate: '2026-04-01T10:00:00+09:00' },
        TODAY,
      );
      assert.equal(fields.startDate, '2026-03-05');
      assert.equal(fields.endDate, '2026-04-01');
    });

    it('refuses a start or an end before today; today itself is fine', async () => {
      await refuses(crmPolicy, { justification: 'j', startDate: '2026-03-01' }, 'error.startInPast');
      await refuses(crmPolicy, { justification: 'j', endDate: '2026-03-01' }, 'error.endInPast');
      assert.deepEqual(validateRequestForm(crmPolicy, { justification: 'j', startDate: TODAY, endDate: TODAY }, TODAY), {
        justification: 'j',
        startDate: TODAY,
        endDate: TODAY,
      });
    });

    it('refuses an end before the start', async () => {
      await refuses(crmPolicy, { justification: 'j', startDate: '2026-03-10', endDate: '2026-03-09' }, 'error.endBeforeStart');
    });

    it('afterDays: the end may be at most that many days after the start (or today)', async () => {
      await refuses(crmPolicy, { justification: 'j', startDate: '2026-03-10', endDate: '2027-03-11' }, 'error.endAfterPolicyLimit', { date: '2027-03-10' });
      assert.equal(validateRequestForm(crmPolicy, { justification: 'j', startDate: '2026-03-10', endDate: '2027-03-10' }, TODAY).endDate, '2027-03-10');
      await refuses(crmPolicy, { justification: 'j', endDate: '2027-03-03' }, 'error.endAfterPolicyLimit', { date: '2027-03-02' });
    });

    it('afterHours: counted from the start of the start day', async () => {
      const policy = withExpiration({ afterHours: 48 });
      await refuses(policy, { justification: 'j', endDate: '2026-03-05' }, 'error.endAfterPolicyLimit', { date: '2026-03-04' });
      assert.equal(validateRequestForm(policy, { justification: 'j', endDate: '2026-03-04' }, TODAY).endDate, '2026-03-04');
      await refuses(withExpiration({ afterHours: 12 }), { justification: 'j', endDate: '2026-03-03' }, 'error.endAfterPolicyLimit', { date: TODAY });
    });

    it('onDate: the end may not pass the fixed date', async () => {
      const policy = withExpiration({ onDate: '2026-06-30' });
      await refuses(policy, { justification: 'j', endDate: '2026-07-01' }, 'error.endAfterPolicyLimit', { date: '2026-06-30' });
      assert.equal(validateRequestForm(policy, { justification: 'j', endDate: '2026-06-30' }, TODAY).endDate, '2026-06-30');
    });

    it('never: no limit on the end', () => {
      const fields = validateRequestForm(withExpiration({ never: true }), { justification: 'j', startDate: '2026-03-03', endDate: '2099-12-31' }, TODAY);
      assert.equal(fields.endDate, '2099-12-31');
    });
  });

  describe('latestEndDate', () => {
    it('afterDays counts calendar days from the start (leap years included)', () => {
      assert.equal(latestEndDate({ afterDays: 365 }, '2026-03-02'), '2027-03-02');
      assert.equal(latestEndDate({ afterDays: 365 }, '2028-01-01'), '2028-12-31');
      assert.equal(latestEndDate({ afterDays: 0 }, '2026-03-02'), '2026-03-02');
      assert.equal(latestEndDate({ afterDays: 1 }, '2026-12-31'), '2027-01-01');
    });

    it('afterHours rounds down to the day the hours end in', () => {
      assert.equal(latestEndDate({ afterHours: 23 }, '2026-03-02'), '2026-03-02');
      assert.equal(latestEndDate({ afterHours: 24 }, '2026-03-02'), '2026-03-03');
      assert.equal(latestEndDate({ afterHours: 49 }, '2026-02-27'), '2026-03-01');
    });

    it('onDate is the date whatever the start; never has no limit', () => {
      assert.equal(latestEndDate({ onDate: '2026-06-30' }, '2026-03-02'), '2026-06-30');
      assert.equal(latestEndDate({ onDate: '2026-06-30' }, '2030-01-01'), '2026-06-30');
      assert.equal(latestEndDate({ never: true }, '2026-03-02'), undefined);
    });
  });
});
