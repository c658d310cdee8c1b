/**
 * Every directory object the catalog file names, with the JSON path it is named at
 * (`$.catalogs[0].accessPackages[1].resources[0].groupId`), so a missing one can be pointed at.
 */
import type { ApproverRef, CatalogFile } from '../catalog/types';

export interface Reference {
  /** The object id (lower-cased by the catalog schema). */
  id: string;
  path: string;
}

export interface AppRoleReference extends Reference {
  servicePrincipalId: string;
}

export interface CatalogReferences {
  users: Reference[];
  groups: Reference[];
  servicePrincipals: Reference[];
  appRoles: AppRoleReference[];
}

export function collectReferences(file: CatalogFile): CatalogReferences {
  const refs: CatalogReferences = { users: [], groups: [], servicePrincipals: [], appRoles: [] };
  const approvers = (list: readonly ApproverRef[], at: string) =>
    list.forEach((approver, a) => {
      if ('user' in approver) refs.users.push({ id: approver.user, path: `${at}[${a}].user` });
      if ('group' in approver) refs.groups.push({ id: approver.group, path: `${at}[${a}].group` });
    });
  file.administrators.forEach((id, i) => refs.users.push({ id, path: `$.administrators[${i}]` }));
  file.catalogs.forEach((catalog, c) => {
    const cat = `$.catalogs[${c}]`;
    catalog.owners.forEach((id, i) => refs.users.push({ id, path: `${cat}.owners[${i}]` }));
    catalog.accessPackages.forEach((pkg, p) => {
      const at = `${cat}.accessPackages[${p}]`;
      pkg.managers.forEach((id, i) => refs.users.push({ id, path: `${at}.managers[${i}]` }));
      pkg.assignmentManagers.forEach((id, i) => refs.users.push({ id, path: `${at}.assignmentManagers[${i}]` }));
      pkg.resources.forEach((resource, r) => {
        const res = `${at}.resources[${r}]`;
        if (resource.type === 'group') {
          refs.groups.push({ id: resource.groupId, path: `${res}.groupId` });
        } else {
          refs.servicePrincipals.push({ id: resource.servicePrincipalId, path: `${res}.servicePrincipalId` });
          refs.appRoles.push({ id: resource.appRoleId, path: `${res}.appRoleId`, servicePrincipalId: resource.servicePrincipalId });
        }
      });
      pkg.policies.forEach((policy, q) => {
        const pol = `${at}.policies[${q}]`;
        const scope = policy.requestors.scope;
        if (typeof scope === 'object' && 'users' in scope) {
          scope.users.forEach((id, i) => refs.users.push({ id, path: `${pol}.requestors.scope.users[${i}]` }));
        }
        if (typeof scope === 'object' && 'groups' in scope) {
          scope.groups.forEach((id, i) => refs.groups.push({ id, path: `${pol}.requestors.scope.groups[${i}]` }));
        }
        policy.approval.stages.forEach((stage, s) => {
          const st = `${pol}.approval.stages[${s}]`;
          approvers(stage.approvers, `${st}.approvers`);
          approvers(stage.fallbackApprovers, `${st}.fallbackApprovers`);
          if (stage.escalation) approvers(stage.escalation.approvers, `${st}.escalation.approvers`);
        });
      });
    });
  });
  return refs;
}

/** The distinct ids of the references, in first-seen order. */
export function distinctIds(refs: readonly Reference[]): string[] {
  return [...new Set(refs.map((r) => r.id))];
}
