/**
 * Proactive reach over HTTP: cards for people the bot never heard from (the app installed through Graph, a 1:1
 * created through the Bot Connector), each notification's outcome in the audit trail and on the History card,
 * 429s retried after Retry-After, and a fan-out to 60 approvers kept within Teams' rate limits.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { GraphSeedInput, WriteRecord } from '../../src/local/graphEmulator';
import { cardActions, cardOf, cardText, teamsUserIdOf, type ConnectorCall, type SentActivity } from '../support/fakeConnector';
import { personalConversationId, type TeamsUser } from '../support/teamsClient';
import { cardsTo, lastCardTo, PEOPLE, startE2eBot, type E2eBot } from './support';

const TEAMS_APP_ID = '55555555-0000-4000-8000-000000000001';
/** The bot of the Teams app, named in the id of a person's chat with it. */
const APP_BOT_ID = '55555555-0000-4000-8000-0000000000b0';
const CRM_APPROVERS_GROUP = '22222222-0000-4000-8000-000000000003';

/** The demo tenant, whose Teams app catalog has the bot's app. */
function tenantWithApp(): GraphSeedInput {
  const directory = JSON.parse(readFileSync('directory.sample.json', 'utf8')) as GraphSeedInput;
  return { ...directory, teamsApps: [{ id: TEAMS_APP_ID, displayName: 'Access Requests', botId: APP_BOT_ID }] };
}

/** The chat between a person and the app, as Graph names it (`19:{bot}_{user}@unq.gbl.spaces`). */
function chatWithApp(person: TeamsUser): string {
  return `19:${APP_BOT_ID}_${person.aadObjectId}@unq.gbl.spaces`;
}

async function submitCrmRequest(bot: E2eBot, requester: TeamsUser): Promise<string> {
  await bot.teams.say(requester, 'request');
  const form = lastCardTo(bot, requester);
  assert.ok(form, 'the form was sent');
  const answer = await bot.teams.click(requester, 'request.submit', { packageId: 'crm-users', justification: 'Quarterly planning' }, form.activityId);
  assert.equal(answer.statusCode, 200, answer.message);
  await bot.settle();
  const status = cardActions(cardOf(lastCardTo(bot, requester))).find((a) => typeof a.data?.requestId === 'string');
  const requestId = status?.data?.requestId ?? /"requestId":"([^"]+)"/.exec(JSON.stringify(bot.connector.activities()))?.[1];
  assert.ok(typeof requestId === 'string', `the request id is on a card: ${JSON.stringify(bot.connector.calls())}`);
  return requestId;
}

/** The History card of a request as `manager` (a catalog owner) sees it. */
async function historyText(bot: E2eBot, manager: TeamsUser, requestId: string): Promise<string> {
  const answer = await bot.teams.click(manager, 'request.history', { requestId, version: 1 });
  assert.equal(answer.statusCode, 200, answer.message);
  return cardText(answer.value);
}

