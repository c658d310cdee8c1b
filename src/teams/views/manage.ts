import type { Assignment } from "../../domain/assignment";
import type { PackageRequestRow } from "../../domain/packageIndex";
import { isReprocessable, reprocessDeadline } from "../../domain/reprocess";
import type { AccessRequest } from "../../domain/request";
import { formatDate, formatDateTime, stateText, t, type Locale } from "../i18n";
import { VERBS } from "../verbs";
import { renderTemplate, type AdaptiveCard } from "./render";

/** A package as the `manage` card lists it. */
export interface ManagedPackageView {
  packageId: string;
  packageName: string;
  catalogName: string;
  pending: number;
  failed: number;
  active: number;
}

type Button = {
  title: string;
  verb: string;
  data: Record<string, string | number>;
};

interface Row {
  name: string;
  details: string;
  note?: string;
  buttons?: Button[];
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

/** `manage`: the packages I manage, each with its counts and where to go from there. */
export function renderManagedPackages(
  packages: ManagedPackageView[],
  locale: Locale,
): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, "manage.title"),
      intro: t(locale, "manage.intro"),
      rows: packages.map((p) => ({
        name: p.packageName,
        details: t(locale, "manage.counts", {
          catalog: p.catalogName,
          pending: p.pending,
          failed: p.failed,
          active: p.active,
        }),
        buttons: [
          {
            title: t(locale, "manage.requests"),
            verb: VERBS.manageRequests,
            data: { packageId: p.packageId },
          },
          {
            title: t(locale, "manage.assignments"),
            verb: VERBS.manageAssignments,
            data: { packageId: p.packageId },
          },
          {
            title: t(locale, "manage.failed", { count: p.failed }),
            verb: VERBS.manageFailures,
            data: { packageId: p.packageId },
          },
        ],
      })),
      empty: "",
      footer: [],
    },
    locale,
  );
}

/** A package's requests that are not over, newest first. */
export function renderPackageRequests(
  packageName: string,
  rows: PackageRequestRow[],
  locale: Locale,
  options: ManageOptions = {},
): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, "manage.requestsTitle", { package: packageName }),
      rows: rows.map((row) => ({
        name: row.requesterName,
        details: t(locale, "manage.requestLine", {
          state: stateText(locale, row.state),
          date: formatDateTime(row.submittedAt, locale, options.timeZone),
        }),
      })),
      empty: t(locale, "manage.noRequests"),
      footer: [backButton(locale)],
    },
    locale,
  );
}

/** A package's assignments: who, since, until, in which delivery state. */
export function renderPackageAssignments(
  packageName: string,
  assignments: Assignment[],
  locale: Locale,
  options: ManageOptions = {},
): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, "manage.assignmentsTitle", { package: packageName }),
      rows: assignments.map((a) => ({
        name: a.personName,
        details: t(locale, "manage.assignmentLine", {
          state: t(locale, `assignment.${a.state}`),
          since: a.startedAt
            ? formatDate(a.startedAt, locale, options.timeZone)
            : "—",
          until: a.endsAt
            ? formatDate(a.endsAt, locale, options.timeZone)
            : t(locale, "manage.noEnd"),
        }),
      })),
      empty: t(locale, "manage.noAssignments"),
      footer: [backButton(locale)],
    },
    locale,
  );
}

/** A package's failed deliveries, newest first, each with Reprocess (inside its 14-day window) and History. */
export function renderPackageFailures(
  packageName: string,
  requests: AccessRequest[],
  locale: Locale,
  options: ManageOptions & { now: Date },
): AdaptiveCard {
  return manageCard(
    {
      title: t(locale, "manage.failuresTitle", { package: packageName }),
      rows: requests.map((request) => {
        const deadline = reprocessDeadline(request);
        const reprocessable = isReprocessable(request, options.now);
        const ref = { requestId: request.id, version: request.version };
        return {
          name: request.requester.displayName,
          details: t(locale, "failed.details", {
            state: stateText(locale, request.state),
            date: formatDateTime(
              request.completedAt ?? request.updatedAt,
              locale,
              options.timeZone,
            ),
            window:
              reprocessable && deadline
                ? t(locale, "failed.reprocessUntil", {
                    date: formatDateTime(
                      deadline.toISOString(),
                      locale,
                      options.timeZone,
                    ),
                  })
                : t(locale, "failed.windowOver"),
          }),
          note: firstError(request),
          buttons: [
            ...(reprocessable
              ? [
                  {
                    title: t(locale, "reprocess.button"),
                    verb: VERBS.reprocess,
                    data: ref,
                  },
                ]
              : []),
            {
              title: t(locale, "history.button"),
              verb: VERBS.history,
              data: ref,
            },
          ],
        };
      }),
      empty: t(locale, "manage.noFailures"),
      footer: [backButton(locale)],
    },
    locale,
  );
}

function firstError(request: AccessRequest): string | undefined {
  const error = request.resources.find(
    (r) => r.status === "failed" && r.lastError,
  )?.lastError;
  return error && error.length > NOTE_LENGTH
    ? `${error.slice(0, NOTE_LENGTH)}…`
    : error;
}

function backButton(locale: Locale): Button {
  return { title: t(locale, "manage.back"), verb: VERBS.manage, data: {} };
}

function manageCard(
  card: {
    title: string;
    intro?: string;
    rows: Row[];
    empty: string;
    footer: Button[];
  },
  locale: Locale,
): AdaptiveCard {
  const notShown = card.rows.length - MANAGE_ROWS;
  const intro =
    notShown > 0
      ? t(locale, "manage.notShown", { shown: MANAGE_ROWS, count: notShown })
      : card.intro;
  return renderTemplate("manage", {
    title: card.title,
    showIntro: intro !== undefined,
    intro: intro ?? "",
    showEmpty: card.rows.length === 0,
    empty: card.empty,
    rows: card.rows.slice(0, MANAGE_ROWS).map((row) => ({
      name: row.name,
      details: row.details,
      showNote: row.note !== undefined,
      note: row.note ?? "",
      showButtons: (row.buttons ?? []).length > 0,
      buttons: row.buttons ?? [],
    })),
    footer: card.footer,
  });
}
