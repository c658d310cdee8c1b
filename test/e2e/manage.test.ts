/**
 * `manage` (issue 13 item 2): a manager's packages with their counts, then a package's requests, assignments and
 * failed deliveries — reprocessed from personal chat, in a catalog without a notification channel.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
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
});
