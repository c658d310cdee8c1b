/**
 * Resources two access packages share (issue 12): removed only when no other access of the person grants them,
 * written to Graph only when no other access already does, and never granted while another access removes them.
 */
import { strict as assert } from 'node:assert';
import { keptBy, otherAccess, planGrant, resourceIdentity } from '../../src/domain/sharedResources';
import type { AccessRequest } from '../../src/domain/request';
import { buildRequest, buildResources } from '../support/requestFixtures';

const [GROUP, APP_ROLE] = buildResources('pending');

function other(state: AccessRequest['state'], status: 'pending' | 'delivered' | 'failed' | 'removed' | 'removalFailed', extra: Partial<AccessRequest> = {}): AccessRequest {
  return buildRequest({ id: `other-${state}-${status}`, packageName: 'Sales team', state, resources: [{ ...GROUP, status }], ...extra });
}

describe('shared resources', () => {
  const self = buildRequest({ id: 'self', state: 'delivering' });

  it('identifies a resource by the Graph object, whatever the package or the case of its ids', () => {
    const groupId = '0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01';
    assert.equal(resourceIdentity(GROUP.resource), resourceIdentity({ type: 'group', groupId: groupId.toUpperCase(), role: 'member' }));
    assert.notEqual(resourceIdentity(GROUP.resource), resourceIdentity({ type: 'group', groupId, role: 'owner' }));
  });

  it('a removal keeps what another access holds or is about to grant, and removes the rest', () => {
    for (const holder of [other('delivered', 'delivered'), other('partiallyDelivered', 'delivered'), other('approved', 'pending'), other('delivering', 'pending'), other('delivered', 'removalFailed', { removalStartedAt: '2026-03-05T00:00:00Z' })]) {
      const access = otherAccess(self, [holder]);
      assert.deepEqual(keptBy(GROUP, access), { requestId: holder.id, packageName: 'Sales team' }, `${holder.state}/${holder.resources[0].status}`);
      assert.equal(keptBy(APP_ROLE, access), undefined, 'a resource the other access lacks is removed');
    }
    for (const gone of [other('delivered', 'removed'), other('denied', 'pending'), other('partiallyDelivered', 'failed'), other('delivering', 'failed'), other('pendingApproval', 'pending')]) {
      assert.equal(keptBy(GROUP, otherAccess(self, [gone])), undefined, `${gone.state}/${gone.resources[0].status}`);
    }
  });

  it('ignores the request itself and extension requests', () => {
    const extension = other('delivered', 'delivered', { extensionOf: { requestId: 'x', currentEndsAt: '2026-09-30T00:00:00Z', newEndsAt: '2026-12-31T00:00:00Z' } });
    assert.equal(keptBy(GROUP, otherAccess(self, [{ ...self, state: 'delivered', resources: [{ ...GROUP, status: 'delivered' }] }, extension])), undefined);
  });

  it('a delivery writes, counts as delivered when another access has it, and waits while another access removes it', () => {
    assert.deepEqual(planGrant(GROUP, otherAccess(self, [])), { kind: 'write' });
    assert.equal(planGrant(GROUP, otherAccess(self, [other('delivered', 'delivered')])).kind, 'alreadyGranted');
    const removing = other('delivered', 'delivered', { removalStartedAt: '2026-03-05T00:00:00Z' });
    assert.equal(planGrant(GROUP, otherAccess(self, [removing])).kind, 'wait');
    assert.equal(planGrant(GROUP, otherAccess(self, [removing, other('delivered', 'delivered', { id: 'third' })])).kind, 'wait', 'a removal in flight wins over a holder');
  });

  it('a delivery writes what another delivery is only about to write: neither may count on the other', () => {
    for (const pending of [other('approved', 'pending'), other('delivering', 'pending')]) {
      assert.deepEqual(planGrant(GROUP, otherAccess(self, [pending])), { kind: 'write' }, pending.state);
    }
    assert.equal(planGrant(GROUP, otherAccess(self, [other('delivering', 'delivered')])).kind, 'alreadyGranted', 'delivered inside a delivery in progress is held');
    assert.equal(planGrant(GROUP, otherAccess(self, [other('accessExpired', 'removalFailed')])).kind, 'write', 'only a request that still holds access counts');
  });

  it('a delivery takes over, without a Graph write, a resource a removal kept for it (and only for it)', () => {
    const keptForSelf = other('accessExpired', 'removed', { resources: [{ ...GROUP, status: 'removed', keptBy: 'CRM users', keptFor: 'self' }] });
    assert.deepEqual(planGrant(GROUP, otherAccess(self, [keptForSelf])), { kind: 'alreadyGranted', by: { requestId: keptForSelf.id, packageName: 'Sales team' } });
    assert.equal(planGrant(APP_ROLE, otherAccess(self, [keptForSelf])).kind, 'write');
    const keptForAnother = other('accessExpired', 'removed', { resources: [{ ...GROUP, status: 'removed', keptBy: 'CRM users', keptFor: 'someone-else' }] });
    assert.equal(planGrant(GROUP, otherAccess(self, [keptForAnother])).kind, 'write');
    assert.equal(keptBy(GROUP, otherAccess(self, [keptForSelf])), undefined, 'a removal of this request does not keep it for itself');
  });
});
