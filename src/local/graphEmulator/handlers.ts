import { z } from 'zod';
import { badRequest, GraphHttpError } from './errors';
import {
  assignmentJson,
  directoryObjectJson,
  groupJson,
  page,
  type PagingOptions,
  servicePrincipalJson,
  userJson,
} from './representations';
import type { EmulatorRequest, EmulatorResponse, Route } from './router';
import type { DirectoryStore, Relation } from './store';
import { teamworkRoutes } from './teamworkRoutes';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guid = z.string().regex(GUID);

/** Groups and service principals are addressed by object id only; anything else is a 400 in Graph. */
function objectId(id: string): string {
  if (!GUID.test(id)) throw badRequest(`Invalid object identifier '${id}'.`);
  return id;
}

function parseBody<S extends z.ZodTypeAny>(schema: S, request: EmulatorRequest): z.output<S> {
  const result = schema.safeParse(request.body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? `'${issue.path.join('.')}'` : 'the request body';
    throw badRequest(`Invalid value for ${where}: ${issue.message}.`);
  }
  return result.data;
}

const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });
const noContent = (): EmulatorResponse => ({ status: 204 });

const refBodySchema = z.object({ '@odata.id': z.string() });
/** `https://graph.microsoft.com/v1.0/directoryObjects/{id}` (also `/users/{id}`, `/groups/{id}`). */
const REF_URL = /\/(?:directoryObjects|users|groups)\/([0-9a-f-]{36})$/i;

function referencedId(request: EmulatorRequest): string {
  const ref = parseBody(refBodySchema, request)['@odata.id'];
  const match = REF_URL.exec(ref);
  if (!match) throw badRequest(`Invalid URL format specified in @odata.id: '${ref}'.`);
  return match[1];
}

const checkMemberGroupsSchema = z.object({ groupIds: z.array(z.string()).min(1).max(20) });
const assignmentBodySchema = z.object({ principalId: guid, resourceId: guid, appRoleId: guid });

const FILTER_CLAUSE = /^(\w+)\s+eq\s+(.+)$/i;
/** Guid properties of appRoleAssignment that Graph does not filter on. */
const UNFILTERABLE_GUIDS = new Set(['id', 'principalid', 'approleid']);

/**
 * The resource service principal id of a `$filter` on appRoleAssignments, undefined without one. `resourceId eq
 * {guid}` (a Guid: not quoted) is the one filter emulated, where `allowResourceId`; the reference marks resourceId
 * "eq only" (Graph's principalDisplayName filter is not emulated). The reference documents no error text; Graph's
 * answers as reported on Microsoft Q&A (learn.microsoft.com/answers/questions/603125) and in
 * microsoftgraph/microsoft-graph-docs-contrib#1726: a quoted Guid is `BadRequest` "Invalid filter clause", a Guid
 * property Graph does not filter on (principalId, appRoleId) `Request_BadRequest` "Invalid filter clause
 * principalId: System.Guid", anything else `Request_UnsupportedQuery`.
 */
function assignmentFilter(request: EmulatorRequest, allowResourceId: boolean): string | undefined {
  const filter = request.query.get('$filter')?.trim();
  if (filter === undefined) return undefined;
  const [, name = filter, value = ''] = FILTER_CLAUSE.exec(filter) ?? [];
  const property = name.toLowerCase();
  if (allowResourceId && property === 'resourceid' && GUID.test(value)) return value;
  const guidProperty = property === 'resourceid' || UNFILTERABLE_GUIDS.has(property);
  if (guidProperty && value.startsWith("'")) throw new GraphHttpError(400, 'BadRequest', 'Invalid filter clause');
  if (UNFILTERABLE_GUIDS.has(property)) throw badRequest(`Invalid filter clause ${name}: System.Guid`);
  throw new GraphHttpError(
    400,
    'Request_UnsupportedQuery',
    `Unsupported or invalid query filter clause specified for property '${name}' of resource 'AppRoleAssignment'.`,
  );
}

