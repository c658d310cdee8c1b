import { strict as assert } from 'node:assert';
import type { PackageEntry } from '../../src/catalog/types';
import { summarizeTransition } from '../../src/domain/audit';
import { ConflictError, ExpiredError, ForbiddenError } from '../../src/domain/errors';
import {
  assertCanReprocess,
  isReprocessable,
  isRequestManager,
  REPROCESS_WINDOW_DAYS,
  REPROCESSABLE_STATES,
  reprocess,
  reprocessDeadline,
} from '../../src/domain/reprocess';
import { REQUEST_STATES, type AccessRequest } from '../../src/domain/request';
import { DAY_IN_MS, REFRESH_STATUS } from '../../src/domain/transitions';
import { deepFreeze, domainError, rejects } from '../support/assertions';
import { aRequest, aResource } from '../support/builders';
import { demo, sampleCatalogWith } from '../support/fakes';

const COMPLETED_AT = '2026-03-02T09:00:00.000Z';
const completed = Date.parse(COMPLETED_AT);
const at = (ms: number): Date => new Date(completed + ms);
const ASSIGNMENT_MANAGER = demo.users.megan;

// crm-users: catalog owner Patti, package manager Diego; Megan made its assignment manager; Lee is the administrator.
const catalog = sampleCatalogWith([['catalogs', 0, 'accessPackages', 0, 'assignmentManagers'], [ASSIGNMENT_MANAGER]]);
const crm: PackageEntry = catalog.findPackage('crm-users')!;

function failedRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return aRequest({
    version: 6,
    state: 'partiallyDelivered',
    completedAt: COMPLETED_AT,
    updatedAt: COMPLETED_AT,
    accessEndsAt: '2027-03-02T09:00:00.000Z',
    resources: [
      aResource({ key: '00', status: 'delivered', attempts: 1, updatedAt: COMPLETED_AT }),
      aResource({
        key: '01',
        status: 'failed',
        attempts: 5,
        lastError: 'HTTP 403 Authorization_RequestDenied',
        resource: { type: 'appRole', servicePrincipalId: demo.servicePrincipals.crm, appRoleId: demo.appRoles.crmReader },
      }),
    ],
    ...overrides,
  });
}

