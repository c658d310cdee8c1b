import { isBeingCanceled } from '../../domain/lifecycle';
import { isOpenFailure, isReprocessable, reprocessDeadline, REPROCESS_WINDOW_DAYS } from '../../domain/reprocess';
import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t, type Locale, type MessageKey } from '../i18n';
import { VERBS } from '../verbs';
import { renderTemplate, type AdaptiveCard } from './render';
import {
  accessEnd,
  fact,
  resourceSection,
  stateBadge,
  textContext,
  type CardViewer,
  type Fact,
  type RequestCardOptions,
  type TextColor,
  type TextContext,
} from './requestParts';

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
 * when it can be reprocessed. Re-rendered as the request moves on (delivering, delivered after a reprocess; canceled
 * by the requester, while what it delivered is removed and after).
 */
export function renderDeliveryFailedAlert(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  if (request.canceledAt) return renderCanceledAlert(request, request.canceledAt, text);
  const failed = isOpenFailure(request);
  const reprocessable = isReprocessable(request, options.now);
  const deadline = reprocessDeadline(request);
  let window = '';
  let windowColor: TextColor = 'default';
  if (reprocessable && deadline) window = t(locale, 'alert.reprocessUntil', { date: formatDateTime(deadline.toISOString(), locale, text.timeZone) });
  else if (failed) {
    window = t(locale, 'alert.windowOver', { days: REPROCESS_WINDOW_DAYS });
    windowColor = 'warning';
  } else if (request.reprocessedAt) window = t(locale, 'alert.reprocessedAt', { date: formatDateTime(request.reprocessedAt, locale, text.timeZone) });
  return renderAlert(request, text, {
    title: t(locale, titleKey(request), { requester: request.requester.displayName, package: request.packageName }),
    badge: stateBadge(request.state, locale),
    intro: failed ? t(locale, 'alert.intro') : '',
    facts: request.completedAt ? [fact(t(locale, 'fact.completed'), formatDateTime(request.completedAt, locale, text.timeZone))] : [],
    window,
    windowColor,
    showActions: reprocessable,
    showReprocess: true,
  });
}

/** The requester canceled the failed delivery: no Reprocess any more; History stays. */
function renderCanceledAlert(request: AccessRequest, canceledAt: string, text: TextContext): AdaptiveCard {
  const { locale } = text;
  const removing = isBeingCanceled(request);
  const words = { requester: request.requester.displayName, date: formatDateTime(canceledAt, locale, text.timeZone) };
  return renderAlert(request, text, {
    title: t(locale, 'alert.titleCanceled', { requester: request.requester.displayName, package: request.packageName }),
    badge: removing ? { stateText: t(locale, 'status.canceling'), stateColor: 'default' } : stateBadge(request.state, locale),
    intro: t(locale, removing ? 'alert.canceledRemoving' : 'alert.canceled', words),
    facts: request.completedAt ? [fact(t(locale, 'fact.completed'), formatDateTime(request.completedAt, locale, text.timeZone))] : [],
    window: '',
    windowColor: 'default',
    showActions: true,
    showReprocess: false,
  });
}

/**
 * The managers' alert when Graph refused to remove access that ended (posted once, when a removal first fails for
 * good): whose access, which package, which resource and why — a group's last owner said in words — and that the
 * bot tries again daily. Re-rendered as the daily retries go on, until everything is removed.
 */
export function renderRemovalFailedAlert(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const failing = request.resources.some((r) => r.status === 'removalFailed');
  const words = { requester: request.requester.displayName, package: request.packageName };
  const endedAt = accessEnd(request);
  return renderAlert(request, text, {
    title: t(locale, failing ? 'removalAlert.title' : 'removalAlert.titleRemoved', words),
    badge: failing ? { stateText: t(locale, 'delivery.removalFailed'), stateColor: 'attention' } : stateBadge(request.state, locale),
    intro: failing ? t(locale, 'removalAlert.intro', words) : '',
    facts: endedAt ? [fact(t(locale, 'fact.accessEnds'), formatDateTime(endedAt, locale, text.timeZone))] : [],
    window: failing ? t(locale, 'removalAlert.retry') : '',
    windowColor: 'default',
    showActions: true,
    showReprocess: false,
  });
}

interface AlertParts {
  title: string;
  badge: { stateText: string; stateColor: TextColor };
  /** Empty for none. */
  intro: string;
  /** After the request, requester, package and status. */
  facts: Fact[];
  /** Empty for none. */
  window: string;
  windowColor: TextColor;
  /** History, and Reprocess when `showReprocess`. */
  showActions: boolean;
  showReprocess: boolean;
}

/** Both channel alerts: one template, the request's facts and its per-resource rows with their errors. */
function renderAlert(request: AccessRequest, text: TextContext, parts: AlertParts): AdaptiveCard {
  const { locale } = text;
  return renderTemplate('deliveryFailedAlert', {
    title: parts.title,
    ...parts.badge,
    showIntro: parts.intro.length > 0,
    intro: parts.intro,
    facts: [...requestFacts(request, locale), ...parts.facts],
    resourcesHeading: t(locale, 'alert.resourcesHeading'),
    ...resourceSection(request.resources, locale),
    showWindow: parts.window.length > 0,
    window: parts.window,
    windowColor: parts.windowColor,
    showActions: parts.showActions,
    showReprocess: parts.showReprocess,
    reprocessTitle: t(locale, 'reprocess.button'),
    reprocessVerb: VERBS.reprocess,
    historyTitle: t(locale, 'history.button'),
    historyVerb: VERBS.history,
    requestId: request.id,
    version: request.version,
  });
}

function requestFacts(request: AccessRequest, locale: Locale): Fact[] {
  const { requester } = request;
  return [
    fact(t(locale, 'fact.requestId'), request.id),
    fact(t(locale, 'fact.requester'), requester.mail ? `${requester.displayName} (${requester.mail})` : requester.displayName),
    fact(t(locale, 'fact.package'), request.packageName),
    fact(t(locale, 'fact.status'), t(locale, `state.${request.state}`)),
  ];
}
