/**
 * Microsoft Graph: reachable with a token, and every directory object the catalog names (the application
 * permissions are in grantedPermissions.ts). The doctor only reads Graph, never writes.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { DirectoryServicePrincipal } from '../app/ports';
import { GraphDirectory } from '../graph/directory';
import { callGraph, GraphCallError, toGraphCallError } from '../graph/errors';
import { distinctIds, type CatalogReferences, type Reference } from './catalogRefs';
import { row, type CheckRow } from './report';

/** Where docs/deploy.md tells operators how to grant a Graph application permission. */
export const GRANT_HINT =
  'grant it to the bot\'s identity as a Microsoft Graph application permission with admin consent (docs/deploy.md, step 4), then restart the bot';

/**
 * Why a permission granted a moment ago can still be refused: a managed identity's tokens are cached by Azure for
 * around 24 hours and cannot be refreshed early (learn.microsoft.com/entra/identity/managed-identities-azure-resources/
 * managed-identity-best-practice-recommendations, "Limitation of using managed identities for authorization").
 */
export const TOKEN_DELAY_HINT =
  'A permission newly granted to a managed identity can take up to about 24 hours to reach its tokens (Azure caches them and they cannot be refreshed early), so if it was granted recently, wait and run the doctor again.';

export type GraphProbe = { ok: true; body: unknown } | { ok: false; error: GraphCallError };

/** One GET; any failure becomes a GraphCallError (a bug or an odd answer too, so the doctor can report it). */
export async function probe(client: Client, path: string): Promise<GraphProbe> {
  try {
    return { ok: true, body: (await callGraph(() => client.api(path).get())) as unknown };
  } catch (err) {
    const error = toGraphCallError(err) ?? new GraphCallError(undefined, 'UnexpectedError', err instanceof Error ? err.message : String(err));
    return { ok: false, error };
  }
}

export const USERS_PROBE = '/users?$top=1&$select=id';

/**
 * The `Microsoft Graph` row from the first call (GET /users?$top=1): `reached` when Graph answered at all,
 * whatever the status, with a token it accepted.
 */
export function graphReachableRow(first: GraphProbe, baseUrl: string, tokenSource: string): { row: CheckRow; reached: boolean } {
  if (first.ok) return { row: row('Microsoft Graph', 'ok', `${baseUrl} answered ${tokenSource}`), reached: true };
  const err = first.error;
  if (err.statusCode === undefined && err.code === 'AuthenticationFailed') {
    return { row: row('Microsoft Graph', 'problem', `no credential: ${err.graphMessage}`), reached: false };
  }
  if (err.statusCode === undefined) {
    return { row: row('Microsoft Graph', 'problem', `${baseUrl} unreachable (${err.code}): ${err.graphMessage}`), reached: false };
  }
  if (err.statusCode === 401) {
    return {
      row: row(
        'Microsoft Graph',
        'problem',
        `${baseUrl} refused the token (401 ${err.code}: ${err.graphMessage}) — check AZURE_TENANT_ID / AZURE_CLIENT_ID / the managed identity, and that TENANT_ID is the tenant the app is registered in`,
      ),
      reached: false,
    };
  }
  // Any other answer (403 included) came from Graph: reachable; the permission rows say the rest.
  return { row: row('Microsoft Graph', 'ok', `${baseUrl} answered ${tokenSource}: ${err.statusCode} to GET ${USERS_PROBE}`), reached: true };
}

type Lookup<T> = { found: T } | { missing: true } | { error: GraphCallError };

