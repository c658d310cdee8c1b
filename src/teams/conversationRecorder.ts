import type { Activity } from 'botbuilder';
import type { Clock, ConversationRecord, ConversationStore } from '../app/ports';
import { conversationRecordOf } from './activity';

/** Key of the 'tenant' row that remembers the latest serviceUrl seen from any tenant. */
export const ANY_TENANT = '*';

/**
 * Remembers the conversation of everyone the bot hears from, for proactive cards, and the latest serviceUrl of
 * each tenant (a 'tenant' row), for creating conversations with people it has not heard from. A write happens only
 * when something that matters changed (first contact, new serviceUrl, conversation or locale), so a busy
 * approver's clicks do not each cost a storage round trip.
 */
export class ConversationRecorder {
  private readonly lastWritten = new Map<string, string>();

  constructor(
    private readonly store: ConversationStore,
    private readonly clock: Clock,
  ) {}

  async record(activity: Activity): Promise<void> {
    const record = conversationRecordOf(activity, this.clock.now());
    if (!record) return;
    await this.recordTenant(record);
    const cacheKey = `${record.kind}|${record.key}`;
    const fingerprint = this.fingerprintOf(record);
    if (this.lastWritten.get(cacheKey) === fingerprint) return;
    if (record.locale === undefined) {
      // Events such as conversationUpdate carry no locale: keep the one we already know.
      record.locale = (await this.store.get(record.kind, record.key))?.locale;
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
    return [record.serviceUrl, record.conversationId, record.locale ?? '', record.tenantId ?? ''].join('|');
  }
}
