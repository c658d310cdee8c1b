/**
 * kill -9 in the middle of delivery: the bot (local mode, its own Azurite on disk) is killed at a random
 * moment after an approval, restarted, and must finish the work: every request delivered, each resource
 * written once, and the app-role assignment id kept even when the assignment was made before the crash.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../../src/local/azurite';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient, type TeamsUser } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP, CRM_SP } from '../support/demoTenant';
import { dataDirFree, delayGraphAnswers, sleep, startBotProcess, stopBotProcess, until, type BotProcess } from '../reliability/support';
import { PEOPLE } from './support';

describe('e2e: kill -9 during delivery', function () {
  this.timeout(180_000);
  let dataDir: string;
  let graph: GraphEmulator;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;
  const requesters = [PEOPLE.adele, PEOPLE.isaiah, PEOPLE.lee, PEOPLE.patti];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'crash-'));
    graph = await startGraphEmulator({ seedFile: 'directory.sample.json' });
    connector = await startFakeConnector();
    await delayGraphAnswers(graph.url, 120);
  });

  after(async () => {
    if (bot) await stopBotProcess(bot, 'SIGKILL');
    await until('the data folder to be released', () => dataDirFree(dataDir));
    await Promise.all([graph?.close(), connector?.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  function deliveredNotice(user: TeamsUser): boolean {
    return connector
      .inConversation(personalConversationId(user))
      .some((a) => a.kind === 'send' && /You now have access to CRM users/.test(cardText(cardOf(a))));
  }

  it('finishes every delivery after restarts, writing each resource once and keeping the assignment id', async () => {
    const killAfterInMs = [0, 60, 150, 260, 400];
    for (const [n, requester] of requesters.entries()) {
      bot = await startBotProcess({ DATA_DIR: dataDir, GRAPH_BASE_URL: graph.url });
      const teams = new TeamsClient(bot.url, connector.url);
      if (n === 0) for (const person of Object.values(PEOPLE)) await teams.install(person);

      await teams.say(requester, 'request');
      const form = connector.inConversation(personalConversationId(requester)).at(-1)!;
      const submitted = await teams.click(requester, 'request.submit', { packageId: 'crm-users', justification: `crash ${n}` }, form.activityId);
      assert.equal(submitted.statusCode, 200, submitted.message);
      const card = await until(`${requester.name}'s approval card to reach Megan`, () =>
        connector
          .inConversation(personalConversationId(PEOPLE.megan))
          .filter((a) => a.kind === 'send' && cardText(cardOf(a)).includes(requester.name))
          .find((a) => cardActions(cardOf(a)).some((x) => x.verb === 'request.approve')),
      );
      const approve = cardActions(cardOf(card)).find((a) => a.verb === 'request.approve')!;
      const approved = await teams.click(PEOPLE.megan, 'request.approve', { ...approve.data, approverJustification: 'ok' }, card.activityId);
      assert.equal(approved.statusCode, 200, approved.message);

      await sleep(killAfterInMs[n % killAfterInMs.length]);
      await stopBotProcess(bot, 'SIGKILL');
      await until('the killed bot to release its data', () => dataDirFree(dataDir));

      bot = await startBotProcess({ DATA_DIR: dataDir, GRAPH_BASE_URL: graph.url });
      await until(`${requester.name} to be told of the delivery`, () => deliveredNotice(requester) || undefined, 30_000);
      await stopBotProcess(bot, 'SIGTERM');
      await until('the data folder to be released', () => dataDirFree(dataDir));
      bot = undefined;
    }

    // Each resource written once per requester: one successful membership add and one assignment each.
    const succeeded = graph.writes().filter((w) => w.status >= 200 && w.status < 300);
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/groups/${CRM_USERS_GROUP}/members/$ref`).length, requesters.length);
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`).length, requesters.length);
    for (const requester of requesters) {
      assert.ok(graph.store.listReferences(CRM_USERS_GROUP, 'members').some((m) => m.kind === 'user' && m.user.id === requester.aadObjectId));
    }

    // The stored assignment ids are the emulator's, whether the assignment was made before or after the crash.
    const azurite = await startAzurite({ location: join(dataDir, 'azurite') });
    try {
      const store = new TableRequestStore({ tables: createTables({ connectionString: azurite.connectionString }) });
      for (const requester of requesters) {
        const [request] = await store.listByRequester(requester.aadObjectId, 1);
        assert.equal(request.state, 'delivered', requester.name);
        const [assignment] = graph.store.listAssignments(CRM_SP, requester.aadObjectId);
        assert.equal(request.resources[1].assignmentId, assignment.id, requester.name);
        assert.equal(request.resources.every((r) => r.attempts >= 1), true);
      }
    } finally {
      await azurite.stop();
    }
  });
});
