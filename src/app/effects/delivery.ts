/** Effects that write to Graph and commit the outcome: `deliver` (grant) and `revoke` (removal at the end). */
import { recordRemoval, type RemovalResult } from '../../domain/expiry';
import type { ResourceDelivery } from '../../domain/request';
import { recordDelivery, undeliveredResources, type GrantResult } from '../../domain/transitions';
import type { AppContext } from '../context';
import type { AuditNote, LoadedRequest, PendingEffect } from '../ports';
import { policyOf } from '../requestPolicy';

export async function runDeliver(ctx: AppContext, loaded: LoadedRequest, _pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const { request } = loaded;
  const todo = undeliveredResources(request);
  const outcomes = await ctx.provisioner.grant(request.requester.id, todo.map((r) => r.resource));
  const results: GrantResult[] = todo.map((r, i) => ({ key: r.key, ...outcomes[i] }));
  for (const result of results) {
    ctx.logger.info({ requestId: request.id, resource: result.key, status: result.status, error: result.status === 'failed' ? result.error : undefined }, 'graph write');
  }
  const { next, effects } = recordDelivery(request, results, policyOf(ctx.catalog, request), ctx.clock.now());
  const audit = graphAudit('graphWrite', todo, results);
  const recorded = await ctx.store.commit(loaded, next, { effects, completedEffectIds: done, audit });
  ctx.logger.info({ requestId: request.id, state: next.state }, 'delivery recorded');
  return recorded;
}

export async function runRevoke(ctx: AppContext, loaded: LoadedRequest, _pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const { request } = loaded;
  const todo = request.resources.filter((r) => r.status === 'delivered');
  const outcomes = await ctx.provisioner.revoke(request.requester.id, todo);
  const results: RemovalResult[] = todo.map((r, i) => ({ key: r.key, ...outcomes[i] }));
  const { next, effects } = recordRemoval(request, results, ctx.clock.now());
  const audit = graphAudit('graphRemove', todo, results);
  const recorded = await ctx.store.commit(loaded, next, { effects, completedEffectIds: done, audit });
  ctx.logger.info({ requestId: request.id, state: next.state }, 'removal recorded');
  return recorded;
}

/** One audit note per Graph write or removal: the resource, and 'delivered'/'removed' or why it failed. */
function graphAudit(action: string, todo: ResourceDelivery[], results: (GrantResult | RemovalResult)[]): AuditNote[] {
  return results.map((r, i) => ({
    action,
    detail: describeDelivery(todo[i]),
    outcome: r.status === 'failed' ? `failed${r.transient ? ' (will retry)' : ''}: ${r.error}` : r.status,
  }));
}

/** A resource in plain words for the audit trail: its display names when the request has them, else its ids. */
export function describeDelivery({ resource, displayName, appDisplayName }: ResourceDelivery): string {
  return resource.type === 'group'
    ? `group ${displayName ?? resource.groupId} (${resource.role})`
    : `app role ${displayName ?? resource.appRoleId} of ${appDisplayName ?? resource.servicePrincipalId}`;
}
