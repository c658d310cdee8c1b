import { MAX_REASON_LENGTH } from '../../app/manage';
import type { Assignment } from '../../domain/assignment';
import type { PackageRequestRow } from '../../domain/packageIndex';
import { isReprocessable, reprocessDeadline } from '../../domain/reprocess';
import type { AccessRequest } from '../../domain/request';
import { formatDate, formatDateTime, stateText, t, type Locale } from '../i18n';
import { VERBS } from '../verbs';
import { renderTemplate, type AdaptiveCard } from './render';

/** A package as the `manage` card lists it. */
export interface ManagedPackageView {
  packageId: string;
  packageName: string;
  catalogName: string;
  pending: number;
  failed: number;
  active: number;
  /** The package's policies, for a direct assignment (the first is preselected). */
  policies: Array<{ id: string; displayName: string }>;
}

type Button = {
  title: string;
  verb: string;
  data: Record<string, string | number>;
};

/** An action that asks first: an Action.ShowCard with the reason (and whom, under which policy) and the button. */
type Form = {
  title: string;
  sentence: string;
  confirmTitle: string;
  verb: string;
  style: 'positive' | 'destructive';
  data: Record<string, string>;
  /** Input ids, unique on the card: one card holds a form per row. */
  reasonInput: string;
  personInput?: string;
  policyInput?: string;
  policies?: Array<{ title: string; value: string }>;
};

interface Row {
  name: string;
  details: string;
  note?: string;
  buttons?: Button[];
  forms?: Form[];
}

export interface ManageOptions {
  timeZone?: string;
}

/**
 * Rows one card shows: Teams refuses a message over 28 KB. A list longer than that says how many it leaves out
 * (the newest and the active ones come first); test/unit/cards.test.ts renders the largest card.
 */
export const MANAGE_ROWS = 25;
/** A Graph error on the failed deliveries card is cut to this length (History shows it whole). */
const NOTE_LENGTH = 200;

/** Input ids of the direct-assignment form of a package (Teams sends each input by id). */
export function assignInputs(packageId: string): { person: string; policy: string; reason: string } {
  return { person: `assignPerson-${packageId}`, policy: `assignPolicy-${packageId}`, reason: `assignReason-${packageId}` };
}

/** Input id of the reason on the removal form of a person's assignment. */
export function removeReasonInput(personId: string): string {
  return `removeReason-${personId}`;
}

/** `manage`: the packages I manage, each with its counts and where to go from there; `notice`: what a click just did. */
export function renderManagedPackages(packages: ManagedPackageView[], locale: Locale, notice?: string): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, 'manage.title'),
      intro: notice ?? t(locale, 'manage.intro'),
      rows: packages.map((p) => ({
        name: p.packageName,
        details: t(locale, 'manage.counts', { catalog: p.catalogName, pending: p.pending, failed: p.failed, active: p.active }),
        buttons: [
          { title: t(locale, 'manage.requests'), verb: VERBS.manageRequests, data: { packageId: p.packageId } },
          { title: t(locale, 'manage.assignments'), verb: VERBS.manageAssignments, data: { packageId: p.packageId } },
          { title: t(locale, 'manage.failed', { count: p.failed }), verb: VERBS.manageFailures, data: { packageId: p.packageId } },
        ],
        forms: [assignForm(p, locale)],
      })),
      empty: '',
      footer: [],
    },
    locale,
  );
}

/** A package's requests that are not over, newest first. */
export function renderPackageRequests(packageName: string, rows: PackageRequestRow[], locale: Locale, options: ManageOptions = {}): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, 'manage.requestsTitle', { package: packageName }),
      rows: rows.map((row) => ({
        name: row.requesterName,
        details: t(locale, 'manage.requestLine', { state: stateText(locale, row.state), date: formatDateTime(row.submittedAt, locale, options.timeZone) }),
      })),
      empty: t(locale, 'manage.noRequests'),
      footer: [backButton(locale)],
    },
    locale,
  );
}

/**
 * A package's assignments: who, since, until, in which delivery state; one that holds access can be removed
 * (asking first). `notice`: what a click just did.
 */
export function renderPackageAssignments(
  packageName: string,
  assignments: Assignment[],
  locale: Locale,
  options: ManageOptions & { notice?: string } = {},
): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, 'manage.assignmentsTitle', { package: packageName }),
      intro: options.notice,
      rows: assignments.map((a) => ({
        name: a.personName,
        details: t(locale, 'manage.assignmentLine', {
          state: a.removalStartedAt && isActive(a) ? t(locale, 'manage.beingRemoved') : t(locale, `assignment.${a.state}`),
          since: a.startedAt ? formatDate(a.startedAt, locale, options.timeZone) : '—',
          until: a.endsAt ? formatDate(a.endsAt, locale, options.timeZone) : t(locale, 'manage.noEnd'),
        }),
        forms: isRemovable(a) ? [removeForm(a, packageName, locale)] : [],
      })),
      empty: t(locale, 'manage.noAssignments'),
      footer: [backButton(locale)],
    },
    locale,
  );
}

