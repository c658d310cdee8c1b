import type { Activity } from 'botbuilder';
import type { Clock, ConversationRecord, ConversationStore } from '../app/ports';
import { conversationRecordOf } from './activity';

/**
 * Remembers the conversation of everyone the bot hears from, for proactive cards. A write happens only
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

  private fingerprintOf(record: ConversationRecord): string {
    return [record.serviceUrl, record.conversationId, record.locale ?? '', record.tenantId ?? ''].join('|');
  }
}
