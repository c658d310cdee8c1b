/**
 * Proactive reach over HTTP: cards for people the bot never heard from (the app installed through Graph, a 1:1
 * created through the Bot Connector), each notification's outcome in the audit trail and on the History card,
 * 429s retried after Retry-After, and a fan-out to 60 approvers kept within Teams' rate limits.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { GraphSeedInput } from '../../src/local/graphEmulator';
import { cardActions, cardOf, cardText, type ConnectorCall, type SentActivity } from '../support/fakeConnector';
import { personalConversationId, type TeamsUser } from '../support/teamsClient';
import { cardsTo, lastCardTo, PEOPLE, startE2eBot, type E2eBot } from './support';

const TEAMS_APP_ID = '55555555-0000-4000-8000-000000000001';
const CRM_APPROVERS_GROUP = '22222222-0000-4000-8000-000000000003';

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

  it('installs the app for approvers it never heard from, creates the 1:1 and sends the approval card there', async () => {
    bot = await startE2eBot({ TEAMS_APP_ID });
    // Megan already has the app (Graph answers 409 to the second install): that is fine.
    bot.graph.store.installTeamsApp(PEOPLE.megan.aadObjectId, TEAMS_APP_ID);
    await bot.teams.install(PEOPLE.adele);
    await bot.teams.install(PEOPLE.patti);
    const requestId = await submitCrmRequest(bot, PEOPLE.adele);

    for (const approver of [PEOPLE.diego, PEOPLE.megan]) {
      const installs: Array<{ at: string }> = bot.graph.writes().filter((w) => w.path === `/v1.0/users/${approver.aadObjectId}/teamwork/installedApps`);
      assert.equal(installs.length, 1, `one install for ${approver.name}`);
      assert.deepEqual(bot.graph.store.installedTeamsApps(approver.aadObjectId), [TEAMS_APP_ID]);
      const created: SentActivity[] = bot.connector.created().filter((c) => c.conversationId === personalConversationId(approver));
      assert.equal(created.length, 1, `a 1:1 was created with ${approver.name}`);
      assert.equal(created[0].parameters?.isGroup, false);
      assert.deepEqual(created[0].parameters?.members, [{ id: approver.aadObjectId, name: '' }]);
      assert.ok(Date.parse(installs[0].at) <= created[0].at, 'the app was installed before the conversation was created');
      const cards = cardsTo(bot, approver);
      assert.equal(cards.length, 1, `${approver.name} got one card`);
      assert.ok(cardActions(cardOf(cards[0])).some((a) => a.verb === 'request.approve'));
    }
    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.megan.aadObjectId}/teamwork/installedApps`))?.status, 409);
    assert.equal(bot.graph.writes().find((w) => w.path.endsWith(`${PEOPLE.diego.aadObjectId}/teamwork/installedApps`))?.status, 201);

    // The conversation is remembered: a reminder goes straight there, with no second install or create.
    const createdBefore = bot.connector.created().length;
    await bot.advanceAndTick('P13DT1H');
    assert.equal(bot.connector.created().length, createdBefore);
    assert.equal(bot.graph.writes().filter((w) => w.path.endsWith('/teamwork/installedApps')).length, 2);
    assert.ok(cardsTo(bot, PEOPLE.diego).length >= 2, 'the reminder reached Diego in the same chat');

    const history = await historyText(bot, PEOPLE.patti, requestId);
    assert.match(history, /Teams notification/);
    assert.match(history, /approvalRequest → Diego Siciliani \(11111111-0000-4000-8000-000000000002\)/);
    assert.match(history, /Outcome: sent/);
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
