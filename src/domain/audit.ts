/**
 * The words of the automatic 'transition' audit row: which state the request left and entered, and what
 * else changed (a decision, a stage, deliveries), read off the two versions of the request.
 */
import type { AccessRequest, StageState } from './request';

export interface TransitionSummary {
  /** `submitted → pendingApproval`; `→ submitted` for a new request. */
  states: string;
  /** What changed besides the state, in plain words; empty when nothing else did. */
  detail: string;
}

export function summarizeTransition(previous: AccessRequest | undefined, next: AccessRequest): TransitionSummary {
  const states = `${previous?.state ?? ''} → ${next.state}`.trim();
  if (!previous) return { states, detail: `request for ${next.packageName} submitted by ${next.requester.displayName}` };
  const parts = [
    ...next.stages.flatMap((stage) => stageChanges(previous.stages.find((s) => s.index === stage.index), stage)),
    ...deliveryChanges(previous, next),
  ];
  if (next.reprocessedAt && next.reprocessedAt !== previous.reprocessedAt) parts.push('delivery reprocessed');
  return { states, detail: parts.join('; ') };
}

function stageChanges(before: StageState | undefined, after: StageState): string[] {
  const name = `stage ${after.index + 1}`;
  const changes: string[] = [];
  if (!before) changes.push(`${name} started with ${after.approverIds.length} approver(s)${after.usedFallback ? ' (fallback)' : ''}`);
  if (after.remindedAt && !before?.remindedAt) changes.push(`${name} approvers reminded`);
  if (after.escalatedAt && !before?.escalatedAt) changes.push(`${name} forwarded to ${after.forwardedTo?.length ?? 0} alternate approver(s)`);
  if (after.decision && !before?.decision) changes.push(`${name} ${after.decision.outcome} by ${after.decision.by.displayName}`);
  return changes;
}

function deliveryChanges(previous: AccessRequest, next: AccessRequest): string[] {
  const changed = next.resources.filter((r) => {
    const before = previous.resources.find((p) => p.key === r.key);
    return !before || before.status !== r.status || before.attempts !== r.attempts;
  });
  if (changed.length === 0) return [];
  const count = (status: string) => next.resources.filter((r) => r.status === status).length;
  return [`resources: ${count('delivered')} delivered, ${count('pending')} pending, ${count('failed')} failed`];
}
