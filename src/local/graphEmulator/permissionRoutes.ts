/**
 * The emulator's application-permission model: who calls (one app, the bot's Graph identity, with a fixed client id),
 * Microsoft Graph's service principal whose app roles are the permissions, and which of them are granted to the caller
 * (by default every permission the bot asks for: local mode grants all). `GraphEmulatorCore` asks `authorize` before
 * each handler (permissionTable.ts says what each route needs); tests and operators withdraw and grant permissions
 * in-process or over `/_emulator/permissions` (below). The routes here read the grants as Graph shows them:
 * `GET /servicePrincipals(appId='…')` (the alternate key, serviceprincipal-get) and
 * `GET /servicePrincipals/{id}/appRoleAssignments` (serviceprincipal-list-approleassignments).
 */
import { createHash } from 'node:crypto';
import { ALL_GRAPH_PERMISSIONS, MICROSOFT_GRAPH_APP_ID } from '../../graph/permissions';
import { badRequest, GraphHttpError, resourceNotFound } from './errors';
import { allows, GRAPH_APP_ROLES, ruleFor } from './permissionTable';
import { page, type PagingOptions } from './representations';
import type { EmulatorResponse, Route, RouteParams } from './router';
import type { GraphSeed } from './seed';
import type { DirectoryStore, SeedServicePrincipal } from './store';

/** The client (application) id of the app the emulator takes every caller for: use it as the local AZURE_CLIENT_ID. */
export const LOCAL_GRAPH_CLIENT_ID = 'b0700000-0000-4000-8000-000000000001';
/** Object ids of the caller's service principal and of Microsoft Graph's in the emulated tenant. */
export const LOCAL_GRAPH_CLIENT_OBJECT_ID = 'b0700000-0000-4000-8000-000000000002';
export const GRAPH_SERVICE_PRINCIPAL_OBJECT_ID = 'b0700000-0000-4000-8000-000000000003';

const key = (id: string) => id.toLowerCase();

/** `servicePrincipals(appId='…')`, the alternate key Graph documents for a service principal. */
const BY_APP_ID = /^servicePrincipals\(appId='([^']*)'\)$/i;

