/**
 * `status` shows all of a person's access (issue 12): an access granted long ago comes first with its Give up
 * access button, however many requests came after it; then the open requests, then the recent finished ones, and
 * "Show more" pages through the rest. A forged "more" payload is refused with a sentence and changes nothing.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { statusSections } from '../support/statusCard';
import { PEOPLE, requestApproved, requireLastCardTo, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

const FINISHED = 25;

describe('e2e: status shows every access, then open and recent requests, with "Show more"', function () {
  this.timeout(120_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
  });

  after(async () => bot?.stop());

  it('an access older than 25 finished requests comes first with its release button; "Show more" reaches the rest', async () => {
    const adele = PEOPLE.adele;
    const crm = await requestApproved(bot, adele);
    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /You now have access to CRM users/);

    // 25 requests for Finance reports, each canceled before anyone decides.
    for (let i = 0; i < FINISHED; i++) {
      const submitted = await bot.teams.click(adele, 'request.submit', { packageId: 'finance-reports', justification: `Quarter ${i}` });
      assert.equal(submitted.statusCode, 200, submitted.message);
      await bot.settle();
      await bot.teams.say(adele, 'cancel');
      const list = requireLastCardTo(bot, adele);
      const cancel = cardActions(cardOf(list)).find((a) => a.verb === 'request.cancel');
      assert.ok(cancel?.data, 'the cancel list has the request');
      const canceled = await bot.teams.click(adele, 'request.cancel', cancel.data, list.activityId);
      assert.equal(canceled.statusCode, 200, canceled.message);
      await bot.settle();
    }
    // And one still waiting for Diego.
    const open = await bot.teams.click(adele, 'request.submit', { packageId: 'finance-reports', justification: 'Year end' });
    assert.equal(open.statusCode, 200, open.message);
    await bot.settle();

    await bot.teams.say(adele, 'status');
    const status = requireLastCardTo(bot, adele);
    const card = cardOf(status);
    const sections = statusSections(card);
    assert.deepEqual(Object.keys(sections), ['Your access', 'Open requests', 'Recent requests']);
    assert.deepEqual(sections['Your access'], ['CRM users']);
    assert.deepEqual(sections['Open requests'], ['Finance reports']);
    const recent = sections['Recent requests'];
    assert.ok(recent.length >= 15 && recent.length < FINISHED, `${recent.length} recent requests`);
    assert.ok(recent.every((name) => name === 'Finance reports'));
    assert.doesNotMatch(cardText(card), /Not shown here/, 'every access and open request is on the card');

    const actions = cardActions(card);
    const release = actions.filter((a) => a.verb === 'access.release');
    assert.deepEqual(release.map((a) => a.data?.requestId), [crm], 'Give up access on the CRM users row');
    const more = actions.find((a) => a.verb === 'status.more');
    assert.ok(more?.data, 'a "Show more" button');
    assert.deepEqual(Object.keys(more.data), ['cursor']);
    assert.equal(actions.at(-1)?.verb, 'status.more', '"Show more" is the last button');

    // "Show more": the older finished requests, and nothing more after them.
    const next = await bot.teams.click(adele, 'status.more', more.data, status.activityId);
    assert.equal(next.statusCode, 200, next.message);
    const older = statusSections(next.value);
    assert.deepEqual(Object.keys(older), ['Earlier requests']);
    assert.equal(recent.length + older['Earlier requests'].length, FINISHED, 'each finished request on one page');
    assert.match(cardText(next.value), /Your access and requests \(continued\)/);
    assert.equal(cardActions(next.value).find((a) => a.verb === 'status.more'), undefined);

    // Forged and garbage "more" payloads: 400 with a sentence, and nothing changes.
    const forged: unknown[] = [
      { cursor: 'not a cursor' },
      {},
      { cursor: Buffer.from(JSON.stringify({ h: [1, "x' or PartitionKey ne ''"] })).toString('base64url') },
      { cursor: Buffer.from(JSON.stringify({ h: [1, crm], requesterId: PEOPLE.isaiah.aadObjectId })).toString('base64url') },
      { cursor: 'A'.repeat(5000) },
      { cursor: { h: [1, crm] } },
    ];
    for (const data of forged) {
      const refused = await bot.teams.click(adele, 'status.more', data, status.activityId);
      assert.equal(refused.statusCode, 400, JSON.stringify(data));
      assert.match(refused.message ?? '', /This button is not valid any more/);
    }
    await bot.teams.say(adele, 'status');
    assert.deepEqual(statusSections(cardOf(requireLastCardTo(bot, adele))), sections, 'status reads as before');

    // Another person's "Show more" of Adele's card shows only their own requests.
    const isaiahs = await bot.teams.click(PEOPLE.isaiah, 'status.more', more.data, status.activityId);
    assert.equal(isaiahs.statusCode, 200, isaiahs.message);
    assert.doesNotMatch(cardText(isaiahs.value), /Finance reports|CRM users/);
  });
});
