import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { AccessRequest } from '../domain/request';
import type { AppContext } from './context';
import type { AuditEntry } from './ports';
import { managesRequest } from './reprocess';

export interface RequestHistory {
  request: AccessRequest;
  entries: AuditEntry[];
  /** Display names of the people in the trail, by object id (those the directory knows). */
  names: Record<string, string>;
}

/** A request's audit trail, oldest first: for the people who may reprocess it (the same manager roles). */
export async function requestHistory(ctx: AppContext, input: { requestId: string; actorId: string }): Promise<RequestHistory> {
  const loaded = await ctx.store.get(input.requestId);
  if (!loaded) throw new NotFoundError('error.unknownRequest');
  const { request } = loaded;
  if (!managesRequest(ctx.catalog, request, input.actorId)) throw new ForbiddenError('error.notRequestManagerHistory');
  const entries = await ctx.store.listAudit(input.requestId);
  return { request, entries, names: await namesOf(ctx, request, entries) };
}

/** The requester and deciders are on the request; anyone else (a manager who reprocessed, a notified approver) is looked up. */
async function namesOf(ctx: AppContext, request: AccessRequest, entries: AuditEntry[]): Promise<Record<string, string>> {
  const names: Record<string, string> = { [request.requester.id]: request.requester.displayName };
  for (const stage of request.stages) if (stage.decision) names[stage.decision.by.id] = stage.decision.by.displayName;
  const people = entries.flatMap((e) => [e.actorId, e.subjectId]);
  const unknown = [...new Set(people.filter((id): id is string => id !== undefined && !(id in names)))];
  const users = await Promise.all(unknown.map((id) => ctx.directory.getUser(id).catch(() => undefined)));
  users.forEach((user, i) => {
    if (user) names[unknown[i]] = user.displayName;
  });
  return names;
}