async function lookupAll<T>(ids: readonly string[], get: (id: string) => Promise<T | undefined>, parallel = 8): Promise<Map<string, Lookup<T>>> {
  const out = new Map<string, Lookup<T>>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        const found = await get(id);
        out.set(id, found === undefined ? { missing: true } : { found });
      } catch (err) {
        out.set(id, { error: toGraphCallError(err) ?? new GraphCallError(undefined, 'UnexpectedError', err instanceof Error ? err.message : String(err)) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ids.length) }, worker));
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A summary row for one kind, then one problem row per reference that was not found. */
function kindRows<T>(kind: string, noun: string, refs: readonly Reference[], lookups: Map<string, Lookup<T>>): CheckRow[] {
  const ids = distinctIds(refs);
  const check = `catalog ${kind}`;
  if (ids.length === 0) return [row(check, 'ok', `the catalog names no ${noun}`)];
  const failed = ids.filter((id) => 'error' in (lookups.get(id) as Lookup<T>));
  const missingRefs = refs.filter((r) => 'missing' in (lookups.get(r.id) as Lookup<T>));
  const missingIds = distinctIds(missingRefs);
  const counts = `${plural(refs.length, 'reference')} to ${plural(ids.length, noun)}`;
  const rows: CheckRow[] = [];
  if (failed.length) {
    const first = lookups.get(failed[0]) as { error: GraphCallError };
    const hint = first.error.statusCode === 403 ? ' (see the permission rows)' : '';
    rows.push(row(check, 'problem', `${counts}: ${failed.length} could not be checked: ${first.error.message}${hint}`));
  } else if (missingIds.length) {
    rows.push(row(check, 'problem', `${counts}: ${missingIds.length} not found (below)`));
  } else {
    rows.push(row(check, 'ok', `${counts}, all found`));
  }
  const singular = `catalog ${noun}`;
  for (const ref of missingRefs) rows.push(row(singular, 'problem', `${ref.path} ${ref.id} not found`));
  return rows;
}

/** Users, groups, service principals and app roles the catalog names: one row per kind, one per missing reference. */
export async function checkReferences(directory: GraphDirectory, refs: CatalogReferences): Promise<CheckRow[]> {
  const [users, groups, sps] = await Promise.all([
    lookupAll(distinctIds(refs.users), (id) => directory.getUser(id)),
    lookupAll(distinctIds(refs.groups), (id) => directory.getGroup(id)),
    lookupAll(distinctIds(refs.servicePrincipals), (id) => directory.getServicePrincipal(id)),
  ]);
  const rows = [
    ...kindRows('users', 'user', refs.users, users),
    ...kindRows('groups', 'group', refs.groups, groups),
    ...kindRows('service principals', 'service principal', refs.servicePrincipals, sps),
  ];
  rows.push(...appRoleRows(refs, sps));
  return rows;
}

function appRoleRows(refs: CatalogReferences, sps: Map<string, Lookup<DirectoryServicePrincipal>>): CheckRow[] {
  const check = 'catalog app roles';
  if (refs.appRoles.length === 0) return [row(check, 'ok', 'the catalog names no app role')];
  const missing: CheckRow[] = [];
  let checked = 0;
  let unchecked = 0;
  for (const ref of refs.appRoles) {
    const sp = sps.get(ref.servicePrincipalId);
    if (!sp || !('found' in sp)) {
      unchecked++;
      continue;
    }
    checked++;
    if (!sp.found.appRoles.some((role) => role.id.toLowerCase() === ref.id.toLowerCase())) {
      missing.push(row('catalog app role', 'problem', `${ref.path} ${ref.id} not found among the app roles of ${sp.found.displayName} (${sp.found.id})`));
    }
  }
  const counts = `${plural(refs.appRoles.length, 'reference')} to ${plural(distinctIds(refs.appRoles).length, 'app role')}`;
  const notChecked = unchecked ? `; ${unchecked} not checked (service principal missing or unreadable)` : '';
  if (missing.length) return [row(check, 'problem', `${counts}: ${missing.length} not found (below)${notChecked}`), ...missing];
  if (checked === 0) return [row(check, 'skipped', `${counts}: none checked (service principal missing or unreadable)`)];
  return [row(check, unchecked ? 'skipped' : 'ok', `${counts}, all found${notChecked}`)];
}
