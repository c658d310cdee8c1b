/**
 * A removal Graph refuses for good (issue 11): an owner-role package ends while the requester is the group's last
 * owner. Graph (the emulator, as Graph does) answers 400; the bot asks once, never retries it with backoff, keeps
 * the resource `removalFailed` with the reason in words, and posts one alert to the catalog's channel, in the
 * channel's language. Once someone adds another owner, the daily retry removes it and the alert says so.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphSeedInput } from '../../src/local/graphEmulator';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { LEE, SALES_LEADS } from '../support/demoTenant';
import { noApprovalPolicy, PEOPLE, requireLastCardTo, SALES_CHANNEL, sampleCatalogPlus, startE2eBot, type E2eBot } from './support';

const PACKAGE_ID = 'sales-leads-owners';
const PACKAGE_NAME = 'Sales Leads owners';
const ACCESS_DAYS = 30;

/** catalog.sample.json plus ownership of Sales Leads, no approval, 30 days. */
function catalogWithOwnerPackage(dir: string): Promise<string> {
  return sampleCatalogPlus(dir, {
    id: PACKAGE_ID,
    displayName: PACKAGE_NAME,
    description: 'Ownership of the Sales Leads group.',
    managers: [PEOPLE.diego.aadObjectId],
    assignmentManagers: [],
    resources: [{ type: 'group', groupId: SALES_LEADS, role: 'owner' }],
    policies: [noApprovalPolicy(ACCESS_DAYS)],
  });
}

/** directory.sample.json, Sales Leads without owners: whoever is given its ownership is its only owner. */
async function seedWithoutSalesLeadsOwners(): Promise<GraphSeedInput> {
  const seed = JSON.parse(await readFile('directory.sample.json', 'utf8')) as GraphSeedInput & { groups: Array<{ id: string; owners?: string[] }> };
  const group = seed.groups.find((g) => g.id === SALES_LEADS);
  assert.ok(group);
  group.owners = [];
  return seed;
}

describe('e2e: a removal Graph refuses (the last owner of a group)', function () {
  this.timeout(90_000);
  let bot: E2eBot;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'removal-failed-'));
    bot = await startE2eBot({ CATALOG_FILE: await catalogWithOwnerPackage(dir) }, { seed: await seedWithoutSalesLeadsOwners() });
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
    // Diego (ja-JP) is the first to speak in the sales channel: the channel's language is Japanese.
    assert.equal((await bot.teams.sayInChannel(PEOPLE.diego, 'hello', SALES_CHANNEL)).status, 200);
  });

  after(async () => {
    await bot?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stays removalFailed with the reason, is not retried with backoff, alerts the channel once; removed by the daily retry after another owner is added', async () => {
    const adele = PEOPLE.adele;
    const owners = () => [...bot.graph.store.getGroup(SALES_LEADS).owners];
    const ownerRemovals = () => bot.graph.writes().filter((w) => w.method === 'DELETE' && w.path === `/v1.0/groups/${SALES_LEADS}/owners/${adele.aadObjectId}/$ref`);
    const alertsFor = (requestId: string) => bot.connector.created().filter((c) => cardText(cardOf(c)).includes(requestId));

    await bot.teams.say(adele, 'request');
    const submitted = await bot.teams.click(adele, 'request.submit', { packageId: PACKAGE_ID }, requireLastCardTo(bot, adele).activityId);
    assert.equal(submitted.statusCode, 200, submitted.message);
    await bot.settle();
    assert.deepEqual(owners(), [adele.aadObjectId], 'Adele is the group\'s only owner');
    await bot.teams.say(adele, 'status');
    const release = cardActions(cardOf(requireLastCardTo(bot, adele))).find((a) => a.verb === 'access.release');
    const requestId = String(release?.data?.requestId);

    // The access ends: Graph refuses to remove the last owner, once; ticks after any backoff retry nothing.
    await bot.advanceAndTick(`P${ACCESS_DAYS}D`);
    await bot.settle();
    assert.deepEqual(ownerRemovals().map((w) => w.status), [400]);
    for (let tick = 0; tick < 3; tick++) assert.equal((await bot.advanceAndTick('PT10M')).retried, 0);
    assert.equal(ownerRemovals().length, 1, 'no retry with backoff');
    assert.deepEqual(owners(), [adele.aadObjectId]);

    await bot.teams.say(adele, 'status');
    const status = cardText(cardOf(requireLastCardTo(bot, adele)));
    assert.match(status, /Removal failed/);
    assert.match(status, /Microsoft Graph never removes a group's last owner/);

    // One alert thread in the sales channel, in Japanese: the person, the package, the resource, the reason.
    const [alert, ...more] = alertsFor(requestId);
    assert.ok(alert, 'the channel got an alert');
    assert.equal(more.length, 0);
    assert.deepEqual((alert.parameters?.channelData as { channel: unknown }).channel, { id: SALES_CHANNEL.channelId });
    const alertText = cardText(cardOf(alert));
    for (const expected of ['アクセスを削除できません', 'Adele Vance', PACKAGE_NAME, 'Sales Leads (所有者)', 'グループの最後の所有者を削除しません']) {
      assert.ok(alertText.includes(expected), `the alert misses "${expected}":\n${alertText}`);
    }

    // The next day, refused again (still the last owner): no second alert.
    await bot.advanceAndTick('P1D');
    await bot.settle();
    assert.deepEqual(ownerRemovals().map((w) => w.status), [400, 400]);
    assert.equal(alertsFor(requestId).length, 1, 'alerted once');

    // Someone adds another owner: the daily retry removes Adele; the request ends, the alert says so.
    bot.graph.store.addReference(SALES_LEADS, 'owners', LEE);
    await bot.advanceAndTick('P1D');
    await bot.settle();
    assert.deepEqual(owners(), [LEE.toLowerCase()]);
    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /Your access to Sales Leads owners has ended/);
    const updated = bot.connector.activities().filter((a) => a.kind === 'update' && a.conversationId === alert.conversationId).at(-1);
    assert.match(cardText(cardOf(updated)), /Adele Vance さんの Sales Leads owners のアクセスは削除されました/);
    assert.equal(alertsFor(requestId).length, 1);
  });
});
