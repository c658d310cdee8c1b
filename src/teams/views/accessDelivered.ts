import type { AccessRequest } from '../../domain/request';
import { formatDate, t } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import { resourceSection, textContext, type CardViewer, type RequestCardOptions } from './requestParts';

/** Notification #6 to the requester: what they received and until when. */
export function renderAccessDelivered(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const { locale } = textContext(viewer, options);
  return renderTemplate('accessDelivered', {
    title: t(locale, 'delivered.title', { package: request.packageName }),
    showEndDate: Boolean(request.endDate),
    endsOn: request.endDate ? t(locale, 'delivered.endsOn', { date: formatDate(request.endDate, locale) }) : '',
    resourcesHeading: t(locale, 'delivered.resourcesHeading'),
    ...resourceSection(request.resources, locale),
  });
}
