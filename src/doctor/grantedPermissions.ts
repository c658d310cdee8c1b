/**
 * The Microsoft Graph application permissions of the bot's identity, checked against what this deployment needs
 * (permissionNeeds.ts). The doctor finds the identity's service principal — `GET /servicePrincipals(appId='{client
 * id}')`, which an app may call for itself without any permission (serviceprincipal-get) — and reads its app role
 * assignments on Microsoft Graph (`GET /servicePrincipals/{id}/appRoleAssignments`, needs Application.Read.All), named
 * through Microsoft Graph's own service principal, whose `appRoles` map an app role id to a permission. One row per
 * needed permission: granted, granted through a documented higher-privileged one, or missing; a permission granted
 * beyond need is a warning. When the assignments cannot be read, each permission is checked by a harmless read instead
 * (the doctor never writes to Graph). Either way a 403 to a read the grants allow says the token lags behind them.
 */
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { GRAPH_DEFAULT_SCOPE, nextLinkPath } from '../graph/graphClient';
import { GRAPH_PERMISSIONS, HIGHER_PRIVILEGED, MICROSOFT_GRAPH_APP_ID, satisfies, type GraphPermission } from '../graph/permissions';
import { LOCAL_GRAPH_CLIENT_ID } from '../local/graphEmulator/permissionRoutes';
import { GRANT_HINT, probe, TOKEN_DELAY_HINT, USERS_PROBE, type GraphProbe } from './graphChecks';
import { notNeededBecause, permissionNeeds, type CatalogGraphUse, type PermissionNeed } from './permissionNeeds';
import { row, type CheckRow } from './report';

export interface PermissionInput {
  client: Client;
  /** The answer to GET /users?$top=1 (the reachability probe, which also proves User.Read.All). */
  usersProbe: GraphProbe;
  /** undefined when the catalog could not be loaded. */
  use?: CatalogGraphUse;
  /** Catalog user ids, first ones first (for the reads that need a user). */
  userIds: readonly string[];
  teamsAppId?: string;
  /** BOT_ID: the Teams app's webApplicationInfo.id, which the install permission's "Self" is about. */
  botAppId?: string;
  /** AZURE_CLIENT_ID: the client id of the identity calling Graph, when set. */
  clientId?: string;
  /** The credential Graph calls use; undefined without one (the emulator). */
  credential?: TokenCredential;
}

interface Identity {
  id: string;
  appId: string;
  displayName: string;
  /** How the doctor found it. */
  source: string;
  /** The Graph emulator's caller, to which local mode grants every permission the bot may need. */
  local: boolean;
}

type Lookup<T> = { ok: true; value: T } | { ok: false; row: CheckRow };

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
const describeError = (result: Extract<GraphProbe, { ok: false }>) =>
  result.error.statusCode !== undefined ? `${result.error.statusCode} ${result.error.code}` : result.error.message;

/** The claims of a JWT, read without checking it (a diagnostic only: which app the token is for). */
function tokenClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function findIdentity(input: PermissionInput): Promise<Lookup<Identity>> {
  const check = 'Graph identity';
  let path: string;
  let source: string;
  const local = !input.clientId && !input.credential;
  if (input.clientId) {
    path = `/servicePrincipals(appId=${quote(input.clientId)})`;
    source = 'AZURE_CLIENT_ID';
  } else if (input.credential) {
    let claims: Record<string, unknown> = {};
    try {
      const token = await input.credential.getToken([GRAPH_DEFAULT_SCOPE]);
      claims = token ? tokenClaims(token.token) : {};
    } catch (err) {
      return { ok: false, row: row(check, 'warning', `could not get a token to tell which app calls Graph: ${err instanceof Error ? err.message : String(err)}`) };
    }
    const appId = typeof claims.appid === 'string' ? claims.appid : typeof claims.azp === 'string' ? claims.azp : undefined;
    const oid = typeof claims.oid === 'string' ? claims.oid : undefined;
    if (appId) {
      path = `/servicePrincipals(appId=${quote(appId)})`;
      source = 'the appid claim of the token DefaultAzureCredential returned (a managed identity without AZURE_CLIENT_ID)';
    } else if (oid) {
      path = `/servicePrincipals/${encodeURIComponent(oid)}`;
      source = 'the oid claim of the token DefaultAzureCredential returned (a managed identity without AZURE_CLIENT_ID)';
    } else {
      return { ok: false, row: row(check, 'warning', 'the token DefaultAzureCredential returned names no app (no appid, azp or oid claim)') };
    }
  } else {
    path = `/servicePrincipals(appId=${quote(LOCAL_GRAPH_CLIENT_ID)})`;
    source = "the Graph emulator's caller app (no credential)";
  }
  const found = await probe(input.client, `${path}?$select=id,appId,displayName`);
  if (!found.ok) {
    return { ok: false, row: row(check, 'warning', `GET ${path} (found from ${source}) failed: ${describeError(found)}`) };
  }
  const sp = found.body as { id?: string; appId?: string; displayName?: string };
  return { ok: true, value: { id: String(sp.id), appId: String(sp.appId), displayName: sp.displayName ?? String(sp.id), source, local } };
}

