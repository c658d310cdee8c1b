/** Pieces shared by the cards about one request: facts, state and decision wording, resource rows. */
import type { Resource } from '../../catalog/types';
import type { AccessRequest, Decision, RequestState, ResourceDelivery, DeliveryStatus, ResourceName } from '../../domain/request';
import { formatDate, formatDateTime, stateText, t, type Locale } from '../i18n';

export interface CardViewer {
  id: string;
  locale: Locale;
}

export interface RequestCardOptions {
  now: Date;
  /** How many approval stages the request's policy has (for "stage 1 of N"). */
  stageCount: number;
  /** Whether the current stage requires approvers to justify their decision. */
  approverJustificationRequired: boolean;
  /** IANA zone for times on the card; the recipient's zone is usually unknown, so UTC by default. */
  timeZone?: string;
  /** Whether the requester may extend this access now (policy, state, end date): the #7 card's Extend button. */
  extendable?: boolean;
  /**
   * Teams user ids (MRIs, `29:…`) of the people the bot knows, by Entra object id: an approval card's `refresh`
   * names its approvers by them. Resolved before rendering (the card stays a pure function of its inputs).
   */
  teamsUserIds?: Readonly<Record<string, string>>;
}

/** Locale and zone: everything a view needs to turn stored values into words. */
export interface TextContext {
  locale: Locale;
  timeZone: string;
}

export function textContext(viewer: CardViewer, options: RequestCardOptions): TextContext {
  return { locale: viewer.locale, timeZone: options.timeZone ?? 'UTC' };
}

/** Adaptive Card TextBlock / TextRun colours. */
export type TextColor = 'default' | 'accent' | 'good' | 'warning' | 'attention';

const STATE_COLORS: Record<RequestState, TextColor> = {
  submitted: 'accent',
  pendingApproval: 'accent',
  approved: 'accent',
  scheduled: 'accent',
  delivering: 'accent',
  delivered: 'good',
  partiallyDelivered: 'warning',
  deliveryFailed: 'attention',
  denied: 'attention',
  expired: 'warning',
  canceled: 'default',
  accessExpired: 'default',
  extended: 'good',
};

const DELIVERY_COLORS: Record<DeliveryStatus, TextColor> = {
  pending: 'default',
  delivered: 'good',
  failed: 'attention',
  removed: 'default',
  removalFailed: 'attention',
};

export type Fact = { label: string; value: string };

export function stateBadge(state: RequestState, locale: Locale): { stateText: string; stateColor: TextColor } {
  return { stateText: stateText(locale, state), stateColor: STATE_COLORS[state] };
}

/** "Approved by X on DATE" and the decider's justification as a separate run (it is user text, not markdown). */
export function decisionLine(decision: Decision, text: TextContext) {
  const words = {
    name: decision.by.displayName,
    date: formatDateTime(decision.at, text.locale, text.timeZone),
  };
  const justification = decision.justification?.trim() ?? '';
  return {
    outcome: t(text.locale, decision.outcome === 'approved' ? 'decision.approved' : 'decision.denied', words),
    outcomeColor: (decision.outcome === 'approved' ? 'good' : 'attention') satisfies TextColor,
    showDecisionJustification: justification.length > 0,
    decisionJustification: t(text.locale, 'decision.justificationSuffix', { justification }),
  };
}

/** What a card calls the request: the package's name, marked when the request asks to extend access. */
export function requestName(request: AccessRequest, locale: Locale): string {
  return request.extensionOf ? t(locale, 'extension.name', { package: request.packageName }) : request.packageName;
}

/** On an extension request: when the access ends now, and until when the requester asks to keep it. */
export function extensionFacts(request: AccessRequest, text: TextContext): Fact[] {
  const target = request.extensionOf;
  if (!target) return [];
  return [
    fact(t(text.locale, 'extension.currentEnd'), formatDateTime(target.currentEndsAt, text.locale, text.timeZone)),
    fact(t(text.locale, 'extension.newEnd'), formatDateTime(target.newEndsAt, text.locale, text.timeZone)),
  ];
}

export function fact(label: string, value: string): Fact {
  return { label, value };
}

export function submittedFact(request: AccessRequest, text: TextContext): Fact {
  return fact(t(text.locale, 'fact.submitted'), formatDateTime(request.submittedAt, text.locale, text.timeZone));
}

/** Requested start and end dates, only those the requester chose. */
export function requestedDateFacts(request: AccessRequest, locale: Locale): Fact[] {
  const facts: Fact[] = [];
  if (request.startDate) facts.push(fact(t(locale, 'fact.startDate'), formatDate(request.startDate, locale)));
  if (request.endDate) facts.push(fact(t(locale, 'fact.endDate'), formatDate(request.endDate, locale)));
  return facts;
}

/** When the access ends (ISO instant): the stored instant, else the requested end date (its start, in UTC). */
export function accessEnd(request: AccessRequest): string | undefined {
  return request.accessEndsAt ?? (request.endDate ? `${request.endDate}T00:00:00.000Z` : undefined);
}

