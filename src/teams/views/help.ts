import { t, type Locale } from '../i18n';
import { renderTemplate, type AdaptiveCard } from './render';

/** The personal-chat commands (CONTRACT §6); typed as written, so not translated. */
export const COMMANDS = ['request', 'status', 'cancel', 'approvals', 'manage', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export function renderHelp(locale: Locale): AdaptiveCard {
  return renderTemplate('help', {
    title: t(locale, 'help.title'),
    intro: t(locale, 'help.intro'),
    commands: COMMANDS.map((command) => ({ command, description: t(locale, `help.${command}`) })),
  });
}
