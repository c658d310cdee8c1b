import { isOpenFailure } from '../domain/reprocess';
import type { AccessRequest } from '../domain/request';
import type { AppContext } from './context';

/** How many failed requests one catalog contributes to the managers' card. */
export const MAX_FAILED_PER_CATALOG = 50;

/**
 * The failed deliveries (partiallyDelivered / deliveryFailed) of every catalog that sends its alerts to this
 * channel, newest completion first. Index entries whose request has moved on (reprocessed, canceled, being removed)
 * are skipped.
 */
export async function failedRequestsForChannel(ctx: AppContext, channelId: string): Promise<{ catalogIds: string[]; requests: AccessRequest[] }> {
  const catalogIds = ctx.catalog.file.catalogs.filter((c) => c.notificationChannel?.channelId === channelId).map((c) => c.id);
  const ids = (await Promise.all(catalogIds.map((id) => ctx.failedRequests.list(id, MAX_FAILED_PER_CATALOG)))).flat();
  const loaded = await Promise.all(ids.map((id) => ctx.store.get(id)));
  const requests = loaded
    .map((l) => l?.request)
    .filter((r): r is AccessRequest => r !== undefined && isOpenFailure(r))
    .sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));
  return { catalogIds, requests };
}
