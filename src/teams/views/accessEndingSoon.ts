import { hasAccess } from '../../domain/expiry';
import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t } from '../i18n';
import { VERBS } from '../verbs';
import type { AdaptiveCard } from './render';
import { renderRequesterNotice } from './requesterNotice';
import { accessEnd, textContext, type CardViewer, type RequestCardOptions, type TextContext } from './requestParts';
import { dateTimeFormat } from '../../dateFormats';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Notification #7 to the requester: their access ends in a few days, and what it covers; Extend when the policy
 * allows it now. Re-rendered when the access is extended (new date), an extension waits for approval, or it ended.
 */
export function renderAccessEndingSoon(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const endsAt = accessEnd(request);
  const date = endsAt ? formatDateTime(endsAt, locale, text.timeZone) : '';
  if (!hasAccess(request)) {
    return renderRequesterNotice(
      {
        title: t(locale, 'ended.title', { package: request.packageName }),
        titleColor: 'default',
        message: t(locale, 'ended.message', { date: date || formatDateTime(request.updatedAt, locale, text.timeZone) }),
        facts: [],
        resources: [],
        resourcesHeading: '',
        nextStep: t(locale, 'ended.nextStep'),
      },
      locale,
    );
  }
  const pending = request.pendingExtension;
  const messages = [
    endsAt ? t(locale, request.extendedAt ? 'extension.extended' : 'endingSoon.message', { date }) : '',
    pending ? t(locale, 'extension.pending', { date: formatDateTime(pending.newEndsAt, locale, text.timeZone) }) : '',
  ];
  const extendable = options.extendable === true && viewer.id === request.requester.id;
  return renderRequesterNotice(
    {
      title: endsAt ? endingTitle(request.packageName, endsAt, options.now, text) : t(locale, 'endingSoon.titleSoon', { package: request.packageName }),
      titleColor: 'warning',
      message: messages.filter(Boolean).join(' '),
      facts: [],
      resources: request.resources.filter((r) => r.status === 'delivered'),
      resourcesHeading: t(locale, 'endingSoon.resourcesHeading'),
      nextStep: t(locale, extendable ? 'extension.nextStep' : 'endingSoon.nextStep'),
      ...(extendable ? { action: { title: t(locale, 'extension.extend'), verb: VERBS.extendAccess, request } } : {}),
    },
    locale,
  );
}

/**
 * "ends in 14 days" counts whole days, rounded up, so a reminder sent a little after its due time still says 14;
 * within the last day it says "today" or "tomorrow" by the calendar of the viewer's zone.
 */
function endingTitle(packageName: string, endsAt: string, now: Date, text: TextContext): string {
  const { locale } = text;
  const days = Math.ceil((Date.parse(endsAt) - now.getTime()) / DAY_MS);
  const words = { package: packageName, days };
  if (days <= 0 || calendarDay(endsAt, text) === calendarDay(now.toISOString(), text)) return t(locale, 'endingSoon.titleToday', words);
  if (days === 1) return t(locale, 'endingSoon.titleTomorrow', words);
  return t(locale, 'endingSoon.titleDays', words);
}

function calendarDay(iso: string, text: TextContext): string {
  return dateTimeFormat('en-CA', 'date', {}, text.timeZone).format(new Date(iso));
}
