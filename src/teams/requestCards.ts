import { policyOf } from '../app/requestPolicy';
import type { CatalogIndex } from '../catalog/loader';
import type { CardKind } from '../domain/effects';
import type { AccessRequest } from '../domain/request';
import { renderRequestCard, type AdaptiveCard } from './views';
import type { Locale } from './i18n';

/** A request's card as one person sees it now, with the stage facts the view needs from the catalog. */
export function requestCardFor(
  catalog: CatalogIndex,
  kind: CardKind,
  request: AccessRequest,
  viewer: { id: string; locale: Locale },
  now: Date,
): AdaptiveCard {
  const { stages } = policyOf(catalog, request).approval;
  const stage = stages[Math.max(0, request.stages.length - 1)];
  return renderRequestCard(kind, request, viewer, {
    now,
    stageCount: stages.length,
    approverJustificationRequired: stage?.approverJustificationRequired ?? false,
  });
}
