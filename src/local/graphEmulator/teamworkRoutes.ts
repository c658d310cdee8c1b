/**
 * Apps in a user's personal scope (`/users/{id}/teamwork/installedApps`), as Microsoft Graph v1.0 documents them:
 * - install (userteamwork-post-installedapps): body `{"teamsApp@odata.bind": "<Graph>/v1.0/appCatalogs/teamsApps/{id}"}`,
 *   201 with no body; 409 when installed already; 404 for an app the tenant's catalog does not have;
 * - list (userteamwork-list-installedapps): `$expand=teamsApp` / `teamsAppDefinition`, `$filter=teamsApp/id eq '{id}'`
 *   (the query of Teams' "Send proactive installation messages"); without `$expand` an installation is its id only;
 * - get one, and its chat (userscopeteamsappinstallation-get-chat): `{"id": "19:…@unq.gbl.spaces"}`.
 */
import { badRequest, GraphHttpError } from './errors';
import { page, type PagingOptions } from './representations';
import type { EmulatorRequest, Route } from './router';
import type { DirectoryStore, InstalledApp } from './store';

type Json = Record<string, unknown>;

const EXPANDABLE = ['teamsApp', 'teamsAppDefinition'] as const;
type Expandable = (typeof EXPANDABLE)[number];

/** `teamsApp/id eq '{id}'` (a quote inside the literal doubled, as OData writes it). */
const TEAMS_APP_FILTER = /^teamsApp\/id\s+eq\s+'((?:[^']|'')*)'$/i;

function expandsOf(request: EmulatorRequest): Set<Expandable> {
  const asked = (request.query.get('$expand') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const expands = new Set<Expandable>();
  for (const name of asked) {
    const known = EXPANDABLE.find((e) => e.toLowerCase() === name.toLowerCase());
    if (!known) throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.userScopeTeamsAppInstallation'.`);
    expands.add(known);
  }
  return expands;
}

/** The catalog app id a `$filter` asks for; undefined without a filter. */
function filteredAppId(request: EmulatorRequest): string | undefined {
  const filter = request.query.get('$filter')?.trim();
  if (filter === undefined) return undefined;
  const match = TEAMS_APP_FILTER.exec(filter);
  if (!match) throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: '${filter}'.`);
  return match[1].replace(/''/g, "'");
}

function installationJson(store: DirectoryStore, installation: InstalledApp, expands: Set<Expandable>): Json {
  const app = store.teamsCatalogApp(installation.teamsAppId);
  return {
    id: installation.id,
    ...(expands.has('teamsApp') ? { teamsApp: { id: app.id, externalId: null, displayName: app.displayName, distributionMethod: 'organization' } } : {}),
    ...(expands.has('teamsAppDefinition')
      ? {
          teamsAppDefinition: {
            id: Buffer.from(`${app.id}##1.0.0`).toString('base64'),
            teamsAppId: app.id,
            displayName: app.displayName,
            version: '1.0.0',
          },
        }
      : {}),
  };
}

/** The catalog app id of a `teamsApp@odata.bind`, which must name this Graph's own app catalog. */
function boundAppId(request: EmulatorRequest): string {
  const bind = (request.body as Json | undefined)?.['teamsApp@odata.bind'];
  if (typeof bind !== 'string') throw badRequest("Invalid value for 'teamsApp@odata.bind': a URL of the app catalog is required.");
  const prefix = `${request.baseUrl}/appCatalogs/teamsApps/`;
  const id = bind.toLowerCase().startsWith(prefix.toLowerCase()) ? bind.slice(prefix.length) : '';
  if (!id || id.includes('/')) throw badRequest(`Invalid URL format specified in teamsApp@odata.bind: '${bind}'.`);
  return decodeURIComponent(id);
}

/** The routes above, for `createRoutes`. */
export function teamworkRoutes(store: DirectoryStore, paging: PagingOptions): Route[] {
  const base = '/users/:id/teamwork/installedApps';
  return [
    {
      method: 'GET',
      pattern: base,
      write: false,
      handle: (req, p) => {
        const expands = expandsOf(req);
        const appId = filteredAppId(req);
        const installations = store.listInstalledApps(p.id).filter((i) => appId === undefined || i.teamsAppId.toLowerCase() === appId.toLowerCase());
        return { status: 200, body: page(installations.map((i) => installationJson(store, i, expands)), req, paging) };
      },
    },
    {
      method: 'POST',
      pattern: base,
      write: true,
      handle: (req, p) => {
        store.installTeamsApp(p.id, boundAppId(req), req.now);
        return { status: 201 };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:installationId`,
      write: false,
      handle: (req, p) => ({ status: 200, body: installationJson(store, store.getInstalledApp(p.id, p.installationId), expandsOf(req)) }),
    },
    {
      method: 'GET',
      pattern: `${base}/:installationId/chat`,
      write: false,
      handle: (req, p) => {
        const installation = store.getInstalledApp(p.id, p.installationId);
        return {
          status: 200,
          body: {
            '@odata.context': `${req.baseUrl}/$metadata#chats/$entity`,
            id: store.chatIdOf(p.id, p.installationId),
            topic: null,
            createdDateTime: installation.installedDateTime,
            chatType: 'oneOnOne',
          },
        };
      },
    },
  ];
}
