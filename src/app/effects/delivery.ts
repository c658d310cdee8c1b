/**
 * Effects that write to Graph and commit the outcome: `deliver` (grant) and `revoke` (removal at the end), each
 * minding what the person's other access grants (domain/sharedResources.ts).
 */
import { recordRemoval, type RemovalResult } from '../../domain/expiry';
import type { ResourceDelivery } from '../../domain/request';
import { keptBy, planGrant, type OtherGrant } from '../../domain/sharedResources';
import { recordDelivery, undeliveredResources, type GrantResult } from '../../domain/transitions';
import { commitRequest } from '../commitRequest';
import type { AppContext } from '../context';
import type { AuditNote, LoadedRequest, PendingEffect } from '../ports';
import { policyOf } from '../requestPolicy';
import { otherAccessOf } from '../sharedResources';

/**
 * Grants what is not delivered yet. A resource another access of the person already grants counts as delivered
 * without a Graph write; one another access is removing right now waits (tried again with the usual backoff, not
 * counted as a failed attempt: the removal ends within its own retries) so the removal cannot take it away after
 * this grant.
 */
export async function runDeliver(ctx: AppContext, loaded: LoadedRequest, _pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const { request } = loaded;
  const todo = undeliveredResources(request);
  const access = await otherAccessOf(ctx, request);
  const plans = todo.map((r) => planGrant(r, access));
  const toWrite = todo.filter((_, i) => plans[i].kind === 'write');
  const written = toWrite.length > 0 ? await ctx.provisioner.grant(request.requester.id, toWrite.map((r) => r.resource)) : [];
  let next = 0;
  const results: GrantResult[] = todo.map((r, i) => {
    const plan = plans[i];
    if (plan.kind === 'write') return { key: r.key, ...written[next++] };
    if (plan.kind === 'alreadyGranted') return { key: r.key, status: 'delivered' };
    return { key: r.key, status: 'waiting', error: `waiting until ${describeOther(plan.by)} has removed it` };
  });
  for (const result of results) {
    ctx.logger.info({ requestId: request.id, resource: result.key, status: result.status, error: 'error' in result ? result.error : undefined }, 'graph write');
  }
  const recorded = recordDelivery(request, results, policyOf(ctx.catalog, request), ctx.clock.now());
  const audit = graphAudit('graphWrite', todo, results, plans.map((p) => (p.kind === 'alreadyGranted' ? `delivered without a Graph write: ${describeOther(p.by)} already grants it` : undefined)));
  const committed = await commitRequest(ctx.store, loaded, recorded.next, { effects: recorded.effects, completedEffectIds: done, audit });
  ctx.logger.info({ requestId: request.id, state: recorded.next.state }, 'delivery recorded');
  return committed;
}

/**
 * Removes what this request delivered, except what another access of the person still grants (kept, and said so
 * on the cards and in the audit trail): that is removed when the last access granting it ends.
 */
export async function runRevoke(ctx: AppContext, loaded: LoadedRequest, _pending: PendingEffect, done: string[]): Promise<LoadedRequest> {
  const { request } = loaded;
  const todo = request.resources.filter((r) => r.status === 'delivered');
  const access = await otherAccessOf(ctx, request);
  const kept = todo.map((r) => keptBy(r, access));
  const toRemove = todo.filter((_, i) => !kept[i]);
  const removed = toRemove.length > 0 ? await ctx.provisioner.revoke(request.requester.id, toRemove) : [];
  let next = 0;
  const results: RemovalResult[] = todo.map((r, i) => {
    const by = kept[i];
    return by ? { key: r.key, status: 'removed', keptBy: by } : { key: r.key, ...removed[next++] };
  });
  const recorded = recordRemoval(request, results, ctx.clock.now());
  const audit = graphAudit('graphRemove', todo, results, kept.map((by) => (by ? `kept: ${describeOther(by)} still grants it` : undefined)));
  const committed = await commitRequest(ctx.store, loaded, recorded.next, { effects: recorded.effects, completedEffectIds: done, audit });
  ctx.logger.info({ requestId: request.id, state: recorded.next.state }, 'removal recorded');
  return committed;
}

function describeOther(by: OtherGrant): string {
  return `${by.packageName} (request ${by.requestId})`;
}

/**
 * One audit note per resource of a Graph write or removal: the resource, and 'delivered'/'removed' or why it failed
 * (or `instead`, when no Graph call was made for it).
 */
function graphAudit(action: string, todo: ResourceDelivery[], results: (GrantResult | RemovalResult)[], instead: (string | undefined)[]): AuditNote[] {
  return results.map((r, i) => ({
    action,
    detail: describeDelivery(todo[i]),
    outcome: instead[i] ?? (r.status === 'failed' ? `failed${r.transient ? ' (will retry)' : ''}: ${r.error}` : 'error' in r ? r.error : r.status),
  }));
}

/** A resource in plain words for the audit trail: its display names when the request has them, else its ids. */
export function describeDelivery({ resource, displayName, appDisplayName }: ResourceDelivery): string {
  return resource.type === 'group'
    ? `group ${displayName ?? resource.groupId} (${resource.role})`
    : `app role ${displayName ?? resource.appRoleId} of ${appDisplayName ?? resource.servicePrincipalId}`;
}
