/**
 * Which Microsoft Graph application permissions this deployment needs, from its configuration and catalog: the
 * doctor compares them with what the bot's identity was granted. The calls behind each are in src/graph/permissions.ts.
 */
import type { ApproverRef, CatalogFile } from '../catalog/types';
import { GRAPH_PERMISSIONS, type GraphPermission } from '../graph/permissions';

export interface PermissionNeed {
  permission: GraphPermission;
  /** What the bot does with it here, as a predicate: "reads requesters, their managers and approvers". */
  use: string;
}

/** The directory objects of the catalog, by what the bot does with them. */
export interface CatalogGraphUse {
  memberGroups: string[];
  ownerGroups: string[];
  approverGroups: string[];
  requestorGroups: string[];
  servicePrincipals: string[];
}

const distinct = (ids: string[]) => [...new Set(ids.map((id) => id.toLowerCase()))];

export function catalogGraphUse(file: CatalogFile): CatalogGraphUse {
  const use: CatalogGraphUse = { memberGroups: [], ownerGroups: [], approverGroups: [], requestorGroups: [], servicePrincipals: [] };
  const approvers = (list: readonly ApproverRef[] | undefined) => {
    for (const approver of list ?? []) if ('group' in approver) use.approverGroups.push(approver.group);
  };
  for (const pkg of file.catalogs.flatMap((c) => c.accessPackages)) {
    for (const resource of pkg.resources) {
      if (resource.type === 'appRole') use.servicePrincipals.push(resource.servicePrincipalId);
      else (resource.role === 'owner' ? use.ownerGroups : use.memberGroups).push(resource.groupId);
    }
    for (const policy of pkg.policies) {
      const scope = policy.requestors.scope;
      if (typeof scope === 'object' && 'groups' in scope) use.requestorGroups.push(...scope.groups);
      for (const stage of policy.approval.stages) {
        approvers(stage.approvers);
        approvers(stage.fallbackApprovers);
        approvers(stage.escalation?.approvers);
      }
    }
  }
  return {
    memberGroups: distinct(use.memberGroups),
    ownerGroups: distinct(use.ownerGroups),
    approverGroups: distinct(use.approverGroups),
    requestorGroups: distinct(use.requestorGroups),
    servicePrincipals: distinct(use.servicePrincipals),
  };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * The permissions the deployment needs, in GRAPH_PERMISSIONS order: User.Read.All always; GroupMember.ReadWrite.All
 * when a catalog group is granted as member, Group.ReadWrite.All when as owner; GroupMember.Read.All when groups are
 * named as approvers or requestors but none is granted (a granted group's permission reads them too);
 * Application.Read.All and AppRoleAssignment.ReadWrite.All when there are appRole resources; the install permission
 * when TEAMS_APP_ID is set. `use` undefined: the catalog could not be loaded (only the first and last are known).
 */
export function permissionNeeds(use: CatalogGraphUse | undefined, teamsAppId: string | undefined): PermissionNeed[] {
  const needs: PermissionNeed[] = [{ permission: GRAPH_PERMISSIONS.readUsers, use: 'reads requesters, their managers and approvers' }];
  if (use?.memberGroups.length) {
    needs.push({ permission: GRAPH_PERMISSIONS.groupMembers, use: `adds and removes members of ${count(use.memberGroups.length, 'group')} (resources with role "member")` });
  }
  if (use?.ownerGroups.length) {
    needs.push({ permission: GRAPH_PERMISSIONS.groupOwners, use: `adds and removes owners of ${count(use.ownerGroups.length, 'group')} (resources with role "owner")` });
  }
  if (use && !use.memberGroups.length && !use.ownerGroups.length && (use.approverGroups.length || use.requestorGroups.length)) {
    const reads = [
      use.approverGroups.length ? `reads the members of ${count(use.approverGroups.length, 'approver group')}` : undefined,
      use.requestorGroups.length ? `checks who is in ${count(use.requestorGroups.length, 'requestor group')}` : undefined,
    ];
    needs.push({ permission: GRAPH_PERMISSIONS.readGroupMembers, use: reads.filter(Boolean).join(' and ') });
  }
  if (use?.servicePrincipals.length) {
    const sps = count(use.servicePrincipals.length, 'service principal');
    needs.push({ permission: GRAPH_PERMISSIONS.readApplications, use: `reads the app roles of ${sps}` });
    needs.push({ permission: GRAPH_PERMISSIONS.appRoleAssignments, use: `assigns and removes app roles of ${sps}` });
  }
  if (teamsAppId) {
    needs.push({
      permission: GRAPH_PERMISSIONS.installSelf,
      use: `installs its Teams app (TEAMS_APP_ID ${teamsAppId}) for people it has never talked to and reads its chat with them`,
    });
  }
  return needs;
}

/** Why a bot permission is not needed here (for a permission granted beyond need). */
export function notNeededBecause(permission: GraphPermission): string {
  switch (permission) {
    case GRAPH_PERMISSIONS.groupMembers:
      return 'no catalog group is granted with role "member"';
    case GRAPH_PERMISSIONS.groupOwners:
      return 'no catalog group is granted with role "owner"';
    case GRAPH_PERMISSIONS.readGroupMembers:
      return 'the catalog names no approver or requestor group, or grants a group, whose permission reads them';
    case GRAPH_PERMISSIONS.readApplications:
    case GRAPH_PERMISSIONS.appRoleAssignments:
      return 'the catalog has no appRole resource';
    case GRAPH_PERMISSIONS.installSelf:
      return 'TEAMS_APP_ID is empty, so the bot installs no app';
    case GRAPH_PERMISSIONS.readUsers:
      return 'it is always needed';
  }
}
