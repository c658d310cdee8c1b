import type { AccessRequest } from '../../domain/request';
import type { CardKind } from '../../domain/effects';
import { renderAccessDelivered } from './accessDelivered';
import { renderAccessEnded } from './accessEnded';
import { renderAccessEndingSoon } from './accessEndingSoon';
import { renderApprovalReminder, renderApprovalRequest } from './approvalRequest';
import { renderDeliveryFailedAlert, renderRemovalFailedAlert } from './deliveryFailedAlert';
import type { AdaptiveCard } from './render';
import type { CardViewer, RequestCardOptions } from './requestParts';
import { renderRequestDenied } from './requestDenied';
import { renderRequestExpired } from './requestExpired';
import { renderRequestStatus } from './requestStatus';

const RENDERERS: Record<
  CardKind,
  (request: AccessRequest, viewer: CardViewer, options: RequestCardOptions) => AdaptiveCard
> = {
  requestStatus: renderRequestStatus,
  approvalRequest: renderApprovalRequest,
  approvalReminder: renderApprovalReminder,
  requestExpired: renderRequestExpired,
  requestDenied: renderRequestDenied,
  accessDelivered: renderAccessDelivered,
  accessEndingSoon: renderAccessEndingSoon,
  accessEnded: renderAccessEnded,
  deliveryFailedAlert: renderDeliveryFailedAlert,
  removalFailedAlert: renderRemovalFailedAlert,
};

/** The card of `kind` about `request` as `viewer` should see it now: a pure function of stored state. */
export function renderRequestCard(
  kind: CardKind,
  request: AccessRequest,
  viewer: CardViewer,
  options: RequestCardOptions,
): AdaptiveCard {
  return RENDERERS[kind](request, viewer, options);
}