/** A package's failed deliveries, newest first, each with Reprocess (inside its 14-day window) and History. */
export function renderPackageFailures(packageName: string, requests: AccessRequest[], locale: Locale, options: ManageOptions & { now: Date }): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, 'manage.failuresTitle', { package: packageName }),
      rows: requests.map((request) => {
        const deadline = reprocessDeadline(request);
        const reprocessable = isReprocessable(request, options.now);
        const ref = { requestId: request.id, version: request.version };
        return {
          name: request.requester.displayName,
          details: t(locale, 'failed.details', {
            state: stateText(locale, request.state),
            date: formatDateTime(request.completedAt ?? request.updatedAt, locale, options.timeZone),
            window:
              reprocessable && deadline
                ? t(locale, 'failed.reprocessUntil', { date: formatDateTime(deadline.toISOString(), locale, options.timeZone) })
                : t(locale, 'failed.windowOver'),
          }),
          note: firstError(request),
          buttons: [
            ...(reprocessable ? [{ title: t(locale, 'reprocess.button'), verb: VERBS.reprocess, data: ref }] : []),
            { title: t(locale, 'history.button'), verb: VERBS.history, data: ref },
          ],
        };
      }),
      empty: t(locale, 'manage.noFailures'),
      footer: [backButton(locale)],
    },
    locale,
  );
}

function assignForm(p: ManagedPackageView, locale: Locale): Form {
  const inputs = assignInputs(p.packageId);
  return {
    title: t(locale, 'manage.assign'),
    sentence: t(locale, 'manage.assignSentence', { package: p.packageName }),
    confirmTitle: t(locale, 'manage.assignConfirm'),
    verb: VERBS.manageAssign,
    style: 'positive',
    data: { packageId: p.packageId },
    personInput: inputs.person,
    policyInput: inputs.policy,
    reasonInput: inputs.reason,
    policies: p.policies.map((policy) => ({ title: policy.displayName, value: policy.id })),
  };
}

function isActive(a: Assignment): boolean {
  return a.state === 'delivered' || a.state === 'partiallyDelivered';
}

/** Held, and not being removed already: a manager may end it. */
function isRemovable(a: Assignment): boolean {
  return isActive(a) && !a.removalStartedAt;
}

function removeForm(a: Assignment, packageName: string, locale: Locale): Form {
  return {
    title: t(locale, 'manage.remove'),
    sentence: t(locale, 'manage.removeSentence', { person: a.personName, package: packageName }),
    confirmTitle: t(locale, 'manage.removeConfirm'),
    verb: VERBS.manageRemove,
    style: 'destructive',
    data: { packageId: a.packageId, personId: a.personId },
    reasonInput: removeReasonInput(a.personId),
  };
}

function firstError(request: AccessRequest): string | undefined {
  const error = request.resources.find((r) => r.status === 'failed' && r.lastError)?.lastError;
  return error && error.length > NOTE_LENGTH ? `${error.slice(0, NOTE_LENGTH)}…` : error;
}

function backButton(locale: Locale): Button {
  return { title: t(locale, 'manage.back'), verb: VERBS.manage, data: {} };
}

function manageCard(card: { title: string; intro?: string; rows: Row[]; empty: string; footer: Button[] }, locale: Locale): AdaptiveCard {
  const notShown = card.rows.length - MANAGE_ROWS;
  const intro = notShown > 0 ? t(locale, 'manage.notShown', { shown: MANAGE_ROWS, count: notShown }) : card.intro;
  return renderTemplate('manage', {
    title: card.title,
    showIntro: intro !== undefined,
    intro: intro ?? '',
    showEmpty: card.rows.length === 0,
    empty: card.empty,
    rows: card.rows.slice(0, MANAGE_ROWS).map((row) => ({
      name: row.name,
      details: row.details,
      showNote: row.note !== undefined,
      note: row.note ?? '',
      showButtons: (row.buttons ?? []).length + (row.forms ?? []).length > 0,
      buttons: row.buttons ?? [],
      forms: (row.forms ?? []).map((form) => ({
        ...form,
        showPerson: form.personInput !== undefined,
        personInput: form.personInput ?? '',
        personLabel: t(locale, 'manage.person'),
        personError: t(locale, 'manage.personError'),
        showPolicy: (form.policies ?? []).length > 1,
        policyInput: form.policyInput ?? '',
        policyLabel: t(locale, 'manage.policy'),
        policies: form.policies ?? [],
        policyValue: form.policies?.[0]?.value ?? '',
        reasonLabel: t(locale, 'manage.reason'),
        reasonMaxLength: MAX_REASON_LENGTH,
        reasonError: t(locale, 'error.reasonRequired'),
      })),
    })),
    footer: card.footer,
  });
}
