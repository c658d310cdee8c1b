import type { AccessRequest } from '../../domain/request';
import { VERBS } from '../verbs';

/** Teams gives at most this many users their own view of a card through `refresh`. */
export const MAX_REFRESH_USERS = 60;

export interface CardRefresh {
  action: { type: 'Action.Execute'; verb: string; data: { requestId: string; version: number } };
  /** Teams user ids (MRIs, `29:…`), never Entra object ids. */
  userIds: string[];
}

/**
 * Universal Actions `refresh`: when one of `userIds` (Teams user MRIs) opens the card, Teams asks the bot for that
 * person's view of it (buttons for an approver who may still act, read-only for everyone else).
 */
export function cardRefresh(request: AccessRequest, userIds: readonly string[]): CardRefresh {
  return {
    action: { type: 'Action.Execute', verb: VERBS.refreshCard, data: { requestId: request.id, version: request.version } },
    userIds: [...new Set(userIds)].slice(0, MAX_REFRESH_USERS),
  };
}
