/**
 * A Graph application permission the bot's identity lacks (issue 11): with GroupMember.ReadWrite.All withdrawn in
 * the emulator (and Group.ReadWrite.All, which local mode also grants and which covers members too), as an admin
 * who never granted it would leave a real tenant, the doctor names it, and a delivery
 * that needs it fails for good with the permission in words on the managers' alert and the requester's card,
 * instead of a bare 403. Granting it back and reprocessing delivers.
 */
import { strict as assert } from 'node:assert';
import { runDoctor, formatTable } from '../../src/doctor';
import { GRAPH_PERMISSIONS } from '../../src/graph/permissions';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { CRM_USERS } from '../support/demoTenant';
import { alertThread, lastCardTo, PEOPLE, requestApproved, SALES_CHANNEL, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

const MISSING = GRAPH_PERMISSIONS.groupMembers;

describe('e2e: a Graph permission the identity lacks', function () {
  this.timeout(90_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
    assert.equal((await bot.teams.sayInChannel(PEOPLE.patti, 'hello', SALES_CHANNEL)).status, 200);
    bot.graph.withdrawPermission(MISSING);
    bot.graph.withdrawPermission(GRAPH_PERMISSIONS.groupOwners);
  });
  after(() => bot?.stop());

  it('the doctor names the missing permission', async () => {
    const { rows, exitCode } = await runDoctor(
      { GRAPH_BASE_URL: bot.graph.url, CATALOG_FILE: 'catalog.sample.json' },
      { graphRetry: { maxRetries: 0, delayInSeconds: 0 }, requestTimeoutInMs: 5_000 },
    );
    assert.equal(exitCode, 1, formatTable(rows));
    const problems = rows.filter((r) => r.result === 'problem');
    assert.deepEqual(problems.map((r) => r.check), [`permission ${MISSING}`], formatTable(rows));
    assert.match(problems[0].detail, /not granted/);
  });

  it('a delivery that needs it fails for good and says which permission, then reprocess delivers once it is granted', async () => {
    const requestId = await requestApproved(bot, PEOPLE.adele);
    const writes = bot.graph.writes().filter((w) => w.path.endsWith(`/groups/${CRM_USERS}/members/$ref`));
    assert.deepEqual(writes.map((w) => w.status), [403], 'refused once, not retried: a permission does not come back by waiting');

    const alert = cardText(cardOf(alertThread(bot, requestId)));
    assert.match(alert, new RegExp(`lacks the Microsoft Graph application permission ${MISSING.replace(/\./g, '\\.')}`));
    const statusCard = lastCardTo(bot, PEOPLE.adele, 'update');
    assert.ok(statusCard, 'Adele\'s status card was updated');
    assert.match(cardText(cardOf(statusCard)), new RegExp(MISSING.replace(/\./g, '\\.')));

    bot.graph.grantPermission(MISSING);
    const thread = alertThread(bot, requestId);
    const reprocess = cardActions(cardOf(thread)).find((a) => a.verb === 'request.reprocess');
    assert.ok(reprocess?.data, 'the alert offers Reprocess');
    const place = { ...SALES_CHANNEL, threadId: thread.conversationId };
    const answer = await bot.teams.clickInChannel(PEOPLE.diego, 'request.reprocess', reprocess.data, place, thread.activityId);
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
    assert.ok(bot.graph.store.getGroup(CRM_USERS).members.has(PEOPLE.adele.aadObjectId.toLowerCase()), 'Adele is a member now');
  });
});
