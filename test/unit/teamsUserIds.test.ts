/** People's Teams user ids (MRIs): stored from activities, resolved for cards, never confused with object ids. */
import { strict as assert } from 'node:assert';
import type { Activity } from 'botbuilder';
import { ConversationRecorder } from '../../src/teams/conversationRecorder';
import { TeamsUserIds, teamsUserIdsOf } from '../../src/teams/teamsUserIds';
import { InMemoryConversationStore, ManualClock } from '../support/fakes';
import { APPROVER, buildRequest, buildStage, deliveredRequest } from '../support/requestFixtures';

const AAD = '11111111-0000-4000-8000-000000000002';
const MRI = '29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD22bmKc4GMbrY2g4JDrrA8vM06X1-cHHle4zOE6U4ttcc';

function personalActivity(fields: Partial<Activity> = {}): Activity {
  return {
    type: 'message',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    from: { id: MRI, name: 'Diego', aadObjectId: AAD },
    recipient: { id: '28:bot', name: 'Access Requests' },
    conversation: { id: 'a:1on1', conversationType: 'personal', tenantId: 'tenant-1' },
    locale: 'ja-JP',
    ...fields,
  } as Activity;
}

describe('Teams user ids (MRIs)', () => {
  it('the recorder stores the sender\'s Teams user id with their conversation, and keeps it when an event lacks it', async () => {
    const store = new InMemoryConversationStore();
    const recorder = new ConversationRecorder(store, new ManualClock());
    await recorder.record(personalActivity());
    assert.equal((await store.get('user', AAD))?.teamsUserId, MRI);
    await new ConversationRecorder(store, new ManualClock()).record(
      personalActivity({ type: 'conversationUpdate', locale: undefined, from: { id: 'not-an-mri', name: '', aadObjectId: AAD }, conversation: { id: 'a:other', conversationType: 'personal' } as Activity['conversation'] }),
    );
    const record = await store.get('user', AAD);
    assert.equal(record?.conversationId, 'a:other');
    assert.equal(record?.teamsUserId, MRI);
    assert.equal(record?.locale, 'ja-JP');
  });

  it('resolves stored MRIs by object id, leaves unknown people out, and asks again for them a minute later', async () => {
    const store = new InMemoryConversationStore();
    let now = 0;
    const resolver = new TeamsUserIds(store, () => now);
    assert.deepEqual(await resolver.of([AAD, 'someone-else']), {});
    await store.upsert({ key: AAD, kind: 'user', teamsUserId: MRI, serviceUrl: 'x', conversationId: 'a:1', reference: {}, updatedAt: '' });
    assert.deepEqual(await resolver.of([AAD]), {}, 'not asked again at once');
    now += 60_000;
    assert.deepEqual(await resolver.of([AAD.toUpperCase()]), { [AAD.toUpperCase()]: MRI });
    await store.delete('user', AAD);
    assert.deepEqual(await resolver.of([AAD]), { [AAD]: MRI }, 'an MRI never changes: kept');
  });

  it('one resolver per store: what the recorder sees, the notifier and the card actions know at once', async () => {
    const store = new InMemoryConversationStore();
    const recorder = new ConversationRecorder(store, new ManualClock());
    assert.equal(teamsUserIdsOf(store), recorder.teamsUserIds);
    const elsewhere = new InMemoryConversationStore();
    assert.notEqual(teamsUserIdsOf(elsewhere), recorder.teamsUserIds);
    assert.deepEqual(await teamsUserIdsOf(store).of([AAD]), {});
    await recorder.record(personalActivity());
    assert.deepEqual(await teamsUserIdsOf(store).of([AAD]), { [AAD]: MRI });
  });
});

describe('Teams user ids for an approval card', () => {
  it('names the open stage\'s approvers, and reads nothing once no stage is open', async () => {
    const store = new InMemoryConversationStore();
    await store.upsert({ key: APPROVER.id, kind: 'user', teamsUserId: MRI, serviceUrl: 'x', conversationId: 'a:1', reference: {}, updatedAt: '' });
    const pending = buildRequest({ state: 'pendingApproval', stages: [buildStage({ approverIds: [APPROVER.id] })] });
    assert.deepEqual(await new TeamsUserIds(store).forApprovers(pending), { [APPROVER.id]: MRI });
    let reads = 0;
    const counting = { get: (kind: 'user' | 'channel' | 'tenant', key: string) => ((reads += 1), store.get(kind, key)) };
    assert.deepEqual(await new TeamsUserIds(counting).forApprovers(deliveredRequest()), {});
    assert.equal(reads, 0, 'a decided card has no refresh: nothing to look up before the answer');
  });
});
