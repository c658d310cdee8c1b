import type { AccessRequest } from '../../domain/request';
import { formatDateTime, t } from '../i18n';
import type { AdaptiveCard } from './render';
import { renderRequesterNotice } from './requesterNotice';
import { fact, requestedDateFacts, requestName, submittedFact, textContext, type CardViewer, type RequestCardOptions } from './requestParts';

/** Notification #3 to the requester: no approver decided in time. */
export function renderRequestExpired(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const lastStage = request.stages[request.stages.length - 1];
  const deadline = formatDateTime(lastStage?.dueAt ?? request.completedAt ?? request.updatedAt, locale, text.timeZone);
  return renderRequesterNotice(
    {
      title: t(locale, 'expired.title', { package: requestName(request, locale) }),
      titleColor: 'warning',
      message: t(locale, 'expired.message', { date: deadline }),
      facts: [fact(t(locale, 'fact.package'), request.packageName), submittedFact(request, text), ...requestedDateFacts(request, locale)],
      resources: [],
      resourcesHeading: '',
      nextStep: t(locale, 'expired.nextStep'),
    },
    locale,
  );
}
