/** Turns a stage's approver references into the people to ask, through the directory. */
import type { ApprovalStage, ApproverRef } from '../catalog/types';
import type { Directory } from './ports';

export interface StageApprovers {
  approverIds: string[];
  usedFallback: boolean;
}

async function resolveRef(directory: Directory, ref: ApproverRef, requesterId: string): Promise<string[]> {
  if ('user' in ref) return [ref.user];
  if ('group' in ref) return directory.listTransitiveMemberUserIds(ref.group);
  const manager = await directory.getManager(requesterId);
  return manager ? [manager.id] : [];
}

/** The people a list of approver references names, without the requester (nobody approves their own request). */
export async function resolveApproverRefs(directory: Directory, refs: ApproverRef[], requesterId: string): Promise<string[]> {
  const lists = await Promise.all(refs.map((ref) => resolveRef(directory, ref, requesterId)));
  return [...new Set(lists.flat())].filter((id) => id !== requesterId);
}

/**
 * The stage's approvers; the fallback approvers when those resolve to nobody but the requester;
 * and when even those are empty, the administrators (`lastResort`), so a request is never left with nobody to ask.
 */
export async function resolveStageApprovers(
  directory: Directory,
  stage: ApprovalStage,
  requesterId: string,
  lastResort: readonly string[],
): Promise<StageApprovers> {
  const primary = await resolveApproverRefs(directory, stage.approvers, requesterId);
  if (primary.length > 0) return { approverIds: primary, usedFallback: false };
  const fallback = await resolveApproverRefs(directory, stage.fallbackApprovers, requesterId);
  if (fallback.length > 0) return { approverIds: fallback, usedFallback: true };
  return { approverIds: lastResort.filter((id) => id !== requesterId), usedFallback: true };
}
