import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t } from '../i18n';
import type { AdaptiveCard } from './render';
import { renderRequesterNotice } from './requesterNotice';
import { accessEnd, resourceLabel, textContext, type CardViewer, type RequestCardOptions } from './requestParts';

/** Notification #8 to the requester: the access ended and was removed; how to ask again. */
export function renderAccessEnded(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const endedAt = accessEnd(request) ?? request.updatedAt;
  // What another access package of the person still grants stayed with them: said apart, not listed as removed.
  const kept = request.resources.filter((r) => r.keptBy);
  const keptLines = kept.map((r) => t(locale, 'ended.kept', { resource: resourceLabel(r.resource, locale, r), package: r.keptBy ?? '' }));
  const removed = request.resources.filter((r) => r.status === 'removed' && !r.keptBy);
  const date = formatDateTime(endedAt, locale, text.timeZone);
  return renderRequesterNotice(
    {
      title: t(locale, 'ended.title', { package: request.packageName }),
      titleColor: 'default',
      message: [t(locale, removed.length > 0 ? 'ended.message' : 'ended.messageNothingRemoved', { date }), ...keptLines].join(' '),
      facts: [],
      resources: removed,
      resourcesHeading: t(locale, 'ended.resourcesHeading'),
      nextStep: t(locale, 'ended.nextStep'),
    },
    locale,
  );
}