interface Grant {
  permission: string;
  assignmentId: string;
}

/** The identity's app role assignments on Microsoft Graph, by permission name. */
async function readGrants(client: Client, identity: Identity): Promise<Lookup<Grant[]>> {
  const graphPath = `/servicePrincipals(appId=${quote(MICROSOFT_GRAPH_APP_ID)})?$select=id,appRoles`;
  const graph = await probe(client, graphPath);
  const unreadable = (path: string, result: Extract<GraphProbe, { ok: false }>) => ({
    ok: false as const,
    row: row(
      'granted permissions',
      'skipped',
      `could not read the application permissions granted to ${identity.displayName}: GET ${path} answered ${describeError(result)}` +
        (result.error.statusCode === 403 ? ` (reading them needs ${GRAPH_PERMISSIONS.readApplications})` : '') +
        '; each permission is checked by a harmless read instead',
    ),
  });
  if (!graph.ok) return unreadable(graphPath, graph);
  const graphSp = graph.body as { id?: string; appRoles?: { id?: string; value?: string }[] };
  const names = new Map((graphSp.appRoles ?? []).map((r) => [String(r.id).toLowerCase(), String(r.value)]));
  const grants: Grant[] = [];
  let path: string | undefined = `/servicePrincipals/${encodeURIComponent(identity.id)}/appRoleAssignments`;
  while (path) {
    const page = await probe(client, path);
    if (!page.ok) return unreadable(path, page);
    const body = page.body as { value?: { id?: string; appRoleId?: string; resourceId?: string }[]; '@odata.nextLink'?: string };
    for (const a of body.value ?? []) {
      if (String(a.resourceId).toLowerCase() !== String(graphSp.id).toLowerCase()) continue;
      grants.push({ permission: names.get(String(a.appRoleId).toLowerCase()) ?? `app role ${a.appRoleId}`, assignmentId: String(a.id) });
    }
    path = body['@odata.nextLink'] ? nextLinkPath(body['@odata.nextLink']) : undefined;
  }
  return { ok: true, value: grants };
}

interface ProbeResult {
  path: string;
  result: GraphProbe;
  /** What the answer shows, when it came. */
  shows: string;
}

/** The first of `ids` whose read is not a 404 (the 404s are the reference rows' business), or undefined. */
async function firstExisting(client: Client, ids: readonly string[], pathOf: (id: string) => string): Promise<{ path: string; result: GraphProbe } | undefined> {
  for (const id of ids) {
    const path = pathOf(id);
    const result = await probe(client, path);
    if (!result.ok && result.error.statusCode === 404) continue;
    return { path, result };
  }
  return undefined;
}

