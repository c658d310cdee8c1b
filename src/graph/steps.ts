import type { GrantOutcome, RevokeOutcome } from '../app/ports';
import type { AppRoleResource, GroupResource } from '../catalog/types';
import type { GraphAnswer } from './batch';
import { failedWith, type FailedOutcome, type Settled, type Step } from './batchRunner';
import type { GraphCallError } from './errors';
import { nextLinkPath } from './graphClient';
import { GRAPH_PERMISSIONS, type GraphPermission } from './permissions';
import { appRoleAssignmentSchema, pageSchema, parseGraphResponse } from './responses';

/** Graph's answers to a write that is already in place (see PRODUCT.md): both count as delivered. */
export const DUPLICATE_REFERENCE_MESSAGE = 'One or more added object references already exist';
export const DUPLICATE_APP_ROLE_MESSAGE = 'Permission being assigned already exists on the object';
/**
 * How Graph's 400 refusing to remove a group's last owner begins. The reference (group-delete-owners) only says
 * the last owner (a user) cannot be removed; this text is the one Graph answers, as reported in
 * microsoftgraph/microsoft-graph-docs-contrib#3741: "The group must have at least one owner, hence this owner
 * cannot be removed."
 */
export const LAST_OWNER_MESSAGE = 'The group must have at least one owner';

const id = encodeURIComponent;

function groupRelationPath(resource: GroupResource): string {
  return `/groups/${id(resource.groupId)}/${resource.role === 'owner' ? 'owners' : 'members'}`;
}

function assignmentsPath(resource: AppRoleResource): string {
  return `/servicePrincipals/${id(resource.servicePrincipalId)}/appRoleAssignedTo`;
}

/** The application permission Graph wants for writing this resource (see permissions.ts). */
function permissionFor(resource: GroupResource | AppRoleResource): GraphPermission {
  if (resource.type === 'appRole') return GRAPH_PERMISSIONS.appRoleAssignments;
  return resource.role === 'owner' ? GRAPH_PERMISSIONS.groupOwners : GRAPH_PERMISSIONS.groupMembers;
}

/**
 * A failure that will not pass by itself. Graph's 403 Authorization_RequestDenied is said with the application
 * permission the call needs, so whoever reads it knows what to grant.
 */
function failedFor(error: GraphCallError, resource: GroupResource | AppRoleResource): FailedOutcome {
  const outcome = failedWith(error);
  if (error.statusCode !== 403 || error.code !== 'Authorization_RequestDenied') return outcome;
  return { ...outcome, error: `${outcome.error} — the bot's identity lacks the Microsoft Graph application permission ${permissionFor(resource)}` };
}

const notFound = (answer: GraphAnswer) => !answer.ok && answer.error.statusCode === 404;

export function grantGroupStep(userId: string, resource: GroupResource, directoryObjectsUrl: string): Step<GrantOutcome> {
  return {
    request: {
      method: 'POST',
      path: `${groupRelationPath(resource)}/$ref`,
      body: { '@odata.id': `${directoryObjectsUrl}${userId}` },
    },
    settle: (answer) => {
      if (answer.ok || answer.error.is(400, DUPLICATE_REFERENCE_MESSAGE)) return { done: { status: 'delivered' } };
      return { done: failedFor(answer.error, resource) };
    },
  };
}

export function grantAppRoleStep(userId: string, resource: AppRoleResource): Step<GrantOutcome> {
  const path = assignmentsPath(resource);
  return {
    request: {
      method: 'POST',
      path,
      body: { principalId: userId, resourceId: resource.servicePrincipalId, appRoleId: resource.appRoleId },
    },
    settle: (answer) => {
      if (answer.ok) {
        const created = parseGraphResponse(appRoleAssignmentSchema, answer.body, `POST ${path}`);
        return { done: { status: 'delivered', assignmentId: created.id } };
      }
      if (!answer.error.is(400, DUPLICATE_APP_ROLE_MESSAGE)) return { done: failedFor(answer.error, resource) };
      // Already assigned (e.g. written before a crash): find it so its id is kept for removal.
      return {
        then: findAssignmentStep<GrantOutcome>(userId, resource, {
          found: (assignmentId) => ({ done: { status: 'delivered', assignmentId } }),
          // Graph said it exists but does not list it yet (replication lag): worth another try later.
          missing: () => ({
            done: {
              status: 'failed',
              transient: true,
              error: `Graph reported app role ${resource.appRoleId} as already assigned to ${userId}, but the assignment was not found.`,
            },
          }),
          userGone: (answer) => ({ done: failedWith(answer.error) }),
        }),
      };
    },
  };
}