/** The most calls in any window of `windowInMs` (half-open, like Teams' limits). */
function busiest(calls: ConnectorCall[], windowInMs: number): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j] - times[i] >= windowInMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('e2e: proactive reach, notification outcomes and Teams rate limits', function () {
  this.timeout(120_000);
  let bot: E2eBot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  it('installs the app for approvers it never heard from, finds their chat with it through Graph and sends the approval card there', async () => {
    bot = await startE2eBot({ TEAMS_APP_ID }, { seed: tenantWithApp() });
    // Megan already has the app (Graph answers 409 to the second install): that is fine.
    bot.graph.store.installTeamsApp(PEOPLE.megan.aadObjectId, TEAMS_APP_ID);
    await bot.teams.install(PEOPLE.adele);
    await bot.teams.install(PEOPLE.patti);
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);

    for (const approver of [PEOPLE.diego, PEOPLE.megan]) {
      const user = `/v1.0/users/${approver.aadObjectId}/teamwork/installedApps`;
      const installs: WriteRecord[] = bot.graph.writes().filter((w) => w.path === user);
      assert.equal(installs.length, 1, `one install for ${approver.name}`);
      assert.deepEqual(bot.graph.store.installedTeamsApps(approver.aadObjectId), [TEAMS_APP_ID]);
      // The documented flow: install, find the installation, read its chat; the chat id is the conversation.
      const graphCalls: string[] = bot.graph.requests().filter((r) => r.path.startsWith(user)).map((r) => `${r.method} ${r.path.slice(user.length) || '/'}`);
      const [installation] = bot.graph.store.listInstalledApps(approver.aadObjectId);
      assert.deepEqual(graphCalls, ['POST /', 'GET /', `GET /${encodeURIComponent(installation.id)}/chat`]);
      const chatId = chatWithApp(approver);
      assert.equal(bot.connector.created().filter((c) => c.conversationId.includes(approver.aadObjectId)).length, 0, 'no 1:1 created through the Bot Connector');
      const cards: SentActivity[] = bot.connector.inConversation(chatId).filter((a) => a.kind === 'send' && cardOf(a));
      assert.equal(cards.length, 1, `${approver.name} got one card, in the chat Graph named`);
      assert.ok(Date.parse(bot.graph.requests().find((r) => r.path.endsWith('/chat') && r.path.startsWith(user))!.at) <= cards[0].at, 'the chat was found before the card was sent');
      assert.ok(cardActions(cardOf(cards[0])).some((a) => a.verb === 'request.approve'));
      // Their Teams user id came from the Bot Connector's member lookup, and names them in the card's refresh.
      const record = await bot.conversations.get('user', approver.aadObjectId);
      assert.equal(record?.conversationId, chatId);
      assert.equal(record?.teamsUserId, teamsUserIdOf(approver.aadObjectId));
      const userIds = (cardOf(cards[0])?.refresh as { userIds: string[] }).userIds;
      assert.ok(userIds.includes(teamsUserIdOf(approver.aadObjectId)), `${approver.name}'s MRI is in refresh.userIds: ${userIds.join()}`);
      assert.ok(userIds.every((id) => id.startsWith('29:')), `only Teams user ids: ${userIds.join()}`);
    }
    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.megan.aadObjectId}/teamwork/installedApps`))?.status, 409);
    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.diego.aadObjectId}/teamwork/installedApps`))?.status, 201);

    // The conversation is remembered: a reminder goes straight there, with no second install.
    await bot.advanceAndTick('P13DT1H');
    assert.equal(bot.graph.writes().filter((w) => w.path.endsWith('/teamwork/installedApps')).length, 2);
    assert.ok(bot.connector.inConversation(chatWithApp(PEOPLE.diego)).filter((a) => a.kind === 'send').length >= 2, 'the reminder reached Diego in the same chat');

    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Teams notification/);
    assert.match(history, /approvalRequest → Diego Siciliani \(11111111-0000-4000-8000-000000000002\)/);
    assert.match(history, /Outcome: sent/);
  });

  it('retries finding the chat while Graph does not list it yet, and names an app the tenant\'s catalog lacks', async () => {
    bot = await startE2eBot({ TEAMS_APP_ID }, { seed: tenantWithApp() });
    await bot.teams.install(PEOPLE.adele);
    await bot.teams.install(PEOPLE.patti);
    // Right after the install, the installation is not listed yet for Diego, and Megan's chat lookup fails once.
    bot.graph.failNext({ method: 'GET', path: new RegExp(`/users/${PEOPLE.diego.aadObjectId}/teamwork/installedApps$`), status: 404 });
    bot.graph.failNext({ method: 'GET', path: new RegExp(`/users/${PEOPLE.megan.aadObjectId}/teamwork/installedApps/[^/]+/chat$`), status: 502 });
    await submitCrmRequest(bot, PEOPLE.adele);
    for (const approver of [PEOPLE.diego, PEOPLE.megan]) {
      assert.equal(bot.connector.inConversation(chatWithApp(approver)).filter((a) => a.kind === 'send' && cardOf(a)).length, 1, `${approver.name} got the card`);
    }
    const lookups = (person: TeamsUser, suffix: string) =>
      bot!.graph.requests().filter((r) => r.method === 'GET' && r.path.startsWith(`/v1.0/users/${person.aadObjectId}/`) && r.path.endsWith(suffix)).map((r) => r.status);
    assert.deepEqual(lookups(PEOPLE.diego, '/installedApps'), [404, 200], 'Diego: looked again after a backoff');
    assert.deepEqual(lookups(PEOPLE.megan, '/chat'), [502, 200], "Megan: her chat read again");
    await bot.stop();

    // An app id the tenant's catalog does not have (e.g. the manifest id instead of the catalog id): a clear failure.
    bot = await startE2eBot({ TEAMS_APP_ID: '77777777-0000-4000-8000-00000000dead' }, { seed: tenantWithApp() });
    await bot.teams.install(PEOPLE.adele);
    await bot.teams.install(PEOPLE.patti);
    await bot.teams.install(PEOPLE.megan);
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);
    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.diego.aadObjectId}/teamwork/installedApps`))?.status, 404);
    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Diego Siciliani[^\n]*\n[\s\S]*?Outcome: app not installed \(installing the Teams app failed: the Teams app 77777777-0000-4000-8000-00000000dead \(TEAMS_APP_ID\) is not in the tenant's app catalog/);
  });

  it('heals a stored conversation that is gone (404 ConversationNotFound): forgets it, creates a new 1:1 and sends the card there', async () => {
    bot = await startE2eBot();
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
    const stale = personalConversationId(PEOPLE.diego);
    bot.connector.dropConversation(stale);
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);

    const fresh = bot.connector.conversationWith(PEOPLE.diego.aadObjectId);
    assert.notEqual(fresh, stale);
    const created = bot.connector.created().filter((c) => c.conversationId === fresh);
    assert.equal(created.length, 1, 'a new 1:1 was created with Diego');
    const cards = bot.connector.inConversation(fresh).filter((a) => a.kind === 'send' && cardOf(a));
    assert.equal(cards.length, 1, 'the approval card arrived in the new conversation');
    assert.ok(cardActions(cardOf(cards[0])).some((a) => a.verb === 'request.approve'));
    const record = await bot.conversations.get('user', PEOPLE.diego.aadObjectId);
    assert.equal(record?.conversationId, fresh, 'the stored record was replaced');
    assert.equal(record?.teamsUserId, teamsUserIdOf(PEOPLE.diego.aadObjectId));
    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Diego Siciliani[^\n]*\n[\s\S]*?Outcome: sent \(the stored conversation a:personal-[^ ]+ was gone \(Bot Connector 404 ConversationNotFound: Conversation not found\.\); reached again in a:personal-/);

    // The next card goes straight to the new conversation.
    await bot.advanceAndTick('P13DT1H');
    assert.equal(bot.connector.created().filter((c) => c.conversationId === fresh).length, 1);
    assert.ok(bot.connector.inConversation(fresh).filter((a) => a.kind === 'send').length >= 2, 'the reminder reached Diego there');
  });

  it('heals 403 BotNotInConversationRoster by installing the app again through Graph and sending in its chat; MessageWritesBlocked is "blocked"', async () => {
    bot = await startE2eBot({ TEAMS_APP_ID }, { seed: tenantWithApp() });
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
    // Megan removed the app: Teams says the bot is no longer in her conversation, Graph lists no installation.
    bot.connector.failConversation(personalConversationId(PEOPLE.megan), 'BotNotInConversationRoster');
    // Diego blocked the bot: Teams' 403 with subCode MessageWritesBlocked.
    bot.connector.failConversation(personalConversationId(PEOPLE.diego), 'MessageWritesBlocked');
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);

    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.megan.aadObjectId}/teamwork/installedApps`))?.status, 201, 'the app was installed for Megan again');
    const meganCards = bot.connector.inConversation(chatWithApp(PEOPLE.megan)).filter((a) => a.kind === 'send' && cardOf(a));
    assert.equal(meganCards.length, 1, 'Megan got her card in the chat with the reinstalled app');
    assert.equal((await bot.conversations.get('user', PEOPLE.megan.aadObjectId))?.conversationId, chatWithApp(PEOPLE.megan), 'her record was replaced');

    // A blocked person is not "healed": no install, no new conversation, one refused send.
    assert.equal(bot.graph.writes().filter((w) => w.path.includes(PEOPLE.diego.aadObjectId)).length, 0);
    assert.deepEqual(bot.connector.calls().filter((c) => c.conversationId === personalConversationId(PEOPLE.diego) && c.status >= 400).map((c) => `${c.method} ${c.status}`), ['POST 403']);
    assert.equal(bot.connector.created().length, 0);
    assert.equal((await bot.conversations.get('user', PEOPLE.diego.aadObjectId))?.conversationId, personalConversationId(PEOPLE.diego));

    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Megan Bowen[^\n]*\n[\s\S]*?Outcome: sent \(the stored conversation a:personal-[^ ]+ was gone \(Bot Connector 403 BotNotInConversationRoster/);
    assert.match(history, /Diego Siciliani[^\n]*\n[\s\S]*?Outcome: blocked by the user \(Bot Connector 403 MessageWritesBlocked: Thread is blocked from message writes\.\)/);
  });

  it('names approvers in refresh.userIds by the Teams user ids (29:…) of their conversations, never by object id', async () => {
    bot = await startE2eBot();
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
    await submitCrmRequest(bot, PEOPLE.adele);
    const approvers = [PEOPLE.diego, PEOPLE.megan].map((p) => teamsUserIdOf(p.aadObjectId)).sort();
    const refresh = cardOf(lastCardTo(bot, PEOPLE.diego))?.refresh as { action: { verb: string; data: unknown }; userIds: string[] };
    assert.deepEqual([...refresh.userIds].sort(), approvers);
    // Teams' refresh invoke is answered with Megan's view, whose refresh names the same people.
    const answer = await bot.teams.click(PEOPLE.megan, refresh.action.verb, refresh.action.data, lastCardTo(bot, PEOPLE.megan)?.activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    const answered = (answer.value as { refresh?: { userIds: string[] } }).refresh;
    assert.deepEqual([...(answered?.userIds ?? [])].sort(), approvers);
  });

  it('records a blocked approver as "blocked by the user" and carries on; a 429 is retried after Retry-After', async () => {
    bot = await startE2eBot();
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
    bot.connector.failConversation(personalConversationId(PEOPLE.diego), 403);
    bot.connector.throttle(personalConversationId(PEOPLE.megan), 1, 1);
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);

    const approvalCards = (person: TeamsUser) => cardsTo(bot!, person).filter((c) => cardActions(cardOf(c)).some((a) => a.verb === 'request.approve'));
    assert.equal(approvalCards(PEOPLE.diego).length, 0);
    assert.equal(approvalCards(PEOPLE.megan).length, 1, 'Megan got her card after the 429');
    const meganCalls = bot.connector.calls().filter((c) => c.conversationId === personalConversationId(PEOPLE.megan) && c.method === 'POST');
    assert.deepEqual(meganCalls.slice(-2).map((c) => c.status), [429, 201]);
    const [throttled, sent] = meganCalls.slice(-2);
    assert.ok(sent.at - throttled.at >= 1_000 - 5, `waited Retry-After (${sent.at - throttled.at} ms)`);

    // The effects after the blocked card still ran: Megan can approve, and the request is delivered.
    const approve = cardActions(cardOf(lastCardTo(bot, PEOPLE.megan))).find((a) => a.verb === 'request.approve');
    const answer = await bot.teams.click(PEOPLE.megan, 'request.approve', { ...approve?.data, approverJustification: 'ok' }, lastCardTo(bot, PEOPLE.megan)?.activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.adele))), /You now have access to CRM users/);

    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Diego Siciliani[^\n]*\n[\s\S]*?Outcome: blocked by the user \(Bot Connector 403 ConversationBlockedByUser/);
    assert.match(history, /Megan Bowen[^\n]*\n[\s\S]*?Outcome: throttled, then sent/);
    // Diego reads Japanese.
    const ja = cardText((await bot.teams.click(PEOPLE.diego, 'request.history', { requestId, version: 1 })).value);
    assert.match(ja, /ユーザーがブロック/);
    assert.match(ja, /制限により待機後に送信済み/);
  });

  it('fans one request out to 60 approvers it never heard from, within the per-conversation and per-tenant limits', async () => {
    const directory = JSON.parse(readFileSync('directory.sample.json', 'utf8')) as GraphSeedInput & { users: object[]; groups: Array<{ id: string; displayName: string; members: string[] }> };
    const approvers = Array.from({ length: 60 }, (_, i) => ({
      id: `66666666-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      displayName: `Approver ${i + 1}`,
      userPrincipalName: `approver${i + 1}@contoso.example`,
      userType: 'Member',
      accountEnabled: true,
    }));
    directory.users.push(...approvers);
    directory.groups.find((g) => g.id === CRM_APPROVERS_GROUP)!.members = approvers.map((a) => a.id);
    // The sample catalog's CRM stage asks the CRM Approvers group: here it holds 60 people.
    bot = await startE2eBot({}, { seed: directory });
    await bot.teams.install(PEOPLE.adele);
    await submitCrmRequest(bot, PEOPLE.adele);

    for (const approver of approvers) {
      const sends: SentActivity[] = bot.connector.inConversation(`a:personal-${approver.id}`).filter((a) => a.kind === 'send' && cardOf(a));
      assert.equal(sends.length, 1, `${approver.displayName} got one card`);
    }
    // Everything from the first 1:1 created on: the fan-out (the form sent earlier was a reply, not a proactive send).
    const firstCreate = bot.connector.created()[0].at;
    const calls = bot.connector.calls().filter((c) => c.at >= firstCreate);
    const byConversation = new Map<string, ConnectorCall[]>();
    for (const call of calls) if (call.conversationId) byConversation.set(call.conversationId, [...(byConversation.get(call.conversationId) ?? []), call]);
    for (const [id, list] of byConversation) {
      assert.ok(busiest(list, 1_000) <= 7, `${id}: ≤ 7 per second`);
      assert.ok(busiest(list, 30_000) <= 60, `${id}: ≤ 60 per 30 s`);
    }
    assert.ok(busiest(calls, 1_000) <= 50, `tenant: ${busiest(calls, 1_000)} calls in one second`);
    assert.ok(calls.length >= 120, 'a create and a send per approver');
  });
});