/** A harmless read that needs the permission (or one that allows at least as much), for each need that has one. */
async function probeNeed(need: PermissionNeed, input: PermissionInput): Promise<ProbeResult | undefined> {
  const { client, use } = input;
  const with_ = (found: { path: string; result: GraphProbe } | undefined, shows: string) => (found ? { ...found, shows } : undefined);
  switch (need.permission) {
    case GRAPH_PERMISSIONS.readUsers:
      return { path: USERS_PROBE, result: input.usersProbe, shows: 'users and their managers can be read' };
    case GRAPH_PERMISSIONS.groupMembers:
      return with_(await firstExisting(client, use?.memberGroups ?? [], (id) => `/groups/${id}/members?$top=1&$select=id`), 'group members can be read');
    case GRAPH_PERMISSIONS.readGroupMembers:
      return with_(
        await firstExisting(client, [...(use?.approverGroups ?? []), ...(use?.requestorGroups ?? [])], (id) => `/groups/${id}/transitiveMembers?$top=1&$select=id`),
        'group members can be read',
      );
    case GRAPH_PERMISSIONS.readApplications:
      return with_(await firstExisting(client, use?.servicePrincipals ?? [], (id) => `/servicePrincipals/${id}?$select=id,displayName,appRoles`), 'service principals and their app roles can be read');
    case GRAPH_PERMISSIONS.appRoleAssignments: {
      const sp = use?.servicePrincipals[0];
      if (!sp) return undefined;
      const filter = encodeURIComponent(`resourceId eq ${sp}`);
      return with_(await firstExisting(client, input.userIds, (id) => `/users/${id}/appRoleAssignments?$filter=${filter}`), "users' app role assignments can be read");
    }
    case GRAPH_PERMISSIONS.installSelf: {
      const filter = encodeURIComponent(`teamsApp/id eq ${quote(input.teamsAppId ?? '')}`);
      return with_(await firstExisting(client, input.userIds, (id) => `/users/${id}/teamwork/installedApps?$expand=teamsApp&$filter=${filter}`), "a user's installed apps can be read");
    }
    default:
      // Group.ReadWrite.All: every read of groups and owners needs less, so no read proves it.
      return undefined;
  }
}

/** What a read cannot prove of a ReadWrite permission. */
const WRITE_HALF: Partial<Record<GraphPermission, string>> = {
  [GRAPH_PERMISSIONS.groupMembers]: 'adding and removing members',
  [GRAPH_PERMISSIONS.appRoleAssignments]: 'assigning and removing app roles',
  [GRAPH_PERMISSIONS.installSelf]: 'installing the app',
};

/** The rows of the read-only check, for when the grants cannot be read. */
function probeRows(needs: PermissionNeed[], probes: Map<GraphPermission, ProbeResult | undefined>, input: PermissionInput): CheckRow[] {
  return needs.map(({ permission, use }) => {
    const check = `permission ${permission}`;
    const found = probes.get(permission);
    if (!found) {
      const why =
        permission === GRAPH_PERMISSIONS.groupOwners
          ? `no harmless read proves ${permission} (reading owners needs less); the bot ${use}`
          : input.use === undefined
            ? 'the catalog file could not be loaded'
            : 'no object of the catalog exists to read (see the catalog rows)';
      return row(check, 'skipped', why);
    }
    const { path, result, shows } = found;
    if (result.ok) {
      const write = WRITE_HALF[permission];
      const caveat = write ? ` — a read proves read access only; ${write} needs ${permission}, which only a write would prove` : '';
      return row(check, 'ok', `GET ${path} answered: ${shows}${caveat}`);
    }
    if (result.error.statusCode === 403) {
      return row(check, 'problem', `GET ${path}: 403 ${result.error.code} — the app lacks ${permission}; ${GRANT_HINT}. ${TOKEN_DELAY_HINT}`);
    }
    return row(check, 'problem', `GET ${path} failed: ${result.error.message}`);
  });
}

