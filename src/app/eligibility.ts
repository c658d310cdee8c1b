/** Which packages a person may request: the first policy of each package whose requestor scope includes them. */
import type { CatalogIndex } from '../catalog/loader';
import type { PackageEntry, Policy } from '../catalog/types';
import { groupsNamedBy, isInScope, type RequesterFacts } from '../domain/policy';
import type { Directory, DirectoryUser } from './ports';

export interface RequestableOption {
  entry: PackageEntry;
  policy: Policy;
}

/** Graph's checkMemberGroups accepts at most 20 group ids per call. */
const CHECK_MEMBER_GROUPS_LIMIT = 20;

async function requesterFacts(directory: Directory, user: DirectoryUser, policies: Policy[]): Promise<RequesterFacts> {
  const groupIds = [...new Set(policies.flatMap((p) => groupsNamedBy(p.requestors.scope)))];
  const memberOf: string[] = [];
  for (let i = 0; i < groupIds.length; i += CHECK_MEMBER_GROUPS_LIMIT) {
    memberOf.push(...(await directory.checkMemberGroups(user.id, groupIds.slice(i, i + CHECK_MEMBER_GROUPS_LIMIT))));
  }
  return { id: user.id, userType: user.userType, accountEnabled: user.accountEnabled, memberOfGroupIds: memberOf };
}

function firstPolicyInScope(entry: PackageEntry, facts: RequesterFacts): Policy | undefined {
  return entry.accessPackage.policies.find((p) => isInScope(p.requestors.scope, facts));
}

export async function requestableOptions(catalog: CatalogIndex, directory: Directory, user: DirectoryUser): Promise<RequestableOption[]> {
  const entries = catalog.allPackages();
  const facts = await requesterFacts(directory, user, entries.flatMap((e) => e.accessPackage.policies));
  return entries.flatMap((entry) => {
    const policy = firstPolicyInScope(entry, facts);
    return policy ? [{ entry, policy }] : [];
  });
}

export async function policyFor(directory: Directory, user: DirectoryUser, entry: PackageEntry): Promise<Policy | undefined> {
  const facts = await requesterFacts(directory, user, entry.accessPackage.policies);
  return firstPolicyInScope(entry, facts);
}

/** Whether the user is (still) in this policy's requestor scope: an extension needs it (PRODUCT.md). */
export async function isInPolicyScope(directory: Directory, user: DirectoryUser, policy: Policy): Promise<boolean> {
  const facts = await requesterFacts(directory, user, [policy]);
  return isInScope(policy.requestors.scope, facts);
}
