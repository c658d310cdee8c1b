/** Reads what the person's other access grants (domain/sharedResources.ts): their latest request of each package. */
import type { AccessRequest } from '../domain/request';
import { otherAccess, type OtherAccess } from '../domain/sharedResources';
import type { AppContext } from './context';

/** One partition read of the person's records, then one read per other package they have a record for. */
export async function otherAccessOf(ctx: AppContext, request: AccessRequest): Promise<OtherAccess> {
  const records = await ctx.claims.listForPerson(request.requester.id);
  const others = await Promise.all(records.filter((r) => r.requestId !== request.id).map((r) => ctx.store.get(r.requestId)));
  return otherAccess(request, others.flatMap((loaded) => (loaded ? [loaded.request] : [])));
}
