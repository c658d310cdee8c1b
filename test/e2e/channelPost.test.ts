/** TeamsNotifier's channel posts against the fake Bot Connector: a new thread, updates in it, unreachable channels. */
import { strict as assert } from 'node:assert';
import type { AccessRequest } from '../../src/domain/request';
import { createAdapter } from '../../src/teams/adapter';
import { TeamsNotifier } from '../../src/teams/notifier';
import { aRequest, aResource } from '../support/builders';
import { cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { InMemoryConversationStore, ManualClock, sampleCatalog } from '../support/fakes';
import { SALES_CHANNEL } from './support';

const TENANT = '99999999-0000-4000-8000-000000000001';

function failedRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return aRequest({
    state: 'partiallyDelivered',
    completedAt: '2026-03-02T09:00:00.000Z',
    resources: [aResource({ key: '00', status: 'delivered', attempts: 1 }), aResource({ key: '01', status: 'failed', attempts: 1, lastError: 'HTTP 403 Authorization_RequestDenied' })],
    ...overrides,
  });
}

describe('e2e: TeamsNotifier channel posts through the fake Bot Connector', function () {
  this.timeout(30_000);
  let connector: FakeConnector;
  let conversations: InMemoryConversationStore;
  const clock = new ManualClock('2026-03-03T09:00:00.000Z');

  const notifier = (teamsServiceUrl?: string) =>
    new TeamsNotifier({ adapter: createAdapter(undefined), botAppId: '', conversations, catalog: sampleCatalog(), clock, teamsServiceUrl, tenantId: TENANT });

  beforeEach(async () => {
    connector = await startFakeConnector();
    conversations = new InMemoryConversationStore();
  });
  afterEach(async () => connector.close());

  it('is unreachable when the bot never heard from the channel and TEAMS_SERVICE_URL is not set', async () => {
    const outcome = await notifier().postToChannel(SALES_CHANNEL, 'deliveryFailedAlert', failedRequest());
    assert.equal(outcome.status, 'notInstalled');
    assert.deepEqual(connector.activities(), []);
  });

  it('starts a new thread (POST /v3/conversations) with TEAMS_SERVICE_URL, and updates the card in that thread', async () => {
    const request = failedRequest();
    const outcome = await notifier(connector.url).postToChannel(SALES_CHANNEL, 'deliveryFailedAlert', request);
    assert.equal(outcome.status, 'sent');
    const [created] = connector.created();
    assert.deepEqual(created.parameters?.isGroup, true);
    assert.deepEqual(created.parameters?.channelData, { channel: { id: SALES_CHANNEL.channelId }, team: { id: SALES_CHANNEL.teamId }, tenant: { id: TENANT } });
    assert.match(cardText(cardOf(created)), /Partly delivered: Adele Vance's request for CRM users/);
    if (outcome.status !== 'sent') return;
    assert.deepEqual(outcome.card, {
      recipientId: `channel:${SALES_CHANNEL.channelId}`,
      card: 'deliveryFailedAlert',
      conversationId: created.conversationId,
      activityId: created.activityId,
      serviceUrl: connector.url,
      postedAt: clock.now().toISOString(),
    });

    // The channel's locale, once known, is used for updates; they go to the thread's root message.
    await conversations.upsert({ key: SALES_CHANNEL.channelId, kind: 'channel', locale: 'ja-JP', serviceUrl: connector.url, conversationId: SALES_CHANNEL.channelId, reference: {}, updatedAt: '' });
    await notifier().update({ ...outcome.card, postedBy: 'x' }, { ...request, state: 'delivered', version: 3 });
    const [updated] = connector.inConversation(created.conversationId).filter((a) => a.kind === 'update');
    assert.equal(updated.activityId, created.activityId);
    assert.match(cardText(cardOf(updated)), /配信されました/);
  });

  it('uses the serviceUrl of the stored channel record, and reports a channel the bot is not in as unreachable', async () => {
    await conversations.upsert({ key: SALES_CHANNEL.channelId, kind: 'channel', serviceUrl: connector.url, conversationId: SALES_CHANNEL.channelId, reference: {}, updatedAt: '' });
    assert.equal((await notifier().postToChannel(SALES_CHANNEL, 'deliveryFailedAlert', failedRequest())).status, 'sent');
    connector.failConversation(SALES_CHANNEL.channelId, 403);
    const refused = await notifier().postToChannel(SALES_CHANNEL, 'deliveryFailedAlert', failedRequest());
    assert.equal(refused.status, 'notInstalled');
    assert.equal(connector.created().length, 1);
  });
});
