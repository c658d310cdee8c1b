import type { ReprocessOutcome } from '../../app/reprocess';
import { errorText, t, type Locale } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import type { TextColor } from './requestParts';

/** The answer to a Reprocess click: each selected request with what happened to it. */
export function renderReprocessOutcome(outcomes: readonly ReprocessOutcome[], locale: Locale): AdaptiveCard {
  const queued = outcomes.filter((o) => o.status === 'queued').length;
  return renderTemplate('reprocessOutcome', {
    title: t(locale, 'reprocessOutcome.title'),
    summary: t(locale, 'reprocessOutcome.summary', { queued, total: outcomes.length }),
    rows: outcomes.map((outcome) => {
      const name = outcome.request
        ? t(locale, 'failed.rowTitle', { requester: outcome.request.requester.displayName, package: outcome.request.packageName })
        : outcome.requestId;
      if (outcome.status === 'queued') {
        return { name, outcome: t(locale, 'reprocessOutcome.queued'), outcomeColor: 'good' satisfies TextColor };
      }
      const reason = errorText(locale, outcome.messageKey, outcome.params);
      return { name, outcome: t(locale, 'reprocessOutcome.refused', { reason }), outcomeColor: 'attention' satisfies TextColor };
    }),
  });
}
