import type { CatalogIndex } from '../catalog/loader';
import type { ApprovalStage, Policy } from '../catalog/types';
import type { AccessRequest } from '../domain/request';

/** The catalog changed under a stored request (package or policy removed): its approval cannot go on. */
export class CatalogDriftError extends Error {
  constructor(request: AccessRequest) {
    super(`request ${request.id}: policy ${request.packageId}/${request.policyId} is no longer in the catalog`);
    this.name = 'CatalogDriftError';
  }
}

export function policyOf(catalog: CatalogIndex, request: AccessRequest): Policy {
  const policy = catalog.findPolicy(request.packageId, request.policyId);
  if (!policy) throw new CatalogDriftError(request);
  return policy;
}

/** The policy of the stage the request is in (or is about to enter) and how many stages there are. */
export function stagePolicyOf(catalog: CatalogIndex, request: AccessRequest, index = Math.max(0, request.stages.length - 1)): { stage: ApprovalStage; stageCount: number } {
  const { stages } = policyOf(catalog, request).approval;
  const stage = stages[index];
  if (!stage) throw new CatalogDriftError(request);
  return { stage, stageCount: stages.length };
}
