import type { ResourceDelivery } from '../../domain/request';
import type { Locale } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import { requestedResourceSection, type Fact, type TextColor } from './requestParts';

/** A notification to the requester that needs no answer: #3, #7, #8. */
export interface RequesterNotice {
  title: string;
  titleColor: TextColor;
  /** Empty → no message line. */
  message: string;
  facts: Fact[];
  /** The resources to list under `resourcesHeading`; none → no list. */
  resources: readonly ResourceDelivery[];
  resourcesHeading: string;
  nextStep: string;
}

export function renderRequesterNotice(notice: RequesterNotice, locale: Locale): AdaptiveCard {
  return renderTemplate('requesterNotice', {
    title: notice.title,
    titleColor: notice.titleColor,
    showMessage: notice.message.length > 0,
    message: notice.message,
    showFacts: notice.facts.length > 0,
    facts: notice.facts,
    ...requestedResourceSection(notice.resources, locale, notice.resourcesHeading),
    nextStep: notice.nextStep,
  });
}
