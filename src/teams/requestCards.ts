import { policyOf } from '../app/requestPolicy';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import { extensionCheck } from '../domain/expiry';
import type { AccessRequest } from '../domain/request';
import { renderRequestCard, type AdaptiveCard } from './views';
import type { Locale } from './i18n';

/**
 * A request's card as one person sees it now, with the stage facts the view needs from the catalog.
 * `teamsUserIds`: the approvers' Teams user ids, for an approval card's `refresh` (TeamsUserIds.forApprovers).
 */
export function requestCardFor(
  catalog: CatalogIndex,
  kind: CardKind,
  request: AccessRequest,
  viewer: { id: string; locale: Locale },
  now: Date,
  teamsUserIds?: Readonly<Record<string, string>>,
): AdaptiveCard {
  const policy = policyOf(catalog, request);
  const { stages } = policy.approval;
  const stage = stages[Math.max(0, request.stages.length - 1)];
  return renderRequestCard(kind, request, viewer, {
    now,
    stageCount: stages.length,
    approverJustificationRequired: stage?.approverJustificationRequired ?? false,
    extendable: kind === 'accessEndingSoon' && !extensionCheck(request, policy, viewer.id, now).refusal,
    ...(teamsUserIds ? { teamsUserIds } : {}),
  });
}

/** The card kinds whose view carries a Universal Actions `refresh` naming the approvers. */
export function refreshesForApprovers(kind: CardKind): boolean {
  return kind === 'approvalRequest' || kind === 'approvalReminder';
}
