import type { Client } from '@microsoft/microsoft-graph-client';
import type { GrantOutcome, Provisioner, RevokeOutcome } from '../app/ports';
import type { Resource } from '../catalog/types';
import { sendBatch } from './batch';
import { BatchRunner, type Step } from './batchRunner';
import { splitGraphBaseUrl } from './graphClient';
import { systemRetryEnvironment, type RetryEnvironment, type RetryOptions } from './retry';
import { grantAppRoleStep, grantGroupStep, revokeAppRoleStep, revokeGroupStep } from './steps';

export { DUPLICATE_APP_ROLE_MESSAGE, DUPLICATE_REFERENCE_MESSAGE } from './steps';

export interface GraphProvisionerOptions {
  /**
   * The Graph base URL the client talks to (GRAPH_BASE_URL, e.g. `https://graph.microsoft.us/v1.0`): the
   * `@odata.id` of a new member or owner is built from it, so a national cloud is never sent public-cloud URLs.
   * Required: there is no default cloud.
   */
  graphBaseUrl: string;
  /** Retries of transient answers within one grant/revoke call (defaults: 4 attempts, 30 s in total). */
  retry?: RetryOptions;
  /** Clock, sleep and jitter source (tests). */
  environment?: RetryEnvironment;
}

/**
 * Grants and removes access through Graph `$batch`: ⌈n/20⌉ round trips for n resources when nothing fails, each
 * inner answer settled on its own, transient ones retried within a bounded budget per call.
 */
export class GraphProvisioner implements Provisioner {
  private readonly directoryObjectsUrl: string;
  private readonly runner: BatchRunner;

  constructor(client: Client, options: GraphProvisionerOptions) {
    this.directoryObjectsUrl = directoryObjectsUrl(options.graphBaseUrl);
    this.runner = new BatchRunner(
      (requests) => sendBatch(client, requests),
      options.retry ?? {},
      options.environment ?? systemRetryEnvironment,
    );
  }

  grant(userId: string, resources: Resource[]): Promise<GrantOutcome[]> {
    const steps = resources.map((resource): Step<GrantOutcome> => {
      switch (resource.type) {
        case 'group':
          return grantGroupStep(userId, resource, this.directoryObjectsUrl);
        case 'appRole':
          return grantAppRoleStep(userId, resource);
      }
    });
    return this.runner.run(steps);
  }

  revoke(userId: string, deliveries: Array<{ resource: Resource; assignmentId?: string }>): Promise<RevokeOutcome[]> {
    const steps = deliveries.map(({ resource, assignmentId }): Step<RevokeOutcome> => {
      switch (resource.type) {
        case 'group':
          return revokeGroupStep(userId, resource);
        case 'appRole':
          return revokeAppRoleStep(userId, resource, assignmentId);
      }
    });
    return this.runner.run(steps);
  }
}

/** `https://graph.microsoft.us/v1.0` → `https://graph.microsoft.us/v1.0/directoryObjects/`: the `@odata.id` prefix. */
export function directoryObjectsUrl(graphBaseUrl: string): string {
  const { root, version } = splitGraphBaseUrl(graphBaseUrl);
  return `${root}${version}/directoryObjects/`;
}
