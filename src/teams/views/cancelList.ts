import { isOpenFailure } from '../../domain/reprocess';
import type { AccessRequest } from '../../domain/request';
import { formatDateTime, stateText, t, type Locale } from '../i18n';
import { VERBS } from '../verbs';
import type { OverviewOptions } from './myRequests';
import { renderTemplate, type AdaptiveCard } from './render';
import { requestName } from './requestParts';

export interface CancelListModel {
  /** The requester's requests that may still be canceled. */
  requests: AccessRequest[];
}

/**
 * The `cancel` command: one row per cancelable request, each with its own Cancel button; a failed delivery says
 * when it completed (canceling it removes what it delivered).
 */
export function renderCancelList(model: CancelListModel, locale: Locale, options: OverviewOptions): AdaptiveCard {
  const { requests } = model;
  return renderTemplate('cancelList', {
    title: t(locale, 'cancel.title'),
    showNothing: requests.length === 0,
    nothingToCancel: t(locale, 'message.nothingToCancel'),
    showList: requests.length > 0,
    intro: t(locale, 'cancel.intro'),
    rows: requests.map((request) => ({
      name: requestName(request, locale),
      details: isOpenFailure(request)
        ? t(locale, 'cancel.detailsFailed', {
            date: formatDateTime(request.completedAt ?? request.updatedAt, locale, options.timeZone),
            state: stateText(locale, request.state),
          })
        : t(locale, 'cancel.details', {
            date: formatDateTime(request.submittedAt, locale, options.timeZone),
            state: stateText(locale, request.state),
          }),
      buttonTitle: t(locale, 'cancel.button'),
      verb: VERBS.cancelRequest,
      requestId: request.id,
      version: request.version,
    })),
  });
}
