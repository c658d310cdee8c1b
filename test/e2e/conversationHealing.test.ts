/**
 * TeamsNotifier against the fake Bot Connector when a stored conversation goes bad: healed once per send (no
 * loop), the final failure naming both reasons, card updates to a gone conversation forgetting it and reporting
 * it, and updates going to the conversation the card lives in.
 */
import { strict as assert } from 'node:assert';
import type { ConversationRecord, PostedCard } from '../../src/app/ports';
import { createAdapter } from '../../src/teams/adapter';
import { TeamsNotifier } from '../../src/teams/notifier';
import { aRequest } from '../support/builders';
import { cardOf, startFakeConnector, teamsUserIdOf, type FakeConnector } from '../support/fakeConnector';
import { InMemoryConversationStore, ManualClock, sampleCatalog } from '../support/fakes';

const TENANT = '99999999-0000-4000-8000-000000000001';
const DIEGO = '11111111-0000-4000-8000-000000000002';

describe('e2e: TeamsNotifier heals stale conversations through the fake Bot Connector', function () {
  this.timeout(30_000);
  let connector: FakeConnector;
  let conversations: InMemoryConversationStore;
  const clock = new ManualClock('2026-03-03T09:00:00.000Z');

  const notifier = () =>
    new TeamsNotifier({
      adapter: createAdapter(undefined),
      botAppId: '',
      conversations,
      catalog: sampleCatalog(),
      clock,
      teamsServiceUrl: connector.url,
      tenantId: TENANT,
      pacing: { retry: { baseDelayInMs: 1 } },
    });

  /** Diego's stored 1:1, as the recorder keeps it after he wrote to the bot. */
  const storedConversation = (conversationId: string): ConversationRecord => ({
    key: DIEGO,
    kind: 'user',
    tenantId: TENANT,
    serviceUrl: connector.url,
    conversationId,
    reference: { serviceUrl: connector.url, channelId: 'msteams', conversation: { id: conversationId, conversationType: 'personal' } },
    updatedAt: '2026-03-01T09:00:00.000Z',
  });

  beforeEach(async () => {
    connector = await startFakeConnector();
    conversations = new InMemoryConversationStore();
  });
  afterEach(async () => connector.close());

  it('tries to heal once per send: a conversation refused again after reaching them ends notInstalled, naming both failures', async () => {
    const conversationId = connector.conversationWith(DIEGO);
    await conversations.upsert(storedConversation(conversationId));
    connector.failConversation(conversationId, 'BotNotInConversationRoster');

    const outcome = await notifier().post(DIEGO, 'approvalRequest', aRequest());
    if (outcome.status === 'sent') return assert.fail('sent to a conversation the bot is not in');
    assert.equal(outcome.status, 'notInstalled');
    assert.match(
      outcome.reason,
      /^the stored conversation a:personal-\S+ was gone \(Bot Connector 403 BotNotInConversationRoster: .*\); reaching them again failed: Bot Connector 403 BotNotInConversationRoster/,
    );
    assert.equal(connector.created().length, 1, 'one new 1:1, no loop');
    const sends = connector.calls().filter((c) => c.conversationId === conversationId && c.method === 'POST');
    assert.deepEqual(sends.map((c) => c.status), [403, 403]);
  });

  it('reads 403 MessageWritesBlocked (subCode in the documented body) as blocked by the person: no healing, the conversation kept', async () => {
    const conversationId = connector.conversationWith(DIEGO);
    await conversations.upsert(storedConversation(conversationId));
    connector.failConversation(conversationId, 'MessageWritesBlocked');

    const outcome = await notifier().post(DIEGO, 'approvalRequest', aRequest());
    assert.deepEqual(outcome, { status: 'blocked', reason: 'Bot Connector 403 MessageWritesBlocked: Thread is blocked from message writes.' });
    assert.equal(connector.created().length, 0);
    assert.equal((await conversations.get('user', DIEGO))?.conversationId, conversationId);
  });

  it('heals a gone conversation, stores the new one with the Teams user id looked up, and says so in the outcome', async () => {
    const stale = connector.conversationWith(DIEGO);
    await conversations.upsert(storedConversation(stale));
    connector.dropConversation(stale);

    const outcome = await notifier().post(DIEGO, 'approvalRequest', aRequest());
    assert.equal(outcome.status, 'sent');
    if (outcome.status !== 'sent') return;
    const fresh = connector.conversationWith(DIEGO);
    assert.equal(outcome.card.conversationId, fresh);
    assert.match(outcome.healed ?? '', /^the stored conversation \S+ was gone \(Bot Connector 404 ConversationNotFound: Conversation not found\.\); reached again in /);
    const record = await conversations.get('user', DIEGO);
    assert.equal(record?.conversationId, fresh);
    assert.equal(record?.teamsUserId, teamsUserIdOf(DIEGO));
    const members = connector.calls().filter((c) => c.method === 'GET' && c.conversationId === fresh);
    assert.equal(members.length, 1, 'one member lookup');
    assert.ok(cardOf(connector.inConversation(fresh).find((a) => a.kind === 'send')), 'the card arrived there');
  });

  it('answers a card update to a gone conversation as unreachable, forgets the record, and does not retry', async () => {
    const conversationId = connector.conversationWith(DIEGO);
    await conversations.upsert(storedConversation(conversationId));
    const request = aRequest();
    const sent = await notifier().post(DIEGO, 'approvalRequest', request);
    assert.equal(sent.status, 'sent');
    if (sent.status !== 'sent') return;
    connector.dropConversation(conversationId);

    const posted: PostedCard = { ...sent.card, postedBy: 'e1' };
    const outcome = await notifier().update(posted, { ...request, version: request.version + 1 });
    assert.equal(outcome.status, 'unreachable');
    assert.match(outcome.status === 'unreachable' ? outcome.reason : '', /Bot Connector 404 ConversationNotFound: Conversation not found\. \(updating approvalRequest in a:personal-\S+\); the stored conversation was forgotten/);
    assert.equal(await conversations.get('user', DIEGO), undefined);
    assert.deepEqual(connector.calls().filter((c) => c.method === 'PUT').map((c) => c.status), [404]);
  });

  it('updates a card in the conversation it was posted to, even when the person has a newer one; a failed update there leaves the newer record', async () => {
    const old = 'a:personal-old-conversation';
    await conversations.upsert(storedConversation(connector.conversationWith(DIEGO)));
    const request = aRequest();
    const posted: PostedCard = {
      recipientId: DIEGO,
      card: 'approvalRequest',
      postedBy: 'e1',
      conversationId: old,
      activityId: 'activity-old',
      serviceUrl: connector.url,
      postedAt: '2026-03-01T09:00:00.000Z',
    };
    assert.deepEqual(await notifier().update(posted, request), { status: 'updated' });
    const [updated] = connector.activities().filter((a) => a.kind === 'update');
    assert.equal(updated.conversationId, old);
    assert.equal(updated.activityId, 'activity-old');

    connector.dropConversation(old);
    const outcome = await notifier().update(posted, request);
    assert.equal(outcome.status, 'unreachable');
    assert.equal((await conversations.get('user', DIEGO))?.conversationId, connector.conversationWith(DIEGO), 'the newer conversation stays');
  });

  it('throws a transient update failure (after the retries) so the caller may try again later', async () => {
    const conversationId = connector.conversationWith(DIEGO);
    await conversations.upsert(storedConversation(conversationId));
    connector.failConversation(conversationId, 503);
    const posted: PostedCard = {
      recipientId: DIEGO,
      card: 'approvalRequest',
      postedBy: 'e1',
      conversationId,
      activityId: 'activity-1',
      serviceUrl: connector.url,
      postedAt: '2026-03-01T09:00:00.000Z',
    };
    await assert.rejects(notifier().update(posted, aRequest()), (err: { statusCode?: number }) => err.statusCode === 503);
    assert.ok(await conversations.get('user', DIEGO), 'the record stays');
  });
});