export function justificationSection(justification: string | undefined, locale: Locale) {
  const trimmed = justification?.trim() ?? '';
  return {
    justificationLabel: t(locale, 'common.justification'),
    justification: trimmed,
    showJustification: trimmed.length > 0,
  };
}

/** "CRM Users (member)", "CRM Reader in Contoso CRM"; the ids when the names were not known at submit time. */
export function resourceLabel(resource: Resource, locale: Locale, name: ResourceName = {}): string {
  if (resource.type === 'group') {
    const role = t(locale, `resource.role.${resource.role}`);
    return name.displayName
      ? t(locale, 'resource.groupNamed', { name: name.displayName, role })
      : t(locale, 'resource.group', { groupId: resource.groupId, role });
  }
  if (name.displayName && name.appDisplayName) {
    return t(locale, 'resource.appRoleNamed', { role: name.displayName, app: name.appDisplayName });
  }
  return t(locale, 'resource.appRole', {
    appRoleId: resource.appRoleId,
    servicePrincipalId: resource.servicePrincipalId,
  });
}

function deliveryLabel(delivery: ResourceDelivery, locale: Locale): string {
  return resourceLabel(delivery.resource, locale, delivery);
}

/** A package may hold 90 resources; a card shows this many (problems first) to stay far below Teams' size limit. */
export const MAX_RESOURCE_ROWS = 20;
/** Graph error messages can be long; the card shows their start. */
const MAX_ERROR_LENGTH = 200;

const DELIVERY_ORDER: Record<DeliveryStatus, number> = { removalFailed: 0, failed: 1, pending: 2, delivered: 3, removed: 4 };

/** Rows of per-resource delivery status, plus how many did not fit. */
export function resourceSection(resources: readonly ResourceDelivery[], locale: Locale, maxRows = MAX_RESOURCE_ROWS) {
  const shown = [...resources]
    .sort((a, b) => DELIVERY_ORDER[a.status] - DELIVERY_ORDER[b.status] || a.key.localeCompare(b.key))
    .slice(0, maxRows);
  const hiddenCount = resources.length - shown.length;
  return {
    resources: shown.map((delivery) => ({
      name: deliveryLabel(delivery, locale),
      status: t(locale, `delivery.${delivery.status}`),
      statusColor: DELIVERY_COLORS[delivery.status],
      showError: (delivery.status !== 'delivered' && Boolean(delivery.lastError)) || Boolean(delivery.keptBy),
      error: errorLine(delivery, locale),
    })),
    showMoreResources: hiddenCount > 0,
    moreResources: t(locale, 'resource.more', { count: hiddenCount }),
  };
}

/** The resources of a request by name, in package order (what is asked, held or removed), plus how many did not fit. */
export function requestedResourceSection(
  resources: readonly ResourceDelivery[],
  locale: Locale,
  heading = t(locale, 'approval.resourcesHeading'),
) {
  const shown = [...resources].sort((a, b) => a.key.localeCompare(b.key)).slice(0, MAX_RESOURCE_ROWS);
  const hiddenCount = resources.length - shown.length;
  return {
    showResources: resources.length > 0,
    resourcesHeading: heading,
    resources: shown.map((delivery) => ({ name: deliveryLabel(delivery, locale) })),
    showMoreResources: hiddenCount > 0,
    moreResources: t(locale, 'resource.more', { count: hiddenCount }),
  };
}

/** Why a resource failed (a refusal the bot knows, in words; otherwise the start of Graph's error), or why it stayed. */
function errorLine(delivery: ResourceDelivery, locale: Locale): string {
  if (delivery.status === 'removed' && delivery.keptBy) return t(locale, 'resource.keptBy', { package: delivery.keptBy });
  if (delivery.status === 'removalFailed' && delivery.removalRefusal === 'lastOwner') return t(locale, 'resource.lastOwner');
  return t(locale, 'resource.lastError', { error: shorten(delivery.lastError ?? '', MAX_ERROR_LENGTH) });
}

function shorten(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/** Where one approval stage of a request stands, as a card should tell it. */
export type StageStatus = 'decided' | 'waiting' | 'timedOut' | 'canceled' | 'closed';

export function stageStatus(request: AccessRequest, position: number, now: Date): StageStatus {
  const stage = request.stages[position];
  if (stage.decision) return 'decided';
  const isCurrent = position === request.stages.length - 1;
  if (request.state === 'pendingApproval' && isCurrent) {
    // Past dueAt the scheduler has not expired it yet, but nobody may decide it any more.
    return now.getTime() < Date.parse(stage.dueAt) ? 'waiting' : 'timedOut';
  }
  if (request.state === 'expired') return 'timedOut';
  if (request.state === 'canceled') return 'canceled';
  return 'closed';
}

/** The number of stages to count against: the policy's, or more if the request (asked earlier) has more. */
export function stageTotal(request: AccessRequest, stageCount: number): number {
  return Math.max(stageCount, request.stages.length);
}
