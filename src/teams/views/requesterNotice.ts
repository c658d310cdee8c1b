import type { AccessRequest, ResourceDelivery } from '../../domain/request';
import type { Verb } from '../verbs';
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
  /** One button about the request (the #7 card's Extend). */
  action?: { title: string; verb: Verb; request: Pick<AccessRequest, 'id' | 'version'> };
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
    showAction: notice.action !== undefined,
    actionTitle: notice.action?.title ?? '',
    actionVerb: notice.action?.verb ?? '',
    requestId: notice.action?.request.id ?? '',
    version: notice.action?.request.version ?? 0,
  });
}
