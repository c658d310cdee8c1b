/**
 * People's Teams user ids (MRIs, `29:…`), which Universal Actions' `refresh.userIds` names them by (never Entra
 * object ids), read from their stored conversation records. A person's MRI never changes, so what is found is
 * kept for the life of the process; someone with no MRI stored yet is looked up again a minute later at most.
 */
import type { ConversationStore } from '../app/ports';
import type { AccessRequest } from '../domain/request';

/** How long "no MRI stored for this person" is believed before the store is asked again. */
const UNKNOWN_FOR_MS = 60_000;

export class TeamsUserIds {
  private readonly known = new Map<string, string>();
  private readonly unknownUntil = new Map<string, number>();

  constructor(
    private readonly conversations: Pick<ConversationStore, 'get'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** What an activity or a member lookup just told: this person's MRI. */
  remember(entraId: string, teamsUserId: string): void {
    this.known.set(entraId.toLowerCase(), teamsUserId);
    this.unknownUntil.delete(entraId.toLowerCase());
  }

  /** The MRIs known for these people, keyed by the Entra object ids as given; people whose MRI is not known are left out. */
  async of(entraIds: readonly string[]): Promise<Record<string, string>> {
    const ids = [...new Set(entraIds.map((id) => id.toLowerCase()))];
    const now = this.now();
    await Promise.all(
      ids
        .filter((id) => !this.known.has(id) && (this.unknownUntil.get(id) ?? 0) <= now)
        .map(async (id) => {
          const teamsUserId = (await this.conversations.get('user', id))?.teamsUserId;
          if (teamsUserId) this.remember(id, teamsUserId);
          else this.unknownUntil.set(id, now + UNKNOWN_FOR_MS);
        }),
    );
    const found: Record<string, string> = {};
    for (const id of entraIds) {
      const teamsUserId = this.known.get(id.toLowerCase());
      if (teamsUserId) found[id] = teamsUserId;
    }
    return found;
  }

  /**
   * The MRIs an approval card's `refresh` needs: the approvers of the request's latest stage (the only one that can
   * be open). None once no stage is open (a decided card looks the same to everyone), so a decision click reads
   * nothing more before it answers.
   */
  async forApprovers(request: AccessRequest): Promise<Record<string, string>> {
    if (request.state !== 'pendingApproval') return {};
    return this.of(request.stages.at(-1)?.approverIds ?? []);
  }
}

const shared = new WeakMap<object, TeamsUserIds>();

/** One resolver per conversation store, so the recorder, the notifier and the card actions share what they learn. */
export function teamsUserIdsOf(conversations: Pick<ConversationStore, 'get'>): TeamsUserIds {
  let resolver = shared.get(conversations);
  if (!resolver) {
    resolver = new TeamsUserIds(conversations);
    shared.set(conversations, resolver);
  }
  return resolver;
}
