import type { Activity } from 'botbuilder';
import type { Clock, ConversationRecord, ConversationStore } from '../app/ports';
import { conversationRecordOf } from './activity';
import { teamsUserIdsOf, type TeamsUserIds } from './teamsUserIds';

/** Key of the 'tenant' row that remembers the latest serviceUrl seen from any tenant. */
export const ANY_TENANT = '*';

/**
 * Remembers the conversation of everyone the bot hears from, for proactive cards, with their Teams user id (for
 * cards' `refresh.userIds`), and the latest serviceUrl of each tenant (a 'tenant' row), for creating conversations
 * with people it has not heard from. A write happens only when something that matters changed (first contact, new
 * serviceUrl, conversation, locale or Teams user id), so a busy approver's clicks do not each cost a storage round trip.
 */
export class ConversationRecorder {
  private readonly lastWritten = new Map<string, string>();
  /** People's Teams user ids, shared with the notifier and the card actions (what the recorder sees, they know). */
  readonly teamsUserIds: TeamsUserIds;

  constructor(
    private readonly store: ConversationStore,
    private readonly clock: Clock,
  ) {
    this.teamsUserIds = teamsUserIdsOf(store);
  }

  async record(activity: Activity): Promise<void> {
    const record = conversationRecordOf(activity, this.clock.now());
    if (!record) return;
    if (record.kind === 'user' && record.teamsUserId) this.teamsUserIds.remember(record.key, record.teamsUserId);
    await this.recordTenant(record);
    const cacheKey = `${record.kind}|${record.key}`;
    const fingerprint = this.fingerprintOf(record);
    if (this.lastWritten.get(cacheKey) === fingerprint) return;
    if (record.locale === undefined || (record.kind === 'user' && record.teamsUserId === undefined)) {
      // Events such as conversationUpdate carry no locale: keep the one we already know (and the Teams user id).
      const stored = await this.store.get(record.kind, record.key);
      record.locale ??= stored?.locale;
      if (record.kind === 'user' && stored?.teamsUserId) record.teamsUserId ??= stored.teamsUserId;
    }
    await this.store.upsert(record);
    this.lastWritten.set(cacheKey, this.fingerprintOf(record));
  }

  /** The latest serviceUrl seen from the tenant: where to create a 1:1 with someone the bot never heard from. */
  private async recordTenant(record: ConversationRecord): Promise<void> {
    const { tenantId } = record;
    if (!tenantId) return;
    // Under the tenant, and under ANY_TENANT for a bot that serves whichever tenant talks to it (local mode).
    for (const key of [tenantId, ANY_TENANT]) {
      const cacheKey = `tenant|${key}`;
      const fingerprint = `${tenantId}|${record.serviceUrl}`;
      if (this.lastWritten.get(cacheKey) === fingerprint) continue;
      await this.store.upsert({
        key,
        kind: 'tenant',
        tenantId,
        serviceUrl: record.serviceUrl,
        conversationId: '',
        reference: { serviceUrl: record.serviceUrl },
        updatedAt: record.updatedAt,
      });
      this.lastWritten.set(cacheKey, fingerprint);
    }
  }

  private fingerprintOf(record: ConversationRecord): string {
    return [record.serviceUrl, record.conversationId, record.locale ?? '', record.tenantId ?? '', record.teamsUserId ?? ''].join('|');
  }
}
