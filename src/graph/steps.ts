import type { GrantOutcome, RevokeOutcome } from '../app/ports';
import type { AppRoleResource, GroupResource } from '../catalog/types';
import type { GraphAnswer } from './batch';
import { failedWith, type Settled, type Step } from './batchRunner';
import { nextLinkPath } from './graphClient';
import { appRoleAssignmentSchema, pageSchema, parseGraphResponse } from './responses';

/** Graph's answers to a write that is already in place (see PRODUCT.md): both count as delivered. */
export const DUPLICATE_REFERENCE_MESSAGE = 'One or more added object references already exist';
export const DUPLICATE_APP_ROLE_MESSAGE = 'Permission being assigned already exists on the object';

const id = encodeURIComponent;

function groupRelationPath(resource: GroupResource): string {
  return `/groups/${id(resource.groupId)}/${resource.role === 'owner' ? 'owners' : 'members'}`;
}

function assignmentsPath(resource: AppRoleResource): string {
  return `/servicePrincipals/${id(resource.servicePrincipalId)}/appRoleAssignedTo`;
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
      return { done: failedWith(answer.error) };
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
      if (!answer.error.is(400, DUPLICATE_APP_ROLE_MESSAGE)) return { done: failedWith(answer.error) };
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
          notFound: (answer) => ({ done: failedWith(answer.error) }),
        }),
      };
    },
  };
}

export function revokeGroupStep(userId: string, resource: GroupResource): Step<RevokeOutcome> {
  return {
    request: { method: 'DELETE', path: `${groupRelationPath(resource)}/${id(userId)}/$ref` },
    settle: (answer) => ({ done: answer.ok || notFound(answer) ? { status: 'removed' } : failedWith(answer.error) }),
  };
}

export function revokeAppRoleStep(userId: string, resource: AppRoleResource, assignmentId: string | undefined): Step<RevokeOutcome> {
  if (assignmentId !== undefined) return deleteAssignmentStep(resource, assignmentId);
  return findAssignmentStep<RevokeOutcome>(userId, resource, {
    found: (foundId) => ({ then: deleteAssignmentStep(resource, foundId) }),
    missing: () => ({ done: { status: 'removed' } }),
    // The service principal is gone, and its assignments with it.
    notFound: () => ({ done: { status: 'removed' } }),
  });
}

function deleteAssignmentStep(resource: AppRoleResource, assignmentId: string): Step<RevokeOutcome> {
  return {
    request: { method: 'DELETE', path: `${assignmentsPath(resource)}/${id(assignmentId)}` },
    settle: (answer) => ({ done: answer.ok || notFound(answer) ? { status: 'removed' } : failedWith(answer.error) }),
  };
}

type FailedAnswer = Extract<GraphAnswer, { ok: false }>;

interface LookupEnds<O> {
  found(assignmentId: string): Settled<O>;
  missing(): Settled<O>;
  notFound(answer: FailedAnswer): Settled<O>;
}

/** Pages through the user's assignments on the service principal for the one with this app role. */
function findAssignmentStep<O>(userId: string, resource: AppRoleResource, ends: LookupEnds<O>, pagePath?: string): Step<O> {
  const path = pagePath ?? `${assignmentsPath(resource)}?$filter=${encodeURIComponent(`principalId eq ${userId}`)}`;
  return {
    request: { method: 'GET', path },
    settle: (answer) => {
      if (!answer.ok) return answer.error.statusCode === 404 ? ends.notFound(answer) : { done: failedWith(answer.error) };
      const page = parseGraphResponse(pageSchema(appRoleAssignmentSchema), answer.body, `GET ${path}`);
      const match = page.value.find(
        (a) =>
          a.principalId.toLowerCase() === userId.toLowerCase() && a.appRoleId.toLowerCase() === resource.appRoleId.toLowerCase(),
      );
      if (match) return ends.found(match.id);
      const next = page['@odata.nextLink'];
      return next ? { then: findAssignmentStep(userId, resource, ends, nextLinkPath(next)) } : ends.missing();
    },
  };
}
