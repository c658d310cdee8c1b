import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t } from '../i18n';
import type { AdaptiveCard } from './render';
import { renderRequesterNotice } from './requesterNotice';
import { accessEnd, textContext, type CardViewer, type RequestCardOptions } from './requestParts';

/** Notification #8 to the requester: the access ended and was removed; how to ask again. */
export function renderAccessEnded(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const endedAt = accessEnd(request) ?? request.updatedAt;
  return renderRequesterNotice(
    {
      title: t(locale, 'ended.title', { package: request.packageName }),
      titleColor: 'default',
      message: t(locale, 'ended.message', { date: formatDateTime(endedAt, locale, text.timeZone) }),
      facts: [],
      resources: request.resources,
      resourcesHeading: t(locale, 'ended.resourcesHeading'),
      nextStep: t(locale, 'ended.nextStep'),
    },
    locale,
  );
}