/** The rows of the grant check: one per needed permission, then one per permission granted beyond them. */
function grantRows(needs: PermissionNeed[], grants: Grant[], probes: Map<GraphPermission, ProbeResult | undefined>, input: PermissionInput, identity: Identity): CheckRow[] {
  const granted = new Set(grants.map((g) => g.permission));
  const to = `granted to ${identity.displayName}`;
  const rows: CheckRow[] = [];
  /** Higher-privileged permissions standing in for a missing need: not "beyond need", but worth replacing. */
  const standIns = new Map<string, GraphPermission>();
  for (const { permission, use } of needs) {
    const check = `permission ${permission}`;
    if (granted.has(permission)) {
      const found = probes.get(permission);
      if (found && !found.result.ok && found.result.error.statusCode === 403) {
        rows.push(row(check, 'problem', `${to}, but GET ${found.path} still answered 403 ${found.result.error.code}: the bot ${use}. ${TOKEN_DELAY_HINT}`));
      } else {
        rows.push(row(check, 'ok', `${to}: the bot ${use}`));
      }
      continue;
    }
    const higher = HIGHER_PRIVILEGED[permission].filter((h) => granted.has(h));
    if (higher.length) {
      for (const h of higher) if (!standIns.has(h)) standIns.set(h, permission);
      rows.push(row(check, 'ok', `not granted itself, but the higher-privileged ${higher.join(' and ')} is, which allows it too: the bot ${use}`));
      continue;
    }
    rows.push(row(check, 'problem', `not ${to}: the bot ${use}; ${GRANT_HINT}`));
  }
  const needed = needs.map((n) => n.permission);
  for (const { permission, assignmentId } of grants) {
    if ((needed as string[]).includes(permission)) continue;
    const check = `permission ${permission}`;
    const remove = `remove app role assignment ${assignmentId} (docs/deploy.md, step 4)`;
    const covering = needed.find((n) => isBotPermission(permission) && satisfies(n, permission));
    if (covering) {
      rows.push(row(check, 'ok', `granted; adds nothing beyond ${covering}, which this deployment needs`));
      continue;
    }
    if (input.use === undefined && isBotPermission(permission)) {
      rows.push(row(check, 'ok', 'granted (whether this deployment needs it is unknown: the catalog file could not be loaded)'));
      continue;
    }
    if (identity.local && isBotPermission(permission)) {
      rows.push(row(check, 'ok', `granted, as local mode grants every permission the bot may need; a deployment like this one would not need it (${notNeededBecause(permission)})`));
      continue;
    }
    const lower = standIns.get(permission) ?? needed.find((n) => HIGHER_PRIVILEGED[n].includes(permission));
    if (lower) {
      const state = granted.has(lower) ? `${lower}, also granted, is` : `${lower} would be`;
      rows.push(row(check, 'warning', `granted beyond need: ${state} enough for what the bot does with it; ${remove}${granted.has(lower) ? '' : ` after granting ${lower}`}`));
      continue;
    }
    const why = isBotPermission(permission) ? `this deployment does not need it: ${notNeededBecause(permission)}` : 'the bot does not use it';
    rows.push(row(check, 'warning', `granted beyond need (${why}); ${remove}`));
  }
  return rows;
}

function isBotPermission(permission: string): permission is GraphPermission {
  return (Object.values(GRAPH_PERMISSIONS) as string[]).includes(permission);
}

/**
 * TeamsAppInstallation.ReadWriteSelfForUser.All lets an app install only itself: the Teams app's
 * `webApplicationInfo.id` (BOT_ID in appPackage/manifest.json) must be the client id of the identity calling Graph.
 */
function selfInstallCaveat(rows: CheckRow[], input: PermissionInput, identity: Identity | undefined): void {
  if (!input.teamsAppId || !input.botAppId || !identity) return;
  if (identity.appId.toLowerCase() === input.botAppId.toLowerCase()) return;
  const at = rows.findIndex((r) => r.check === `permission ${GRAPH_PERMISSIONS.installSelf}`);
  if (at < 0 || rows[at].result === 'problem') return;
  rows[at] = row(
    rows[at].check,
    'warning',
    `${rows[at].detail}; but it lets an app install only its own Teams app, whose webApplicationInfo.id (BOT_ID ${input.botAppId} in appPackage/manifest.json) must be the client id of the identity calling Graph, here ${identity.appId}: use the bot's identity for Graph (AZURE_CLIENT_ID = BOT_ID)`,
  );
}

/** The identity row, then one row per needed permission (and per permission granted beyond need). */
export async function checkPermissions(input: PermissionInput): Promise<CheckRow[]> {
  const needs = permissionNeeds(input.use, input.teamsAppId);
  const rows: CheckRow[] = [];
  const identity = await findIdentity(input);
  let grants: Lookup<Grant[]> | undefined;
  if (identity.ok) {
    const { displayName, id, appId, source } = identity.value;
    rows.push(row('Graph identity', 'ok', `${displayName} (service principal ${id}, appId ${appId}), found from ${source}`));
    grants = await readGrants(input.client, identity.value);
    if (!grants.ok) rows.push(grants.row);
  } else {
    rows.push(identity.row);
  }
  const probes = new Map<GraphPermission, ProbeResult | undefined>();
  for (const need of needs) probes.set(need.permission, await probeNeed(need, input));
  const permissionRows = identity.ok && grants?.ok ? grantRows(needs, grants.value, probes, input, identity.value) : probeRows(needs, probes, input);
  selfInstallCaveat(permissionRows, input, identity.ok ? identity.value : undefined);
  return [...rows, ...permissionRows];
}