export function revokeGroupStep(userId: string, resource: GroupResource): Step<RevokeOutcome> {
  return {
    request: { method: 'DELETE', path: `${groupRelationPath(resource)}/${id(userId)}/$ref` },
    settle: (answer) => {
      if (answer.ok || notFound(answer)) return { done: { status: 'removed' } };
      if (resource.role === 'owner' && answer.error.is(400, LAST_OWNER_MESSAGE)) {
        return { done: lastOwnerRefusal(userId, resource, answer.error) };
      }
      return { done: failedFor(answer.error, resource) };
    },
  };
}

/**
 * Graph never removes a group's last owner: nothing a retry with backoff changes. The daily retry of failed
 * removals takes it away once someone has added another owner.
 */
function lastOwnerRefusal(userId: string, resource: GroupResource, error: GraphCallError): RevokeOutcome {
  return {
    status: 'failed',
    transient: false,
    refusal: 'lastOwner',
    error:
      `Graph refuses to remove the last owner of group ${resource.groupId}: add another owner to the group, ` +
      `then the daily retry removes ${userId} (${error.message})`,
  };
}

export function revokeAppRoleStep(userId: string, resource: AppRoleResource, assignmentId: string | undefined): Step<RevokeOutcome> {
  if (assignmentId !== undefined) return deleteAssignmentStep(resource, assignmentId);
  return findAssignmentStep<RevokeOutcome>(userId, resource, {
    found: (foundId) => ({ then: deleteAssignmentStep(resource, foundId) }),
    // None (the service principal may be gone too, and its assignments with it): nothing left to remove.
    missing: () => ({ done: { status: 'removed' } }),
    // The user is deleted, and their assignments with them.
    userGone: () => ({ done: { status: 'removed' } }),
  });
}

function deleteAssignmentStep(resource: AppRoleResource, assignmentId: string): Step<RevokeOutcome> {
  return {
    request: { method: 'DELETE', path: `${assignmentsPath(resource)}/${id(assignmentId)}` },
    settle: (answer) => ({ done: answer.ok || notFound(answer) ? { status: 'removed' } : failedFor(answer.error, resource) }),
  };
}

type FailedAnswer = Extract<GraphAnswer, { ok: false }>;

interface LookupEnds<O> {
  found(assignmentId: string): Settled<O>;
  missing(): Settled<O>;
  /** 404 for the user. */
  userGone(answer: FailedAnswer): Settled<O>;
}

/**
 * Pages through the user's app role assignments on the service principal for the user's own one with this app
 * role. `GET /users/{id}/appRoleAssignments?$filter=resourceId eq {sp}` is the supported query: appRoleAssignedTo
 * cannot be filtered on principalId (Graph answers 400), and resourceId is a Guid, so it is not quoted. The list
 * also holds assignments of groups the user is a direct member of, hence the principalId check.
 */
function findAssignmentStep<O>(userId: string, resource: AppRoleResource, ends: LookupEnds<O>, pagePath?: string): Step<O> {
  const path = pagePath ?? `/users/${id(userId)}/appRoleAssignments?$filter=${encodeURIComponent(`resourceId eq ${resource.servicePrincipalId}`)}`;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return {
    request: { method: 'GET', path },
    settle: (answer) => {
      if (!answer.ok) return answer.error.statusCode === 404 ? ends.userGone(answer) : { done: failedFor(answer.error, resource) };
      const page = parseGraphResponse(pageSchema(appRoleAssignmentSchema), answer.body, `GET ${path}`);
      const match = page.value.find(
        (a) => same(a.principalId, userId) && same(a.resourceId, resource.servicePrincipalId) && same(a.appRoleId, resource.appRoleId),
      );
      if (match) return ends.found(match.id);
      const next = page['@odata.nextLink'];
      return next ? { then: findAssignmentStep(userId, resource, ends, nextLinkPath(next)) } : ends.missing();
    },
  };
}
