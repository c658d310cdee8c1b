/**
 * The approver's inbox (issue 13 item 1): `approvals` lists what waits for the approver, oldest due first; Approve
 * on a row works exactly like the approval card (same checks, first decision wins, the approval cards updated) and
 * answers with the inbox again; "Decided by me" lists what they decided.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import type { TeamsUser } from '../support/teamsClient';
import { cardsTo, lastCardTo, PEOPLE, requireLastCardTo, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

describe('e2e: the approvals inbox', function () {
  this.timeout(60_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
  });

  after(async () => {
    await bot?.stop();
  });

  async function submit(requester: TeamsUser, packageId: string, justification: string): Promise<void> {
    await bot.teams.say(requester, 'request');
    const answer = await bot.teams.click(requester, 'request.submit', { packageId, justification }, requireLastCardTo(bot, requester).activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
  }

  async function inboxOf(approver: TeamsUser): Promise<Record<string, unknown>> {
    await bot.teams.say(approver, 'approvals');
    const card = cardOf(requireLastCardTo(bot, approver));
    assert.ok(card);
    return card;
  }

  it('lists what waits, approves from the inbox with a justification, and shows the decision', async () => {
    const { adele, isaiah, diego, megan } = PEOPLE;
    const empty = cardText(await inboxOf(megan));
    assert.match(empty, /Waiting for your approval\nNothing is waiting for your approval\./);

    await submit(adele, 'crm-users', 'Pipeline review for Contoso');
    await bot.teams.say(isaiah, 'request');
    await submit(isaiah, 'crm-users', 'Quarterly numbers');

    const inbox = await inboxOf(megan);
    const text = cardText(inbox);
    assert.match(text, /Adele Vance asks for CRM users\nDecide by .* · stage 1 of 1 · submitted .*\nPipeline review for Contoso/);
    assert.ok(text.indexOf('Adele Vance asks') < text.indexOf('Isaiah Langer asks'), 'oldest due first');
    const approve = cardActions(inbox).find((a) => a.verb === 'request.approve' && a.data?.inbox === true);
    assert.ok(approve?.data);
    const requestId = String(approve.data.requestId);

    const refused = await bot.teams.click(megan, 'request.approve', approve.data, requireLastCardTo(bot, megan).activityId);
    assert.equal(refused.httpStatus, 200);
    assert.equal(refused.statusCode, 400, 'the policy requires a justification, as on the approval card');

    const answer = await bot.teams.click(megan, 'request.approve', { ...approve.data, [`approverJustification-${requestId}`]: 'Fine by me' }, requireLastCardTo(bot, megan).activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    const after = cardText(answer.value);
    assert.match(after, /^Waiting for your approval\nYou approved Adele Vance's request for CRM users\./);
    assert.doesNotMatch(after, /Adele Vance asks/);
    assert.match(after, /Isaiah Langer asks for CRM users/);
    await bot.settle();

    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /You now have access to CRM users/);
    const diegosCard = cardsTo(bot, diego, 'update').filter((sent) => cardText(cardOf(sent)).includes('Adele Vance')).at(-1);
    assert.match(cardText(cardOf(diegosCard)), /Megan Bowen が .* に承認しました/, "Diego's (Japanese) approval card turned read-only");
    assert.equal(cardActions(cardOf(diegosCard)).length, 0);

    // Diego's inbox no longer lists it; a late click on Megan's stale row is refused as on the card.
    assert.doesNotMatch(cardText(await inboxOf(diego)), /Adele Vance asks/);
    const late = await bot.teams.click(diego, 'request.deny', { ...approve.data, [`approverJustification-${requestId}`]: 'no' }, requireLastCardTo(bot, diego).activityId);
    assert.equal(late.statusCode, 409);
    assert.match(String(late.message), /Megan Bowen/);

    const decided = await bot.teams.click(megan, 'approvals.decided', {}, requireLastCardTo(bot, megan).activityId);
    assert.match(cardText(decided.value), /Decided by you\nYou approved Adele Vance's request for CRM users on .* \(now: Delivered\)\./);
    assert.ok(cardActions(decided.value).some((a) => a.verb === 'approvals.waiting'));
  });

  it('is in Japanese for a ja-JP approver', async () => {
    const text = cardText(await inboxOf(PEOPLE.diego));
    assert.match(text, /あなたの承認待ち\nIsaiah Langer さんが CRM users を要求しています/);
    assert.ok(lastCardTo(bot, PEOPLE.diego));
  });
});
