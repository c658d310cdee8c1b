import { isReprocessable, reprocessDeadline } from '../../domain/reprocess';
import type { AccessRequest } from '../../domain/request';
import { formatDateTime, stateText, t, type Locale } from '../i18n';
import { VERBS } from '../verbs';
import { renderTemplate, type AdaptiveCard } from './render';
import { resourceLabel } from './requestParts';

export interface FailedRequestsModel {
  /** Display names of the catalogs that alert this channel (none: the channel is nobody's). */
  catalogNames: string[];
  requests: AccessRequest[];
  now: Date;
}

/** The `failed` command in a channel: every failed delivery of its catalogs, to select and reprocess at once. */
export function renderFailedRequests(model: FailedRequestsModel, locale: Locale): AdaptiveCard {
  const catalogs = model.catalogNames.join(', ');
  const selectable = model.requests.filter((r) => isReprocessable(r, model.now));
  return renderTemplate('failedRequests', {
    title: t(locale, 'failed.title'),
    showNothing: selectable.length === 0,
    nothing: model.catalogNames.length === 0 ? t(locale, 'failed.noCatalog') : t(locale, 'failed.nothing', { catalogs }),
    showList: selectable.length > 0,
    intro: t(locale, 'failed.intro', { catalogs }),
    selectLabel: t(locale, 'failed.selectLabel'),
    selectError: t(locale, 'failed.selectError'),
    choices: selectable.map((request) => ({
      title: t(locale, 'failed.choice', {
        requester: request.requester.displayName,
        package: request.packageName,
        state: stateText(locale, request.state),
      }),
      value: request.id,
    })),
    reprocessTitle: t(locale, 'reprocess.button'),
    reprocessVerb: VERBS.reprocess,
    rows: model.requests.map((request) => {
      const deadline = reprocessDeadline(request);
      const window =
        deadline && isReprocessable(request, model.now)
          ? t(locale, 'failed.reprocessUntil', { date: formatDateTime(deadline.toISOString(), locale) })
          : t(locale, 'failed.windowOver');
      const notDelivered = request.resources.filter((r) => r.status !== 'delivered').map((r) => resourceLabel(r.resource, locale, r));
      return {
        name: t(locale, 'failed.rowTitle', { requester: request.requester.displayName, package: request.packageName }),
        details: t(locale, 'failed.details', {
          state: stateText(locale, request.state),
          date: request.completedAt ? formatDateTime(request.completedAt, locale) : '—',
          window,
        }),
        failures: t(locale, 'failed.failures', { resources: notDelivered.join(', ') }),
        historyTitle: t(locale, 'history.button'),
        historyVerb: VERBS.history,
        requestId: request.id,
        version: request.version,
      };
    }),
  });
}
