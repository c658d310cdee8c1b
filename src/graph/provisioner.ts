import type { Client } from '@microsoft/microsoft-graph-client';
import type { GrantOutcome, Provisioner } from '../app/ports';
import type { AppRoleResource, GroupResource, Resource } from '../catalog/types';
import { callGraph, GraphCallError, toGraphCallError } from './errors';
import { nextLinkPath } from './graphClient';
import { appRoleAssignmentSchema, pageSchema, parseGraphResponse, UnexpectedGraphResponseError } from './responses';

/** Graph's answers to a write that is already in place (see PRODUCT.md): both count as delivered. */
export const DUPLICATE_REFERENCE_MESSAGE = 'One or more added object references already exist';
export const DUPLICATE_APP_ROLE_MESSAGE = 'Permission being assigned already exists on the object';

/** One Graph write; the shape a `$batch` step needs, so `grant` can later send several in one call. */
export interface GraphWrite {
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
}

export type GraphWriteResult = { ok: true; body: unknown } | { ok: false; error: GraphCallError };

/** A resource's write plus how to read its result. */
interface GrantStep {
  write: GraphWrite;
  settle(result: GraphWriteResult): Promise<GrantOutcome>;
}

export interface GraphProvisionerOptions {
  /** Resources granted at the same time. Default 4. */
  concurrency?: number;
  /** The `@odata.id` prefix of directory objects. Default `https://graph.microsoft.com/v1.0/directoryObjects/`. */
  directoryObjectsUrl?: string;
}

function failed(error: GraphCallError): GrantOutcome {
  return { status: 'failed', transient: error.transient, error: error.message };
}

export class GraphProvisioner implements Provisioner {
  private readonly concurrency: number;
  private readonly directoryObjectsUrl: string;

  constructor(
    private readonly client: Client,
    options: GraphProvisionerOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.directoryObjectsUrl = options.directoryObjectsUrl ?? 'https://graph.microsoft.com/v1.0/directoryObjects/';
  }

  async grant(userId: string, resources: Resource[]): Promise<GrantOutcome[]> {
    const steps = resources.map((resource) => this.stepFor(userId, resource));
    const outcomes = new Array<GrantOutcome>(steps.length);
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      while (nextIndex < steps.length) {
        const index = nextIndex++;
        const step = steps[index];
        try {
          outcomes[index] = await step.settle(await this.send(step.write));
        } catch (err) {
          if (!(err instanceof UnexpectedGraphResponseError)) throw err;
          outcomes[index] = { status: 'failed', transient: false, error: err.message };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, steps.length) }, worker));
    return outcomes;
  }

  private stepFor(userId: string, resource: Resource): GrantStep {
    switch (resource.type) {
      case 'group':
        return this.groupStep(userId, resource);
      case 'appRole':
        return this.appRoleStep(userId, resource);
    }
  }

  private groupStep(userId: string, resource: GroupResource): GrantStep {
    const relation = resource.role === 'owner' ? 'owners' : 'members';
    return {
      write: {
        method: 'POST',
        path: `/groups/${encodeURIComponent(resource.groupId)}/${relation}/$ref`,
        body: { '@odata.id': `${this.directoryObjectsUrl}${userId}` },
      },
      settle: async (result) => {
        if (result.ok || result.error.is(400, DUPLICATE_REFERENCE_MESSAGE)) return { status: 'delivered' };
        return failed(result.error);
      },
    };
  }

  private appRoleStep(userId: string, resource: AppRoleResource): GrantStep {
    const spPath = `/servicePrincipals/${encodeURIComponent(resource.servicePrincipalId)}/appRoleAssignedTo`;
    return {
      write: {
        method: 'POST',
        path: spPath,
        body: { principalId: userId, resourceId: resource.servicePrincipalId, appRoleId: resource.appRoleId },
      },
      settle: async (result) => {
        if (result.ok) {
          const created = parseGraphResponse(appRoleAssignmentSchema, result.body, `POST ${spPath}`);
          return { status: 'delivered', assignmentId: created.id };
        }
        if (!result.error.is(400, DUPLICATE_APP_ROLE_MESSAGE)) return failed(result.error);
        return this.findExistingAssignment(spPath, userId, resource.appRoleId);
      },
    };
  }

  /** After a duplicate answer: the assignment that is already there, so its id can be kept for removal. */
  private async findExistingAssignment(spPath: string, userId: string, appRoleId: string): Promise<GrantOutcome> {
    let path: string | undefined = `${spPath}?$filter=principalId eq ${userId}`;
    try {
      while (path) {
        const pagePath: string = path;
        const body: unknown = await callGraph(() => this.client.api(pagePath).get());
        const page = parseGraphResponse(pageSchema(appRoleAssignmentSchema), body, `GET ${pagePath}`);
        const match = page.value.find(
          (a) => a.principalId.toLowerCase() === userId.toLowerCase() && a.appRoleId.toLowerCase() === appRoleId.toLowerCase(),
        );
        if (match) return { status: 'delivered', assignmentId: match.id };
        const next = page['@odata.nextLink'];
        path = next ? nextLinkPath(next) : undefined;
      }
    } catch (err) {
      if (err instanceof GraphCallError) return failed(err);
      throw err;
    }
    // Graph said it exists but does not list it yet (replication lag): worth another try later.
    return {
      status: 'failed',
      transient: true,
      error: `Graph reported app role ${appRoleId} as already assigned to ${userId}, but the assignment was not found.`,
    };
  }

  private async send(write: GraphWrite): Promise<GraphWriteResult> {
    try {
      const body: unknown = await this.client.api(write.path).post(write.body);
      return { ok: true, body };
    } catch (err) {
      const error = toGraphCallError(err);
      if (!error) throw err;
      return { ok: false, error };
    }
  }
}
