import { finalDecision, type AccessRequest } from '../../domain/request';
import { t } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';
import {
  decisionLine,
  fact,
  requestedDateFacts,
  stateBadge,
  submittedFact,
  requestName,
  textContext,
  type CardViewer,
  type RequestCardOptions,
} from './requestParts';

/** Notification #5 to the requester: who denied, when, and why. */
export function renderRequestDenied(request: AccessRequest, viewer: CardViewer, options: RequestCardOptions): AdaptiveCard {
  const text = textContext(viewer, options);
  const { locale } = text;
  const decision = finalDecision(request);
  const { stateText, stateColor } = stateBadge(request.state, locale);
  return renderTemplate('requestDenied', {
    title: t(locale, 'denied.title', { package: requestName(request, locale) }),
    ...(decision
      ? decisionLine(decision, text)
      : { outcome: stateText, outcomeColor: stateColor, showDecisionJustification: false, decisionJustification: '' }),
    facts: [
      fact(t(locale, 'fact.package'), request.packageName),
      submittedFact(request, text),
      ...requestedDateFacts(request, locale),
    ],
    nextStep: t(locale, 'denied.nextStep'),
  });
}
