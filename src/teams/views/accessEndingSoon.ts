import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t } from '../i18n';
import type { AdaptiveCard } from './render';
import { renderRequesterNotice } from './requesterNotice';
import { accessEnd, textContext, type CardViewer, type RequestCardOptions, type TextContext } from './requestParts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Notification #7 to the requester: their access ends in a few days, and what it covers. */
export function renderAccessEndingSoon(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const endsAt = accessEnd(request);
  return renderRequesterNotice(
    {
      title: endsAt ? endingTitle(request.packageName, endsAt, options.now, text) : t(locale, 'endingSoon.titleSoon', { package: request.packageName }),
      titleColor: 'warning',
      message: endsAt ? t(locale, 'endingSoon.message', { date: formatDateTime(endsAt, locale, text.timeZone) }) : '',
      facts: [],
      resources: request.resources.filter((r) => r.status === 'delivered'),
      resourcesHeading: t(locale, 'endingSoon.resourcesHeading'),
      nextStep: t(locale, 'endingSoon.nextStep'),
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
  return new Intl.DateTimeFormat('en-CA', { timeZone: text.timeZone }).format(new Date(iso));
}

