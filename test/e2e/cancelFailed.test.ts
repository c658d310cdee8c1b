/**
 * Issue 12 item 4, seed 000, over HTTP: a permanent 403 on the app-role write leaves Adele's CRM users partly
 * delivered and alerts the channel. Adele cancels it from `cancel`: the group membership it delivered is removed in
 * Graph, `failed` no longer lists it, the channel card says she canceled it, its Reprocess is refused, a second
 * cancel is 409, and she can request CRM users again (the new request goes to the approvers).
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { ADELE, CRM_USERS as CRM_USERS_GROUP } from '../support/demoTenant';
import { alertThread, PEOPLE, requestApproved, requireLastCardTo, SALES_CHANNEL, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

const APP_ROLE_WRITE = /\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/;

describe('e2e: the requester cancels a partly delivered request (seed 000)', function () {
  this.timeout(120_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
    assert.equal((await bot.teams.sayInChannel(PEOPLE.patti, 'hello', SALES_CHANNEL)).status, 200);
  });
  after(async () => bot?.stop());

  const failedListText = async (): Promise<string> => {
    await bot.teams.sayInChannel(PEOPLE.patti, 'failed', SALES_CHANNEL);
    const list = bot.connector.activities().filter((a) => a.kind === 'send' && a.conversationId.startsWith(SALES_CHANNEL.channelId) && cardOf(a)).at(-1);
    return JSON.stringify(cardOf(list));
  };
  const isMember = () => bot.graph.store.getGroup(CRM_USERS_GROUP).members.has(ADELE.toLowerCase());

  it('removes what it delivered, leaves the failed list, the channel card says canceled, reprocess is refused, and Adele can ask again', async () => {
    bot.graph.failNext({ method: 'POST', path: APP_ROLE_WRITE, status: 403, times: Number.POSITIVE_INFINITY });
    const requestId = await requestApproved(bot, PEOPLE.adele);
    const thread = alertThread(bot, requestId);
    const place = { ...SALES_CHANNEL, threadId: thread.conversationId };
    const reprocess = cardActions(cardOf(thread)).find((a) => a.verb === 'request.reprocess');
    assert.ok(reprocess?.data, 'the alert offers Reprocess');
    assert.ok(isMember(), 'the group membership was delivered');
    assert.ok((await failedListText()).includes(requestId), '`failed` lists it');

    // `cancel` offers the partly delivered request.
    await bot.teams.say(PEOPLE.adele, 'cancel');
    const list = requireLastCardTo(bot, PEOPLE.adele);
    assert.match(cardText(cardOf(list)), /whose delivery failed/);
    const cancel = cardActions(cardOf(list)).find((a) => a.verb === 'request.cancel' && a.data?.requestId === requestId);
    assert.ok(cancel?.data, 'a Cancel button for the partly delivered request');

    // Isaiah is not the requester: 403; bad input: 400. Neither changes anything.
    const writesBefore = bot.graph.writes().length;
    const forged = await bot.teams.click(PEOPLE.isaiah, 'request.cancel', cancel.data);
    assert.equal(forged.statusCode, 403);
    assert.match(String(forged.message), /This is not your request, so you cannot cancel it/);
    const bad = await bot.teams.click(PEOPLE.adele, 'request.cancel', { requestId: 'not-a-guid', version: 1 }, list.activityId);
    assert.equal(bad.statusCode, 400);
    await bot.settle();
    assert.equal(bot.graph.writes().length, writesBefore);
    assert.ok(isMember());

    // Adele cancels: the answer says the access is being removed; then Graph removes the membership.
    const answer = await bot.teams.click(PEOPLE.adele, 'request.cancel', cancel.data, list.activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    assert.match(cardText(answer.value), /Canceled: the access it delivered is being removed/);
    await bot.settle();
    assert.equal(isMember(), false, 'the membership it delivered is gone');
    const removal = bot.graph.writes().filter((w) => w.method === 'DELETE' && w.path.includes(`/groups/${CRM_USERS_GROUP}/members/`));
    assert.deepEqual(removal.map((w) => w.status), [204]);
    assert.match(cardText(cardOf(requireLastCardTo(bot, PEOPLE.adele))), /Your access to CRM users has ended/);

    // `failed` no longer lists it; the alert thread was updated in place: canceled, History only.
    assert.ok(!(await failedListText()).includes(requestId), '`failed` no longer lists it');
    const alertNow = bot.connector.inConversation(thread.conversationId).filter((a) => a.kind === 'update' && a.activityId === thread.activityId).at(-1);
    assert.match(cardText(cardOf(alertNow)), /Adele Vance canceled the request for CRM users/);
    assert.match(cardText(cardOf(alertNow)), /can no longer be reprocessed/);
    assert.deepEqual(cardActions(cardOf(alertNow)).map((a) => a.verb), ['request.history']);

    // Reprocess from the old card: refused with a sentence; nothing is written to Graph.
    const writesAfterCancel = bot.graph.writes().length;
    const late = await bot.teams.clickInChannel(PEOPLE.patti, 'request.reprocess', reprocess.data, place, thread.activityId);
    assert.equal(late.statusCode, 409);
    assert.match(String(late.message), /Adele Vance canceled this request, so it can no longer be reprocessed/);
    // A second cancel: 409 with a sentence.
    const again = await bot.teams.click(PEOPLE.adele, 'request.cancel', cancel.data, list.activityId);
    assert.equal(again.statusCode, 409);
    assert.match(String(again.message), /You already canceled this request/);
    await bot.settle();
    assert.equal(bot.graph.writes().length, writesAfterCancel);

    // Adele asks for CRM users again: a new request, put to the approvers.
    bot.graph.clearFaults();
    await bot.teams.say(PEOPLE.adele, 'request');
    const submitted = await bot.teams.click(PEOPLE.adele, 'request.submit', { packageId: 'crm-users', justification: 'Again' }, requireLastCardTo(bot, PEOPLE.adele).activityId);
    assert.equal(submitted.statusCode, 200, submitted.message);
    await bot.settle();
    const approve = cardActions(cardOf(requireLastCardTo(bot, PEOPLE.diego))).find((a) => a.verb === 'request.approve');
    assert.ok(approve?.data?.requestId, 'Diego is asked to approve');
    assert.notEqual(approve.data.requestId, requestId, 'a new request');
  });
});