/** Graph's answer to a call no granted permission allows. */
export function insufficientPrivileges(): GraphHttpError {
  return new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

export class AppPermissions {
  private readonly granted: Set<string>;
  /** Lower-cased app id → object id, for every service principal of the tenant. */
  private readonly objectIdByAppId = new Map<string, string>();
  private readonly caller: SeedServicePrincipal = {
    id: LOCAL_GRAPH_CLIENT_OBJECT_ID,
    appId: LOCAL_GRAPH_CLIENT_ID,
    displayName: 'Access Requests (local Graph identity)',
    appRoles: [],
  };
  private readonly graph: SeedServicePrincipal = {
    id: GRAPH_SERVICE_PRINCIPAL_OBJECT_ID,
    appId: MICROSOFT_GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    appRoles: GRAPH_APP_ROLES.map((r) => ({
      id: r.id,
      value: r.value,
      displayName: r.displayName ?? r.value,
      allowedMemberTypes: ['Application' as const],
    })),
  };

  constructor(granted: readonly string[] = ALL_GRAPH_PERMISSIONS) {
    this.granted = new Set();
    for (const permission of granted) this.grant(permission);
  }

  /** The seed with the caller's and Microsoft Graph's service principals added, so Graph's routes find them. */
  withPrincipals(seed: GraphSeed): GraphSeed {
    for (const sp of seed.servicePrincipals) {
      if ([this.caller.appId, this.graph.appId].includes(key(sp.appId)) || [this.caller.id, this.graph.id].includes(key(sp.id))) {
        throw new Error(`seed: service principal ${sp.id} (appId ${sp.appId}) is one the Graph emulator adds itself (the caller app or Microsoft Graph)`);
      }
    }
    const servicePrincipals = [...seed.servicePrincipals, this.caller, this.graph];
    for (const sp of servicePrincipals) this.objectIdByAppId.set(key(sp.appId), sp.id);
    return { ...seed, servicePrincipals };
  }

  /** Every permission the emulator knows (Microsoft Graph's app roles), and whether it is granted. */
  list(): { permission: string; appRoleId: string; granted: boolean }[] {
    return this.graph.appRoles.map((r) => ({ permission: r.value, appRoleId: r.id, granted: this.granted.has(r.value) }));
  }

  grantedPermissions(): string[] {
    return this.list().filter((p) => p.granted).map((p) => p.permission);
  }

  grant(permission: string): void {
    this.granted.add(this.known(permission));
  }

  withdraw(permission: string): void {
    this.granted.delete(this.known(permission));
  }

  /** A 403 unless a granted permission allows this route (see permissionTable.ts). */
  authorize(method: string, pattern: string, params: RouteParams): void {
    const rule = ruleFor(method, pattern);
    if (!rule) return;
    if (rule.selfParam !== undefined && key(params[rule.selfParam] ?? '') === key(this.caller.id)) return;
    if (!allows(rule, this.granted)) throw insufficientPrivileges();
  }

  /** `/servicePrincipals(appId='X')/…` → `/servicePrincipals/{object id}/…` (404 for an app id the tenant lacks). */
  resolvePath(path: string): string {
    const segments = path.split('/');
    const at = segments.findIndex((s) => BY_APP_ID.test(safeDecode(s)));
    if (at < 0) return path;
    const appId = (BY_APP_ID.exec(safeDecode(segments[at])) as RegExpExecArray)[1];
    const id = this.objectIdByAppId.get(key(appId));
    if (!id) throw resourceNotFound(appId);
    return [...segments.slice(0, at), 'servicePrincipals', id, ...segments.slice(at + 1)].join('/');
  }

  /** The caller's app role assignments on Microsoft Graph, as `GET /servicePrincipals/{id}/appRoleAssignments` shows them. */
  assignmentsOf(servicePrincipalId: string, createdDateTime: string): Record<string, unknown>[] {
    if (key(servicePrincipalId) !== key(this.caller.id)) return [];
    return this.graph.appRoles
      .filter((r) => this.granted.has(r.value))
      .map((r) => ({
        // Graph's assignment ids are 43 base64url characters; these are stable per permission.
        id: createHash('sha256').update(`${this.caller.id}/${r.id}`).digest('base64url').slice(0, 43),
        deletedDateTime: null,
        appRoleId: r.id,
        createdDateTime,
        principalDisplayName: this.caller.displayName,
        principalId: this.caller.id,
        principalType: 'ServicePrincipal',
        resourceDisplayName: this.graph.displayName,
        resourceId: this.graph.id,
      }));
  }

  private known(permission: string): string {
    const role = this.graph.appRoles.find((r) => key(r.value) === key(permission));
    if (!role) throw new UnknownPermissionError(permission, this.graph.appRoles.map((r) => r.value));
    return role.value;
  }
}

export class UnknownPermissionError extends Error {
  constructor(permission: string, known: string[]) {
    super(`Unknown Microsoft Graph application permission '${permission}': the emulator knows ${known.join(', ')}.`);
    this.name = 'UnknownPermissionError';
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The Graph routes of this file, for `createRoutes`. */
export function permissionRoutes(store: DirectoryStore, access: AppPermissions, paging: PagingOptions): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/servicePrincipals/:id/appRoleAssignments',
      write: false,
      handle: (req, p): EmulatorResponse => {
        const sp = store.getServicePrincipal(p.id);
        return { status: 200, body: page(access.assignmentsOf(sp.id, req.now.toISOString()), req, paging) };
      },
    },
  ];
}

/**
 * `/_emulator/permissions` (path after it): `GET` lists Microsoft Graph's app roles and which are granted to the
 * caller; `PUT /{permission}` grants one, `DELETE /{permission}` withdraws it (204; 400 for a name Graph does not have).
 */
export function handlePermissionControl(access: AppPermissions, method: string, rest: string[]): EmulatorResponse {
  const permission = rest.length === 1 ? rest[0] : undefined;
  try {
    if (method === 'GET' && rest.length === 0) {
      return { status: 200, body: { clientId: LOCAL_GRAPH_CLIENT_ID, granted: access.grantedPermissions(), value: access.list() } };
    }
    if (method === 'PUT' && permission) {
      access.grant(permission);
      return { status: 204 };
    }
    if (method === 'DELETE' && permission) {
      access.withdraw(permission);
      return { status: 204 };
    }
  } catch (err) {
    if (err instanceof UnknownPermissionError) throw badRequest(err.message, 'BadRequest');
    throw err;
  }
  throw new GraphHttpError(404, 'NotFound', `No emulator control endpoint ${method} /_emulator/permissions/${rest.join('/')}.`);
}
