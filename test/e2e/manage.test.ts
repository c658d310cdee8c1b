/**
 * `manage` (issue 13 item 2): a manager's packages with their counts, then a package's requests, assignments and
 * failed deliveries — reprocessed from personal chat, in a catalog without a notification channel.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { CRM_USERS } from '../support/demoTenant';
import { personalConversationId, type TeamsUser } from '../support/teamsClient';
import { PEOPLE, requireLastCardTo, startE2eBot, type E2eBot } from './support';

describe('e2e: manage', function () {
  this.timeout(60_000);
  let bot: E2eBot;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'manage-'));
    const catalog = JSON.parse(await readFile('catalog.sample.json', 'utf8')) as { catalogs: Array<Record<string, unknown>> };
    for (const c of catalog.catalogs) delete c.notificationChannel;
    const file = join(dir, 'catalog.json');
    await writeFile(file, JSON.stringify(catalog));
    bot = await startE2eBot({ CATALOG_FILE: file });
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
  });

  after(async () => {
    await bot?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function click(person: TeamsUser, verb: string, data: Record<string, unknown> = {}) {
    return bot.teams.click(person, verb, data, requireLastCardTo(bot, person).activityId);
  }

  it('lists the packages a manager manages, and reprocesses a failed delivery from personal chat', async () => {
    const { adele, isaiah, patti, megan } = PEOPLE;
    await bot.teams.say(adele, 'manage');
    assert.match(String(bot.connector.inConversation(personalConversationId(adele)).at(-1)?.activity.text), /^Only catalog owners, access package managers, assignment managers and administrators can manage/);

    bot.graph.failNext({ method: 'POST', path: /\/members\/\$ref$/i, status: 403, times: 1 });
    await bot.teams.say(isaiah, 'request');
    const submitted = await click(isaiah, 'request.submit', { packageId: 'sales-team' });
    assert.equal(submitted.statusCode, 200, submitted.message);
    await bot.settle();

    await bot.teams.say(patti, 'manage');
    const packages = cardOf(requireLastCardTo(bot, patti));
    assert.match(cardText(packages), /Access packages you manage[\s\S]*Sales team\nSales · 0 pending · 1 failed · 0 active/);
    const failed = cardActions(packages).find((a) => a.verb === 'manage.failures' && a.data?.packageId === 'sales-team');
    assert.ok(failed);

    const failures = await click(patti, 'manage.failures', failed.data);
    assert.equal(failures.statusCode, 200, failures.message);
    assert.match(cardText(failures.value), /Sales team: failed deliveries\nIsaiah Langer\nDelivery failed · completed .* · reprocess until /);
    const reprocess = cardActions(failures.value).find((a) => a.verb === 'request.reprocess');
    assert.ok(reprocess?.data);
    assert.ok(cardActions(failures.value).some((a) => a.verb === 'request.history'));

    const outcome = await click(patti, 'request.reprocess', reprocess.data);
    assert.equal(outcome.statusCode, 200, outcome.message);
    await bot.settle();
    assert.match(cardText(cardOf(requireLastCardTo(bot, isaiah))), /You now have access to Sales team/);

    const assignments = await click(patti, 'manage.assignments', { packageId: 'sales-team' });
    assert.match(cardText(assignments.value), /Sales team: assignments\nIsaiah Langer\nDelivered · since .* · until /);
    const requests = await click(patti, 'manage.requests', { packageId: 'sales-team' });
    assert.match(cardText(requests.value), /Isaiah Langer\nDelivered · submitted /);
    const back = await click(patti, 'manage.packages');
    assert.match(cardText(back.value), /Sales team\nSales · 0 pending · 0 failed · 1 active/);

    const refused = await click(megan, 'manage.requests', { packageId: 'sales-team' });
    assert.equal(refused.statusCode, 403);
    const unknown = await click(patti, 'manage.requests', { packageId: 'no-such-package' });
    assert.equal(unknown.statusCode, 404);
    const malformed = await click(patti, 'manage.assignments', { packageId: 42 });
    assert.equal(malformed.statusCode, 400);
  });

  it('assigns a package directly (no approval, audited) and removes the assignment, asking first', async () => {
    const { patti, lee, isaiah } = PEOPLE;
    const member = (person: TeamsUser) => bot.graph.store.getGroup(CRM_USERS).members.has(person.aadObjectId.toLowerCase());
    await bot.teams.say(patti, 'manage');
    const packages = cardOf(requireLastCardTo(bot, patti));
    const assign = cardActions(packages).find((a) => a.verb === 'manage.assign' && a.data?.packageId === 'crm-users');
    assert.ok(assign?.data, 'the Assign button sits inside the ShowCard of CRM users');
    const form = (person: TeamsUser, reason: string) => ({ ...assign.data, 'assignPerson-crm-users': person.aadObjectId, 'assignPolicy-crm-users': 'employees', 'assignReason-crm-users': reason });

    const noReason = await click(patti, 'manage.assign', form(lee, '  '));
    assert.equal(noReason.statusCode, 400);
    assert.match(String(noReason.message), /Give a reason/);

    const assigned = await click(patti, 'manage.assign', form(lee, 'Covers for Adele during her leave'));
    assert.equal(assigned.statusCode, 200, assigned.message);
    assert.match(cardText(assigned.value), /CRM users is assigned to Lee Gu; delivery is under way\./);
    await bot.settle();
    assert.match(cardText(cardOf(requireLastCardTo(bot, lee))), /You now have access to CRM users/);
    assert.ok(member(lee), 'no approval: Lee is in CRM Users');
    const again = await click(patti, 'manage.assign', form(lee, 'twice'));
    assert.equal(again.statusCode, 409, 'one assignment per person and package');

    const assignments = await click(patti, 'manage.assignments', { packageId: 'crm-users' });
    const remove = cardActions(assignments.value).find((a) => a.verb === 'manage.remove' && a.data?.personId === lee.aadObjectId.toLowerCase());
    assert.ok(remove?.data, 'Remove asks first: its button is inside a ShowCard');
    assert.ok(!cardActions(assignments.value).some((a) => a.verb === 'manage.remove' && a.data?.personId === isaiah.aadObjectId.toLowerCase()), 'only held assignments can be removed');
    const removed = await click(patti, 'manage.remove', { ...remove.data, [`removeReason-${lee.aadObjectId.toLowerCase()}`]: 'Adele is back' });
    assert.equal(removed.statusCode, 200, removed.message);
    assert.match(cardText(removed.value), /Lee Gu's access to CRM users is being removed\.\nLee Gu\nBeing removed · since /);
    assert.ok(!cardActions(removed.value).some((a) => a.verb === 'manage.remove'), 'nothing left to remove');
    await bot.settle();
    assert.match(cardText(cardOf(requireLastCardTo(bot, lee))), /Your access to CRM users has ended/);
    assert.equal(member(lee), false);
    const after = await click(patti, 'manage.assignments', { packageId: 'crm-users' });
    assert.match(cardText(after.value), /Lee Gu\nRemoved · since /);
  });
});
