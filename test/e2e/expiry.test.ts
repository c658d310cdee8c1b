/**
 * The end of access over HTTP with the dev clock: #7 with Extend, the extension moving the end and the next #7,
 * removal from Graph (emulator) at the end with #8, and giving access back early from `status`.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText, type SentActivity } from '../support/fakeConnector';
import type { TeamsUser } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP, CRM_SP } from '../support/demoTenant';
import { cardsTo, PEOPLE, requireLastCardTo, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

function button(sent: SentActivity, verb: string) {
  const action = cardActions(cardOf(sent)).find((a) => a.verb === verb);
  assert.ok(action?.data, `the card has a ${verb} button`);
  return action.data;
}

async function click(bot: E2eBot, user: TeamsUser, verb: string, data: unknown, replyToId: string) {
  const answer = await bot.teams.click(user, verb, data, replyToId);
  assert.equal(answer.statusCode, 200, answer.message);
  await bot.settle();
  return answer;
}

/** `requester` asks for CRM users and Megan approves: delivered (group membership + app role). */
async function deliveredCrm(bot: E2eBot, requester: TeamsUser): Promise<void> {
  await bot.teams.say(requester, 'request');
  await click(bot, requester, 'request.submit', { packageId: 'crm-users', justification: 'Pipeline review' }, requireLastCardTo(bot, requester).activityId);
  const approval = requireLastCardTo(bot, PEOPLE.megan);
  await click(bot, PEOPLE.megan, 'request.approve', { ...button(approval, 'request.approve'), approverJustification: 'ok' }, approval.activityId);
  assert.match(cardText(cardOf(requireLastCardTo(bot, requester))), /You now have access to CRM users/);
}

function holdsCrm(bot: E2eBot, user: TeamsUser): { member: boolean; appRole: boolean } {
  const id = user.aadObjectId.toLowerCase();
  const group = bot.graph.store.getGroup(CRM_USERS_GROUP);
  return {
    member: [...group.members].some((m) => m.toLowerCase() === id),
    appRole: bot.graph.store.listAssignments(CRM_SP, user.aadObjectId).length > 0,
  };
}

async function statusText(bot: E2eBot, user: TeamsUser): Promise<{ text: string; card: SentActivity }> {
  await bot.teams.say(user, 'status');
  const card = requireLastCardTo(bot, user);
  return { text: cardText(cardOf(card)), card };
}

describe('e2e: access expiry, extension and release with the dev clock', function () {
  this.timeout(90_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
  });

  after(async () => bot?.stop());

  it('#7 with Extend; extending moves the end and the next #7; at the end Graph access is removed and #8 sent', async () => {
    const adele = PEOPLE.adele;
    await deliveredCrm(bot, adele);
    assert.deepEqual(holdsCrm(bot, adele), { member: true, appRole: true });

    // 365 days of access (catalog.sample.json): 14 days before the end, #7 with Extend.
    const reminder = await bot.advanceAndTick('P351D');
    await bot.settle();
    assert.equal(reminder.done, 1, JSON.stringify(reminder));
    const endingSoon = requireLastCardTo(bot, adele);
    assert.match(cardText(cardOf(endingSoon)), /Your access to CRM users ends in 14 days/);

    const extended = await click(bot, adele, 'access.extend', button(endingSoon, 'access.extend'), endingSoon.activityId);
    assert.match(cardText(extended.value), /extended/);
    assert.match(cardText(extended.value), /ends in 379 days/, 'the answer shows the new end (14 + 365 days)');

    // The old expiry and reminder are stale; 14 days before the new end, a new #7.
    const old = await bot.advanceAndTick('P14D');
    await bot.settle();
    assert.equal(old.done, 0, JSON.stringify(old));
    assert.deepEqual(holdsCrm(bot, adele), { member: true, appRole: true }, 'not removed at the old end');
    const sentBefore = cardsTo(bot, adele).length;
    const next = await bot.advanceAndTick('P351D');
    await bot.settle();
    assert.equal(next.done, 1, JSON.stringify(next));
    assert.equal(cardsTo(bot, adele).length, sentBefore + 1);
    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /ends in 14 days/);

    // At the new end: removed from the group and the app role, accessExpired, #8.
    await bot.advanceAndTick('P14D');
    await bot.settle();
    assert.deepEqual(holdsCrm(bot, adele), { member: false, appRole: false });
    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /Your access to CRM users has ended/);
    const { text } = await statusText(bot, adele);
    assert.match(text, /Access ended/);
  });

  it('releases access early from `status`: removed at once, #8', async () => {
    const isaiah = PEOPLE.isaiah;
    await deliveredCrm(bot, isaiah);
    assert.deepEqual(holdsCrm(bot, isaiah), { member: true, appRole: true });
    const { card } = await statusText(bot, isaiah);
    const answer = await click(bot, isaiah, 'access.release', button(card, 'access.release'), card.activityId);
    assert.match(cardText(answer.value), /being removed/);
    assert.deepEqual(holdsCrm(bot, isaiah), { member: false, appRole: false });
    assert.match(cardText(cardOf(requireLastCardTo(bot, isaiah))), /Your access to CRM users has ended/);
    const after = await statusText(bot, isaiah);
    assert.match(after.text, /Access ended/);
    assert.equal(cardActions(cardOf(after.card)).filter((a) => a.verb === 'access.release').length, 0);
  });

  it('refuses a release by someone else with 403', async () => {
    const lee = PEOPLE.lee;
    await deliveredCrm(bot, lee);
    const { card } = await statusText(bot, lee);
    const forged = await bot.teams.click(PEOPLE.megan, 'access.release', button(card, 'access.release'), card.activityId);
    assert.equal(forged.statusCode, 403);
    assert.deepEqual(holdsCrm(bot, lee), { member: true, appRole: true });
  });
});