describe('domain: reprocess', () => {
  describe('who may reprocess (CONTRACT §4)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['the catalog owner', demo.users.patti, true],
      ['a package manager', demo.users.diego, true],
      ['an assignment manager', ASSIGNMENT_MANAGER, true],
      ['an administrator', demo.users.lee, true],
      ['the requester', demo.users.adele, false],
      ['anyone else', demo.users.isaiah, false],
    ];
    for (const [who, id, allowed] of cases) {
      it(`${allowed ? 'allows' : 'refuses'} ${who}`, () => {
        assert.equal(isRequestManager(crm, catalog.administrators, id), allowed);
      });
    }

    it('compares object ids case-insensitively', () => {
      assert.equal(isRequestManager(crm, catalog.administrators, demo.users.diego.toUpperCase()), true);
    });

    it('a manager of another package of the catalog is not a manager of this one', () => {
      const finance = sampleCatalogWith().findPackage('finance-reports')!;
      assert.equal(isRequestManager(finance, [], demo.users.diego), false);
    });

    it('a non-manager is refused with 403 before anything about the request is told', async () => {
      await rejects(() => reprocess(failedRequest({ state: 'delivered' }), false, at(0)), domainError(ForbiddenError, 'error.notRequestManager'));
    });
  });

  describe('which requests', () => {
    for (const state of REQUEST_STATES) {
      const allowed = REPROCESSABLE_STATES.includes(state);
      it(`${allowed ? 'reprocesses' : 'refuses with 409'} a request that is ${state}`, async () => {
        const request = failedRequest({ state });
        if (allowed) assert.equal(reprocess(request, true, at(0)).next.state, 'delivering');
        else await rejects(() => reprocess(request, true, at(0)), domainError(ConflictError, 'error.notReprocessable', { state }));
      });
    }
  });

  describe('the 14-day window from completion', () => {
    const lastInstant = REPROCESS_WINDOW_DAYS * DAY_IN_MS;

    it('the deadline is 14 days after completedAt; none before completion', () => {
      assert.equal(reprocessDeadline(failedRequest())?.toISOString(), '2026-03-16T09:00:00.000Z');
      assert.equal(reprocessDeadline(failedRequest({ completedAt: undefined })), undefined);
    });

    it('allows it right after completion and at the last millisecond of day 14', () => {
      assert.doesNotThrow(() => assertCanReprocess(failedRequest(), true, at(0)));
      assert.doesNotThrow(() => assertCanReprocess(failedRequest(), true, at(lastInstant)));
      assert.equal(isReprocessable(failedRequest(), at(lastInstant)), true);
    });

    it('refuses one millisecond later with 412 telling the requester to cancel and submit again', async () => {
      await rejects(() => reprocess(failedRequest(), true, at(lastInstant + 1)), domainError(ExpiredError, 'error.reprocessWindowOver', { days: 14 }));
      assert.equal(isReprocessable(failedRequest(), at(lastInstant + 1)), false);
    });

    it('refuses a failed request without a completion time (412), and the cards offer no button', async () => {
      const request = failedRequest({ completedAt: undefined });
      await rejects(() => reprocess(request, true, at(0)), domainError(ExpiredError, 'error.reprocessWindowOver'));
      assert.equal(isReprocessable(request, at(0)), false);
    });

    it('a non-failed request is never reprocessable, whatever the time', () => {
      assert.equal(isReprocessable(failedRequest({ state: 'delivered' }), at(0)), false);
    });
  });

  describe('what it changes', () => {
    it('resets only the failed resources, with a fresh attempt budget; delivered ones are untouched', () => {
      const request = deepFreeze(failedRequest());
      const { next } = reprocess(request, true, at(DAY_IN_MS));
      assert.deepEqual(next.resources[0], request.resources[0]);
      assert.deepEqual(next.resources[1], {
        ...request.resources[1],
        status: 'pending',
        attempts: 0,
        lastError: undefined,
        updatedAt: at(DAY_IN_MS).toISOString(),
      });
    });

    it('resets every resource of a request whose delivery failed entirely', () => {
      const request = failedRequest({
        state: 'deliveryFailed',
        resources: [aResource({ key: '00', status: 'failed', attempts: 5, lastError: 'x' }), aResource({ key: '01', status: 'failed', attempts: 1, lastError: 'y' })],
      });
      const { next } = reprocess(request, true, at(0));
      assert.deepEqual(next.resources.map((r) => [r.status, r.attempts]), [['pending', 0], ['pending', 0]]);
    });

    it('is delivering again, one version later, with reprocessedAt; it keeps completedAt and the access end date', () => {
      const request = failedRequest();
      const now = at(3 * DAY_IN_MS);
      const { next } = reprocess(request, true, now);
      assert.equal(next.state, 'delivering');
      assert.equal(next.version, request.version + 1);
      assert.equal(next.updatedAt, now.toISOString());
      assert.equal(next.reprocessedAt, now.toISOString());
      assert.equal(next.completedAt, request.completedAt);
      assert.equal(next.accessEndsAt, request.accessEndsAt);
    });

    it('refreshes the status and alert cards, then delivers', () => {
      const { effects } = reprocess(failedRequest(), true, at(0));
      assert.deepEqual(effects, [REFRESH_STATUS, { kind: 'deliver' }]);
      assert.deepEqual(REFRESH_STATUS, { kind: 'refreshCards', cards: ['requestStatus', 'deliveryFailedAlert'] });
    });
  });

  describe('the audit summary of a transition', () => {
    it('names the states and what changed', () => {
      const request = failedRequest();
      const { next } = reprocess(request, true, at(0));
      const summary = summarizeTransition(request, next);
      assert.equal(summary.states, 'partiallyDelivered → delivering');
      assert.match(summary.detail, /delivery reprocessed/);
      assert.match(summary.detail, /resources: 1 delivered, 1 pending, 0 failed/);
    });

    it('a new request says who submitted it', () => {
      const request = failedRequest({ state: 'submitted' });
      assert.deepEqual(summarizeTransition(undefined, request), { states: '→ submitted', detail: 'request for CRM users submitted by Adele Vance' });
    });
  });
});
