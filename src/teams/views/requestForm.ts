import { MAX_JUSTIFICATION_LENGTH } from '../../domain/policy';
import { t, type Locale } from '../i18n';
import { VERBS } from '../verbs';
import { renderTemplate, type AdaptiveCard } from './render';

export interface RequestablePackage {
  id: string;
  displayName: string;
  description: string;
  justificationRequired: boolean;
  datesAllowed: boolean;
}

export interface RequestFormModel {
  /** The packages this user may request, in the order to show them. */
  packages: RequestablePackage[];
}

/**
 * One form for all packages: Adaptive Cards cannot change inputs when the choice changes, so the
 * justification is marked required only when every package needs it (the use-case checks the chosen
 * one), and the dates show when any package allows them; each package's own rules are listed under it.
 */
export function renderRequestForm(model: RequestFormModel, locale: Locale): AdaptiveCard {
  const { packages } = model;
  const everyNeedsJustification = packages.length > 0 && packages.every((p) => p.justificationRequired);
  const someNeedJustification = packages.some((p) => p.justificationRequired);
  return renderTemplate('requestForm', {
    title: t(locale, 'form.title'),
    showForm: packages.length > 0,
    showNothing: packages.length === 0,
    nothingToRequest: t(locale, 'form.nothingToRequest'),
    intro: t(locale, 'form.intro'),
    packageLabel: t(locale, 'form.packageLabel'),
    packagePlaceholder: t(locale, 'form.packagePlaceholder'),
    packageError: t(locale, 'form.packageError'),
    selectedPackageId: packages.length === 1 ? packages[0].id : '',
    choices: packages.map((p) => ({ title: p.displayName, value: p.id })),
    packagesHeading: t(locale, 'form.packagesHeading'),
    packages: packages.map((p) => packageEntry(p, locale)),
    justificationLabel: t(
      locale,
      everyNeedsJustification
        ? 'form.justificationLabelRequired'
        : someNeedJustification
          ? 'form.justificationLabelSometimes'
          : 'form.justificationLabel',
    ),
    justificationPlaceholder: t(locale, 'form.justificationPlaceholder'),
    justificationRequired: everyNeedsJustification,
    justificationMaxLength: MAX_JUSTIFICATION_LENGTH,
    justificationError: t(locale, 'form.justificationError', { max: MAX_JUSTIFICATION_LENGTH }),
    showDates: packages.some((p) => p.datesAllowed),
    startDateLabel: t(locale, 'form.startDateLabel'),
    endDateLabel: t(locale, 'form.endDateLabel'),
    datesHint: t(locale, 'form.datesHint'),
    submitTitle: t(locale, 'form.submit'),
    submitVerb: VERBS.submitRequest,
  });
}

function packageEntry(accessPackage: RequestablePackage, locale: Locale) {
  const notes = [
    ...(accessPackage.justificationRequired ? [t(locale, 'form.noteJustificationRequired')] : []),
    ...(accessPackage.datesAllowed ? [t(locale, 'form.noteDatesAllowed')] : []),
  ];
  const description = accessPackage.description.trim();
  return {
    name: accessPackage.displayName,
    description,
    showDescription: description.length > 0,
    notes: notes.join(t(locale, 'form.noteSeparator')),
    showNotes: notes.length > 0,
  };
}
