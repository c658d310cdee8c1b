/**
 * Reprocess (seed 000) over HTTP: a permanent Graph fault leaves a request partly delivered, the catalog's
 * channel gets an alert thread, `failed` lists it, a non-manager is refused, a manager reprocesses after the
 * fault is cleared, and the 14-day rule with the dev clock.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { personalConversationId } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP } from '../support/demoTenant';
import { alertThread, PEOPLE, requestApproved, requireLastCardTo, SALES_CHANNEL, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

const APP_ROLE_WRITE = /\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/;

describe('e2e: reprocess a failed delivery from the channel card', function () {
  this.timeout(120_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
    // The bot hears from the sales channel first (that is how it learns where to post).
    const hello = await bot.teams.sayInChannel(PEOPLE.patti, 'hello', SALES_CHANNEL);
    assert.equal(hello.status, 200);
  });

  after(async () => bot?.stop());

  it('in a channel, anything but `failed` gets a short hint', () => {
    const replies = bot.connector.activities().filter((a) => a.conversationId.startsWith(SALES_CHANNEL.channelId) && a.kind === 'send');
    assert.match(String(replies.at(-1)?.activity.text), /mention me with "failed"/);
  });

  it('partly delivered → alert thread → `failed` → non-manager refused → manager reprocesses → delivered', async () => {
    bot.graph.failNext({ method: 'POST', path: APP_ROLE_WRITE, status: 403, times: Number.POSITIVE_INFINITY });
    const requestId = await requestApproved(bot, PEOPLE.adele);

    // The requester's status card says partly delivered; the channel got a new thread (POST /v3/conversations).
    const status = bot.connector.activities().filter((a) => a.kind === 'update' && a.conversationId === personalConversationId(PEOPLE.adele)).at(-1);
    assert.match(cardText(cardOf(status)), /Partially delivered/);
    const thread = alertThread(bot, requestId);
    assert.deepEqual(thread.parameters?.isGroup, true);
    assert.deepEqual((thread.parameters?.channelData as { channel: unknown }).channel, { id: SALES_CHANNEL.channelId });
    const alertText = cardText(cardOf(thread));
    for (const expected of ['Partly delivered', 'Adele Vance', 'CRM users', 'Authorization_RequestDenied', 'You can reprocess this request until']) {
      assert.ok(alertText.includes(expected), `alert card misses "${expected}":\n${alertText}`);
    }
    const reprocess = cardActions(cardOf(thread)).find((a) => a.verb === 'request.reprocess');
    assert.deepEqual(reprocess?.data, { requestId, version: reprocess?.data?.version });
    const place = { ...SALES_CHANNEL, threadId: thread.conversationId };

    // `failed` mentioned in the channel: the managers' card, in the thread it was asked in.
    await bot.teams.sayInChannel(PEOPLE.patti, 'failed', SALES_CHANNEL);
    const list = bot.connector.activities().filter((a) => a.kind === 'send' && a.conversationId.startsWith(SALES_CHANNEL.channelId) && cardOf(a)).at(-1);
    const choiceSet = JSON.stringify(cardOf(list));
    assert.match(choiceSet, /"id":"requestIds"/);
    assert.match(choiceSet, /"isMultiSelect":true/);
    assert.ok(choiceSet.includes(`"value":"${requestId}"`), 'the request is listed');

    // Isaiah is no manager: 403 with a sentence, and nothing changes.
    const writesBefore = bot.graph.writes().length;
    const updatesBefore = bot.connector.activities().filter((a) => a.kind === 'update').length;
    const refused = await bot.teams.clickInChannel(PEOPLE.isaiah, 'request.reprocess', reprocess?.data, place, thread.activityId);
    assert.equal(refused.statusCode, 403);
    assert.match(String(refused.message), /Only the catalog owners, the access package managers/);
    const refusedHistory = await bot.teams.clickInChannel(PEOPLE.isaiah, 'request.history', reprocess?.data, place, thread.activityId);
    assert.equal(refusedHistory.statusCode, 403);
    await bot.settle();
    assert.equal(bot.graph.writes().length, writesBefore);
    assert.equal(bot.connector.activities().filter((a) => a.kind === 'update').length, updatesBefore);

    // The fault is cleared; Patti (catalog owner) reprocesses from the `failed` list.
    bot.graph.clearFaults();
    const done = await bot.teams.clickInChannel(PEOPLE.patti, 'request.reprocess', { requestIds: requestId }, place, list?.activityId);
    assert.equal(done.statusCode, 200, done.message);
    assert.match(cardText(done.value), /Delivering again/);
    await bot.settle();

    // Delivered: Adele got #6; the group membership was written once; the app role now too.
    assert.match(cardText(cardOf(requireLastCardTo(bot, PEOPLE.adele))), /You now have access to CRM users/);
    const succeeded = bot.graph.writes().filter((w) => w.status < 300);
    assert.equal(succeeded.filter((w) => w.path.includes(`/groups/${CRM_USERS_GROUP}/members`)).length, 1);
    assert.equal(succeeded.filter((w) => APP_ROLE_WRITE.test(w.path)).length, 1);

    // The alert thread was updated in place and now says delivered, without buttons.
    const alertNow = bot.connector.inConversation(thread.conversationId).filter((a) => a.kind === 'update' && a.activityId === thread.activityId).at(-1);
    assert.match(cardText(cardOf(alertNow)), /was delivered/);
    assert.deepEqual(cardActions(cardOf(alertNow)), []);

    // `failed` no longer lists it.
    await bot.teams.sayInChannel(PEOPLE.patti, 'failed', SALES_CHANNEL);
    const after = bot.connector.activities().filter((a) => a.kind === 'send' && a.conversationId.startsWith(SALES_CHANNEL.channelId) && cardOf(a)).at(-1);
    assert.ok(!JSON.stringify(cardOf(after)).includes(requestId));

    // The history (Diego's Teams is Japanese) shows the reprocess by Patti.
    const history = await bot.teams.clickInChannel(PEOPLE.diego, 'request.history', reprocess?.data, place, thread.activityId);
    assert.equal(history.statusCode, 200, history.message);
    const historyText = cardText(history.value);
    assert.match(historyText, /履歴/);
    assert.match(historyText, /Patti Fernandez[\s\S]*配信を再処理/);
    assert.match(historyText, /Microsoft Graph でアクセスを付与/);
  });

  it('14 days after completion it can no longer be reprocessed (412, cancel and submit a new request)', async () => {
    bot.graph.failNext({ method: 'POST', path: APP_ROLE_WRITE, status: 403, times: Number.POSITIVE_INFINITY });
    const requestId = await requestApproved(bot, PEOPLE.isaiah);
    const thread = alertThread(bot, requestId);
    bot.graph.clearFaults();
    await bot.advanceAndTick('P15D');
    const place = { ...SALES_CHANNEL, threadId: thread.conversationId };
    const late = await bot.teams.clickInChannel(PEOPLE.patti, 'request.reprocess', { requestId, version: 1 }, place, thread.activityId);
    assert.equal(late.statusCode, 412);
    assert.match(String(late.message), /more than 14 days ago[\s\S]*must cancel it and submit a new request/);
  });
});
