/**
 * The approval lifecycle over HTTP, with the dev clock: two stages, manager approval, escalation,
 * reminder, timeout, scheduled start, cancel, status, and two approvers clicking at the same moment.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import type { TeamsUser } from '../support/teamsClient';
import { cardsTo, lastCardTo, PEOPLE, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

/** The data of a button on the latest card sent to `user`. */
function button(bot: E2eBot, user: TeamsUser, verb: string) {
  const card = lastCardTo(bot, user);
  const action = cardActions(cardOf(card)).find((a) => a.verb === verb);
  assert.ok(action?.data, `${user.name}'s latest card has a ${verb} button`);
  return { data: action.data, activityId: card!.activityId };
}

async function submit(bot: E2eBot, requester: TeamsUser, data: Record<string, unknown>): Promise<void> {
  await bot.teams.say(requester, 'request');
  const answer = await bot.teams.click(requester, 'request.submit', data, lastCardTo(bot, requester)!.activityId);
  assert.equal(answer.statusCode, 200, answer.message);
  await bot.settle();
}

describe('e2e: the approval lifecycle with the dev clock', function () {
  this.timeout(90_000);
  let bot: E2eBot;

  // catalog.sample.json's "Finance reports": the requester's manager, then Patti (forwarded to Lee after 2 days).
  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
  });

  after(async () => bot?.stop());

  it('runs two stages with escalation and a reminder, as each person sees it', async () => {
    await submit(bot, PEOPLE.adele, { packageId: 'finance-reports' });

    // Stage 1: Adele's manager, Diego.
    const stage1 = button(bot, PEOPLE.diego, 'request.approve');
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.diego))), /1 \/ 2|1 of 2/);
    const approved1 = await bot.teams.click(PEOPLE.diego, 'request.approve', stage1.data, stage1.activityId);
    assert.equal(approved1.statusCode, 200, approved1.message);
    await bot.settle();

    // Stage 2: Patti, only after stage 1 approved.
    const stage2Card = lastCardTo(bot, PEOPLE.patti);
    assert.match(cardText(cardOf(stage2Card)), /2 of 2/);
    assert.equal(cardsTo(bot, PEOPLE.lee).filter((a) => cardActions(cardOf(a)).length > 0).length, 0, 'Lee is not asked yet');

    // Diego's old stage-1 card is closed: a click is 409.
    const late = await bot.teams.click(PEOPLE.diego, 'request.deny', stage1.data, stage1.activityId);
    assert.equal(late.statusCode, 409);

    // Two days later nobody decided: forwarded to Lee; Patti can still decide.
    const escalation = await bot.advanceAndTick('P2D');
    assert.equal(escalation.done, 1, JSON.stringify(escalation));
    const forwarded = cardText(cardOf(lastCardTo(bot, PEOPLE.lee)));
    assert.match(forwarded, /[Ff]orwarded/);
    assert.ok(button(bot, PEOPLE.patti, 'request.approve'));

    // Two more days: one day before the timeout, the approvers who have not acted are reminded, once.
    const reminder = await bot.advanceAndTick('P2D');
    assert.equal(reminder.done, 1, JSON.stringify(reminder));
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.patti))), /Reminder/);
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.lee))), /Reminder/);
    const again = await bot.advanceAndTick('PT1H');
    assert.equal(again.done, 0, 'nothing more is due');

    // Lee, the forwarded approver, approves: delivered, Adele is told.
    const lee = button(bot, PEOPLE.lee, 'request.approve');
    const approved2 = await bot.teams.click(PEOPLE.lee, 'request.approve', lee.data, lee.activityId);
    assert.equal(approved2.statusCode, 200, approved2.message);
    await bot.settle();
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.adele))), /You now have access to Finance reports/);
    const pattiUpdate = lastCardTo(bot, PEOPLE.patti, 'update');
    assert.equal(cardActions(cardOf(pattiUpdate)).filter((a) => a.verb === 'request.approve').length, 0, "Patti's cards are closed");
    assert.match(cardText(cardOf(pattiUpdate)), /Lee Gu/);

    // The timeout of the decided stage is stale when it comes: nothing happens.
    const timeout = await bot.advanceAndTick('P2D');
    assert.equal(timeout.done, 0, JSON.stringify(timeout));
  });

  it('expires a request nobody decided: the requester is told, cards close, a late click is refused', async () => {
    await submit(bot, PEOPLE.isaiah, { packageId: 'finance-reports' });
    const stage1 = button(bot, PEOPLE.diego, 'request.approve');
    const expired = await bot.advanceAndTick('P5D');
    assert.ok((expired.done ?? 0) >= 1, JSON.stringify(expired));
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.isaiah))), /expired/i);
    const diegoUpdate = lastCardTo(bot, PEOPLE.diego, 'update');
    assert.equal(cardActions(cardOf(diegoUpdate)).filter((a) => a.verb === 'request.approve').length, 0);
    const late = await bot.teams.click(PEOPLE.diego, 'request.approve', stage1.data, stage1.activityId);
    assert.equal(late.statusCode, 412);
    assert.match(late.message ?? '', /有効期限が切れた/, 'in the language of Diego (ja-JP)');
  });

  it('lets the requester cancel a pending request from `cancel`; approval cards say so', async () => {
    await submit(bot, PEOPLE.adele, { packageId: 'crm-users', justification: 'Cancel me' });
    await bot.teams.say(PEOPLE.adele, 'cancel');
    const cancel = button(bot, PEOPLE.adele, 'request.cancel');
    const forged = await bot.teams.click(PEOPLE.isaiah, 'request.cancel', cancel.data);
    assert.equal(forged.statusCode, 403);
    const answer = await bot.teams.click(PEOPLE.adele, 'request.cancel', cancel.data, cancel.activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
    const meganCard = lastCardTo(bot, PEOPLE.megan, 'update');
    assert.equal(cardActions(cardOf(meganCard)).filter((a) => a.verb === 'request.approve').length, 0);
    assert.match(cardText(cardOf(meganCard)), /cancel/i);
    const again = await bot.teams.click(PEOPLE.adele, 'request.cancel', cancel.data, cancel.activityId);
    assert.equal(again.statusCode, 409);
  });

  it('gives exactly one decision when two approvers click at the same moment', async () => {
    await submit(bot, PEOPLE.isaiah, { packageId: 'crm-users', justification: 'Race' });
    const diego = button(bot, PEOPLE.diego, 'request.approve');
    const megan = button(bot, PEOPLE.megan, 'request.deny');
    const [a, b] = await Promise.all([
      bot.teams.click(PEOPLE.diego, 'request.approve', { ...diego.data, approverJustification: 'yes' }, diego.activityId),
      bot.teams.click(PEOPLE.megan, 'request.deny', { ...megan.data, approverJustification: 'no' }, megan.activityId),
    ]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409]);
    await bot.settle();
  });

  it('waits for a future start date, then delivers when the day comes', async () => {
    const startDate = new Date(bot.app.clock.now().getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    const writesBefore = bot.graph.writes().length;
    // Isaiah holds CRM users since the race above: one request per person and package, so Lee asks.
    await submit(bot, PEOPLE.lee, { packageId: 'crm-users', justification: 'From next week', startDate });
    const megan = button(bot, PEOPLE.megan, 'request.approve');
    const approved = await bot.teams.click(PEOPLE.megan, 'request.approve', { ...megan.data, approverJustification: 'ok' }, megan.activityId);
    assert.equal(approved.statusCode, 200, approved.message);
    await bot.settle();
    assert.equal(bot.graph.writes().length, writesBefore, 'nothing delivered before the start date');
    await bot.advanceAndTick('P3D');
    await bot.settle();
    assert.equal(bot.graph.writes().length, writesBefore + 2, 'the group and the app role');
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.lee))), /You now have access to CRM users/);
  });

  it('shows `status`: my requests and my access with end dates', async () => {
    await bot.teams.say(PEOPLE.adele, 'status');
    const text = cardText(cardOf(lastCardTo(bot, PEOPLE.adele)));
    assert.match(text, /Finance reports/);
    assert.match(text, /CRM users/);
    assert.match(text, /[Cc]anceled/);
  });
});
