/** Effect `syncPackageIndex`: the request's row in its package's index follows the request (domain/packageIndex.ts). */
import { packageRequestRow } from '../../domain/packageIndex';
import type { AppContext } from '../context';
import type { LoadedRequest } from '../ports';

export async function runSyncPackageIndex(ctx: AppContext, loaded: LoadedRequest): Promise<void> {
  const { request } = loaded;
  await ctx.packages.setRequest(request.packageId, request.id, packageRequestRow(request));
}
