import { badRequest } from './errors';
import type { EmulatorRequest } from './router';
import type { AppRoleAssignment, DirectoryObject, DirectoryStore, GroupState, SeedServicePrincipal, SeedUser } from './store';

type Json = Record<string, unknown>;

/** What Graph returns for a user without `$select` (department, companyName etc. need `$select`). */
const DEFAULT_USER_FIELDS = ['id', 'displayName', 'userPrincipalName', 'mail', 'jobTitle'];

function selectedFields(request: EmulatorRequest): string[] | undefined {
  const select = request.query.get('$select');
  return select ? select.split(',').map((f) => f.trim()).filter(Boolean) : undefined;
}

function pick(full: Json, fields: string[]): Json {
  const out: Json = {};
  for (const field of fields) out[field] = full[field] ?? null;
  return out;
}

export function userJson(user: SeedUser, request: EmulatorRequest): Json {
  const full: Json = {
    id: user.id,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName ?? null,
    mail: user.mail ?? null,
    department: user.department ?? null,
    jobTitle: user.jobTitle ?? null,
    companyName: user.companyName ?? null,
    userType: user.userType,
    accountEnabled: user.accountEnabled,
  };
  return pick(full, selectedFields(request) ?? DEFAULT_USER_FIELDS);
}

export function groupJson(group: GroupState, request: EmulatorRequest): Json {
  const full: Json = {
    id: group.id,
    displayName: group.displayName,
    description: group.description ?? null,
    securityEnabled: true,
    mailEnabled: false,
    groupTypes: [],
  };
  return pick(full, selectedFields(request) ?? Object.keys(full));
}

export function directoryObjectJson(object: DirectoryObject, request: EmulatorRequest): Json {
  return object.kind === 'user'
    ? { '@odata.type': '#microsoft.graph.user', ...userJson(object.user, request) }
    : { '@odata.type': '#microsoft.graph.group', ...groupJson(object.group, request) };
}

export function servicePrincipalJson(sp: SeedServicePrincipal): Json {
  return {
    id: sp.id,
    appId: sp.appId,
    displayName: sp.displayName,
    servicePrincipalType: 'Application',
    appRoles: sp.appRoles.map((r) => ({
      id: r.id,
      value: r.value,
      displayName: r.displayName,
      description: r.description ?? r.displayName,
      allowedMemberTypes: r.allowedMemberTypes ?? ['User'],
      isEnabled: true,
      origin: 'Application',
    })),
  };
}

export function assignmentJson(assignment: AppRoleAssignment, store: DirectoryStore): Json {
  const principal = store.findObject(assignment.principalId);
  return {
    id: assignment.id,
    deletedDateTime: null,
    appRoleId: assignment.appRoleId,
    createdDateTime: assignment.createdDateTime,
    principalDisplayName: store.displayNameOf(assignment.principalId),
    principalId: assignment.principalId,
    principalType: principal?.kind === 'group' ? 'Group' : 'User',
    resourceDisplayName: store.getServicePrincipal(assignment.resourceId).displayName,
    resourceId: assignment.resourceId,
  };
}

export interface PagingOptions {
  /** The emulator's cap on one page, whatever `$top` asks (real Graph may also return fewer). */
  maxPageSize: number;
}

/** One page of a collection, `$top` and `$skiptoken` (an offset here) honoured, with `@odata.nextLink`. */
export function page(items: Json[], request: EmulatorRequest, paging: PagingOptions): Json {
  const topText = request.query.get('$top');
  const top = topText === null ? 100 : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > 999) {
    throw badRequest(`Invalid page size specified: '${topText}'. Must be between 1 and 999 inclusive.`);
  }
  const skipText = request.query.get('$skiptoken') ?? '0';
  const skip = Number(skipText);
  if (!Number.isInteger(skip) || skip < 0) throw badRequest(`Invalid $skiptoken '${skipText}'.`);
  const size = Math.min(top, paging.maxPageSize);
  const out: Json = { '@odata.context': `${request.baseUrl}/$metadata#directoryObjects`, value: items.slice(skip, skip + size) };
  if (skip + size < items.length) {
    const query = new URLSearchParams(request.query);
    query.set('$skiptoken', String(skip + size));
    const text = [...query].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    out['@odata.nextLink'] = `${request.baseUrl}${request.path}?${text}`;
  }
  return out;
}
