import { isReprocessable, reprocessDeadline, REPROCESS_WINDOW_DAYS, REPROCESSABLE_STATES } from '../../domain/reprocess';
import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { VERBS } from '../verbs';
import { renderTemplate, type AdaptiveCard } from './render';
import { fact, resourceSection, stateBadge, textContext, type CardViewer, type RequestCardOptions, type TextColor } from './requestParts';

function titleKey(request: AccessRequest): MessageKey {
  switch (request.state) {
    case 'deliveryFailed':
      return 'alert.titleFailed';
    case 'partiallyDelivered':
      return 'alert.titlePartial';
    case 'delivering':
      return 'alert.titleDelivering';
    case 'delivered':
      return 'alert.titleDelivered';
    default:
      return 'alert.titleOther';
  }
}

/**
 * The managers' alert in the catalog's channel: which request, whose, which access failed and why, and until
 * when it can be reprocessed. Re-rendered as the request moves on (delivering, delivered after a reprocess).
 */
export function renderDeliveryFailedAlert(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const failed = REPROCESSABLE_STATES.includes(request.state);
  const reprocessable = isReprocessable(request, options.now);
  const deadline = reprocessDeadline(request);
  const facts = [
    fact(t(locale, 'fact.requestId'), request.id),
    fact(t(locale, 'fact.requester'), request.requester.mail ? `${request.requester.displayName} (${request.requester.mail})` : request.requester.displayName),
    fact(t(locale, 'fact.package'), request.packageName),
    fact(t(locale, 'fact.status'), t(locale, `state.${request.state}`)),
    ...(request.completedAt ? [fact(t(locale, 'fact.completed'), formatDateTime(request.completedAt, locale, text.timeZone))] : []),
  ];
  let window = '';
  let windowColor: TextColor = 'default';
  if (reprocessable && deadline) window = t(locale, 'alert.reprocessUntil', { date: formatDateTime(deadline.toISOString(), locale, text.timeZone) });
  else if (failed) {
    window = t(locale, 'alert.windowOver', { days: REPROCESS_WINDOW_DAYS });
    windowColor = 'warning';
  } else if (request.reprocessedAt) window = t(locale, 'alert.reprocessedAt', { date: formatDateTime(request.reprocessedAt, locale, text.timeZone) });
  return renderTemplate('deliveryFailedAlert', {
    title: t(locale, titleKey(request), { requester: request.requester.displayName, package: request.packageName }),
    ...stateBadge(request.state, locale),
    showIntro: failed,
    intro: t(locale, 'alert.intro'),
    facts,
    resourcesHeading: t(locale, 'alert.resourcesHeading'),
    ...resourceSection(request.resources, locale),
    showWindow: window.length > 0,
    window,
    windowColor,
    showActions: reprocessable,
    reprocessTitle: t(locale, 'reprocess.button'),
    reprocessVerb: VERBS.reprocess,
    historyTitle: t(locale, 'history.button'),
    historyVerb: VERBS.history,
    requestId: request.id,
    version: request.version,
  });
}
