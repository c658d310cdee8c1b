/**
 * Two access packages may grant the same group membership or app role (PRODUCT "Assignments"). A resource is
 * removed only when no other access of the person grants it, and granted through Graph only when no other access
 * already does. Pure rules over the person's other requests (one per package: their latest, see
 * oneRequestPerPackage.ts); app/sharedResources.ts reads those requests.
 *
 * Why this is safe with two instances: a removal decides at its revoke effect, after its request was marked
 * removing; a delivery decides at its deliver effect, after its request was approved. A removal keeps what an
 * approved or delivering request is about to grant, and names that request (`keptFor`); a delivery waits while
 * another request's removal of the same resource is under way, and takes over a resource a removal kept for it
 * without a Graph write (the person has it), so a Graph refusal afterwards cannot strand it. Whichever reads the
 * other first, the person ends up holding what their access grants.
 *
 * A delivery skips the Graph write only for what another access *holds*, never for what another delivery is about
 * to write: two deliveries of one resource both write it (Graph answers the second "already exists").
 */
import type { Resource } from '../catalog/types';
import type { AccessRequest, ResourceDelivery } from './request';

/** The Graph object a resource stands for: the same group and role, or the same app role of the same application. */
export function resourceIdentity(resource: Resource): string {
  return resource.type === 'group'
    ? `group|${resource.groupId.toLowerCase()}|${resource.role}`
    : `appRole|${resource.servicePrincipalId.toLowerCase()}|${resource.appRoleId.toLowerCase()}`;
}

/** Another request of the person that grants the resource (for the audit trail and the logs). */
export interface OtherGrant {
  requestId: string;
  packageName: string;
}

/** What the person's other requests do with each resource, by resourceIdentity. */
export interface OtherAccess {
  /** Held (delivered, not being removed) or about to be granted (approved, delivering): a removal keeps these. */
  grants: Map<string, OtherGrant>;
  /** Held by the person through another access, or kept for this request by another access's removal. */
  held: Map<string, OtherGrant>;
  /** Held, and being removed right now by that request's removal. */
  removing: Map<string, OtherGrant>;
}

const HOLDING = new Set(['delivered', 'partiallyDelivered']);
const ABOUT_TO_GRANT = new Set(['approved', 'delivering']);

/** What `others` (the person's other requests; extension requests and `self` are skipped) do with each resource. */
export function otherAccess(self: AccessRequest, others: readonly AccessRequest[]): OtherAccess {
  const access: OtherAccess = { grants: new Map(), held: new Map(), removing: new Map() };
  const grantsAndHolds = (identity: string, by: OtherGrant) => {
    access.grants.set(identity, by);
    access.held.set(identity, by);
  };
  for (const other of others) {
    if (other.id === self.id || other.extensionOf) continue;
    const by: OtherGrant = { requestId: other.id, packageName: other.packageName };
    for (const delivery of other.resources) {
      const identity = resourceIdentity(delivery.resource);
      if (delivery.status === 'removed' && delivery.keptFor === self.id) access.held.set(identity, by);
      if (ABOUT_TO_GRANT.has(other.state)) {
        if (delivery.status === 'delivered') grantsAndHolds(identity, by);
        if (delivery.status === 'pending') access.grants.set(identity, by);
      }
      if (!HOLDING.has(other.state)) continue;
      // A removal that failed leaves the resource with the person: it still counts as granted.
      if (delivery.status === 'removalFailed') grantsAndHolds(identity, by);
      if (delivery.status !== 'delivered') continue;
      if (other.removalStartedAt) access.removing.set(identity, by);
      else grantsAndHolds(identity, by);
    }
  }
  return access;
}

/** What a delivery does with one resource: write it to Graph, count it delivered (another access has it), or wait. */
export type GrantPlan = { kind: 'write' } | { kind: 'alreadyGranted'; by: OtherGrant } | { kind: 'wait'; by: OtherGrant };

export function planGrant(delivery: ResourceDelivery, access: OtherAccess): GrantPlan {
  const identity = resourceIdentity(delivery.resource);
  const removing = access.removing.get(identity);
  if (removing) return { kind: 'wait', by: removing };
  const held = access.held.get(identity);
  return held ? { kind: 'alreadyGranted', by: held } : { kind: 'write' };
}

/** The other access that still grants a resource this removal would take away, if any: then it is kept. */
export function keptBy(delivery: ResourceDelivery, access: OtherAccess): OtherGrant | undefined {
  return access.grants.get(resourceIdentity(delivery.resource));
}