function referenceRoutes(store: DirectoryStore, relation: Relation, paging: PagingOptions): Route[] {
  return [
    {
      method: 'GET',
      pattern: `/groups/:id/${relation}`,
      write: false,
      handle: (req, p) => ok(page(store.listReferences(objectId(p.id), relation).map((o) => directoryObjectJson(o, req)), req, paging)),
    },
    {
      method: 'POST',
      pattern: `/groups/:id/${relation}/$ref`,
      write: true,
      handle: (req, p) => {
        store.addReference(objectId(p.id), relation, referencedId(req));
        return noContent();
      },
    },
    {
      method: 'DELETE',
      pattern: `/groups/:id/${relation}/:memberId/$ref`,
      write: true,
      handle: (_req, p) => {
        store.removeReference(objectId(p.id), relation, p.memberId);
        return noContent();
      },
    },
  ];
}

/** Every Graph v1.0 path the emulator answers (`$batch` is added by the emulator itself). */
export function createRoutes(store: DirectoryStore, paging: PagingOptions): Route[] {
  return [
    { method: 'GET', pattern: '/users', write: false, handle: (req) => ok(page(store.listUsers().map((u) => userJson(u, req)), req, paging)) },
    { method: 'GET', pattern: '/users/:id', write: false, handle: (req, p) => ok(userJson(store.getUser(p.id), req)) },
    {
      method: 'GET',
      pattern: '/users/:id/manager',
      write: false,
      handle: (req, p) => ok({ '@odata.type': '#microsoft.graph.user', ...userJson(store.getManager(p.id), req) }),
    },
    {
      method: 'POST',
      pattern: '/users/:id/checkMemberGroups',
      write: false,
      handle: (req, p) => {
        const user = store.getUser(p.id);
        const { groupIds } = parseBody(checkMemberGroupsSchema, req);
        const memberOf = store.transitiveGroupIds(user.id);
        return ok({
          '@odata.context': `${req.baseUrl}/$metadata#Collection(Edm.String)`,
          value: groupIds.filter((id) => memberOf.has(id.toLowerCase())),
        });
      },
    },
    ...teamworkRoutes(store, paging),
    { method: 'GET', pattern: '/groups/:id', write: false, handle: (req, p) => ok(groupJson(store.getGroup(objectId(p.id)), req)) },
    {
      method: 'GET',
      pattern: '/groups/:id/transitiveMembers',
      write: false,
      handle: (req, p) =>
        ok(page(store.listTransitiveMembers(objectId(p.id)).map((o) => directoryObjectJson(o, req)), req, paging)),
    },
    ...referenceRoutes(store, 'members', paging),
    ...referenceRoutes(store, 'owners', paging),
    {
      method: 'GET',
      pattern: '/servicePrincipals/:id',
      write: false,
      handle: (_req, p) => ok(servicePrincipalJson(store.getServicePrincipal(objectId(p.id)))),
    },
    {
      method: 'GET',
      pattern: '/servicePrincipals/:id/appRoleAssignedTo',
      write: false,
      handle: (req, p) => {
        // Graph cannot filter these on principalId: a client looks a user's assignments up from the user (below).
        assignmentFilter(req, false);
        const assignments = store.listAssignments(objectId(p.id));
        return ok(page(assignments.map((a) => assignmentJson(a, store)), req, paging));
      },
    },
    {
      method: 'GET',
      pattern: '/users/:id/appRoleAssignments',
      write: false,
      handle: (req, p) => {
        const resourceId = assignmentFilter(req, true);
        const assignments = store.listUserAssignments(p.id, resourceId);
        return ok(page(assignments.map((a) => assignmentJson(a, store)), req, paging));
      },
    },
    {
      method: 'POST',
      pattern: '/servicePrincipals/:id/appRoleAssignedTo',
      write: true,
      handle: (req, p) => {
        const created = store.assign(objectId(p.id), parseBody(assignmentBodySchema, req), req.now);
        return ok({ '@odata.context': `${req.baseUrl}/$metadata#appRoleAssignments/$entity`, ...assignmentJson(created, store) }, 201);
      },
    },
    {
      method: 'DELETE',
      pattern: '/servicePrincipals/:id/appRoleAssignedTo/:assignmentId',
      write: true,
      handle: (_req, p) => {
        store.unassign(objectId(p.id), p.assignmentId);
        return noContent();
      },
    },
  ];
}
