import { strict as assert } from 'node:assert';
import type { ConversationRecord } from '../../src/app/ports';
import { TableConversationStore } from '../../src/storage/conversationStore';
import { useTables } from '../support/azurite';

function aRecord(overrides: Partial<ConversationRecord> = {}): ConversationRecord {
  return {
    key: '11111111-1111-1111-1111-111111111111',
    kind: 'user',
    tenantId: '99999999-9999-9999-9999-999999999999',
    locale: 'ja-JP',
    serviceUrl: 'https://smba.trafficmanager.net/jp/',
    conversationId: 'a:1on1-conversation',
    reference: {
      activityId: 'f:123',
      user: { id: '29:abc', aadObjectId: '11111111-1111-1111-1111-111111111111' },
      bot: { id: '28:bot', name: 'Access' },
      conversation: { id: 'a:1on1-conversation', conversationType: 'personal', tenantId: '99999999-9999-9999-9999-999999999999' },
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/jp/',
    },
    updatedAt: '2026-01-05T09:00:00.000Z',
    ...overrides,
  };
}

describe('TableConversationStore (Azurite)', function () {
  this.timeout(30_000);
  let store: TableConversationStore;

  before(async () => {
    store = new TableConversationStore({ tables: await useTables() });
  });

  it('round-trips a person’s conversation reference', async () => {
    const record = aRecord();
    await store.upsert(record);
    assert.deepEqual(await store.get('user', record.key), record);
  });

  it('keeps people and channels apart, and channel ids as they are', async () => {
    const key = '19:0a1b2c3d4e5f@thread.tacv2';
    const channel = aRecord({ kind: 'channel', key, conversationId: `${key};messageid=1`, locale: undefined });
    delete channel.locale;
    await store.upsert(channel);
    assert.deepEqual(await store.get('channel', key), channel);
    assert.equal(await store.get('user', key), undefined);
  });

  it('replaces the whole record on upsert (fields left out are gone)', async () => {
    const key = '22222222-2222-2222-2222-222222222222';
    await store.upsert(aRecord({ key }));
    const second = aRecord({ key, serviceUrl: 'https://smba.trafficmanager.net/amer/', updatedAt: '2026-01-06T09:00:00.000Z' });
    delete second.locale;
    delete second.tenantId;
    await store.upsert(second);
    assert.deepEqual(await store.get('user', key), second);
  });

  it('accepts keys with characters table keys do not allow', async () => {
    const key = 'odd/key\\with#and?%';
    const record = aRecord({ key });
    await store.upsert(record);
    assert.deepEqual(await store.get('user', key), record);
    assert.equal(await store.get('user', 'odd'), undefined);
  });

  it('returns undefined for someone it has never heard from', async () => {
    assert.equal(await store.get('user', 'never-seen'), undefined);
  });

  it('keeps the person’s Teams user id', async () => {
    const record = aRecord({ key: '33333333-3333-3333-3333-333333333333', teamsUserId: '29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD22bmKc4GMbrY2g4JDrrA8vM06X1-cHHle4zOE6U4ttcc' });
    await store.upsert(record);
    assert.deepEqual(await store.get('user', record.key), record);
  });

  it('forgets a record only while it still names the conversation that is gone', async () => {
    const key = '44444444-4444-4444-4444-444444444444';
    await store.upsert(aRecord({ key, conversationId: 'a:new-conversation' }));
    await store.delete('user', key, 'a:gone-conversation');
    assert.equal((await store.get('user', key))?.conversationId, 'a:new-conversation', 'a newer conversation stays');
    await store.delete('user', key, 'a:new-conversation');
    assert.equal(await store.get('user', key), undefined);
    await store.delete('user', key, 'a:new-conversation');
    await store.delete('user', key);
    await store.upsert(aRecord({ key }));
    await store.delete('user', key);
    assert.equal(await store.get('user', key), undefined, 'without a conversation id: forgotten whatever it names');
  });
});
