/**
 * Reliability: two bot processes share one storage account. 20 requests, and for each one both approvers click
 * at the same moment — Megan on instance 1, Diego on instance 2, all 40 clicks at once. Each request is decided
 * exactly once (one 200 and one 409, one decision stored) and each Graph write is made once.
 */
import { strict as assert } from 'node:assert';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { TableRequestStore } from '../../src/storage/requestStore';
import { createTables } from '../../src/storage/tables';
import { VERBS } from '../../src/teams/verbs';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { CRM_SP, CRM_USERS } from '../support/demoTenant';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient, type TeamsUser } from '../support/teamsClient';
import { PEOPLE } from '../e2e/support';
import { extraRequesters, seedWith, startBotProcess, stopBotProcess, until, type BotProcess } from './support';

const REQUESTS = 20;

describe('reliability: two instances, two approvers clicking at the same moment', function () {
  this.timeout(90_000);
  const requesters = extraRequesters(REQUESTS);
  let graph: GraphEmulator;
  let connector: FakeConnector;
  let store: TableRequestStore;
  let instances: BotProcess[] = [];

  before(async () => {
    const { connectionString } = await useAzurite();
    const prefix = uniquePrefix();
    graph = await startGraphEmulator({ seed: seedWith(requesters) });
    connector = await startFakeConnector();
    store = new TableRequestStore({ tables: createTables({ connectionString, prefix }) });
    const env = { TABLES_CONNECTION_STRING: connectionString, TABLES_PREFIX: prefix, GRAPH_BASE_URL: graph.url };
    instances = await Promise.all([startBotProcess(env), startBotProcess(env)]);
  });

  after(async () => {
    await Promise.all(instances.map((i) => stopBotProcess(i, 'SIGTERM')));
    await Promise.all([graph?.close(), connector?.close()]);
  });

  function approvalCardFor(approver: TeamsUser, requester: TeamsUser) {
    return connector
      .inConversation(personalConversationId(approver))
      .filter((a) => a.kind === 'send' && cardText(cardOf(a)).includes(requester.name))
      .map((a) => ({ activityId: a.activityId, approve: cardActions(cardOf(a)).find((x) => x.verb === VERBS.approve) }))
      .find((c) => c.approve);
  }

  it(`decides each of ${REQUESTS} requests once and writes Graph once per approved request`, async () => {
    const [one, two] = instances.map((i) => new TeamsClient(i.url, connector.url));
    await one.install(PEOPLE.megan);
    await two.install(PEOPLE.diego);

    // Submitted through both instances, all at once.
    const submitted = await Promise.all(
      requesters.map((r, n) => (n % 2 ? two : one).click(r, VERBS.submitRequest, { packageId: 'crm-users', justification: `race ${n}` })),
    );
    submitted.forEach((s, n) => assert.equal(s.statusCode, 200, `${requesters[n].name}: ${s.message}`));

    const cards = await until('every approval card to reach both approvers', () => {
      const found = requesters.map((r) => ({ megan: approvalCardFor(PEOPLE.megan, r), diego: approvalCardFor(PEOPLE.diego, r) }));
      return found.every((f) => f.megan && f.diego) ? found : undefined;
    });

    // Request n: Megan approves on instance 1; Diego approves (even n) or denies (odd n) on instance 2. All at once.
    const clicks = await Promise.all(
      cards.map(async (c, n) => {
        const data = c.megan!.approve!.data!;
        const [megan, diego] = await Promise.all([
          one.click(PEOPLE.megan, VERBS.approve, { ...data, approverJustification: `Megan on ${n}` }, c.megan!.activityId),
          two.click(PEOPLE.diego, n % 2 ? VERBS.deny : VERBS.approve, { ...c.diego!.approve!.data!, approverJustification: `Diego on ${n}` }, c.diego!.activityId),
        ]);
        return { requestId: data.requestId as string, megan, diego, diegoOutcome: n % 2 ? 'denied' : 'approved' };
      }),
    );

    let approved = 0;
    let meganWon = 0;
    for (const [n, c] of clicks.entries()) {
      const codes = [c.megan.statusCode, c.diego.statusCode].sort();
      assert.deepEqual(codes, [200, 409], `request ${n}: one click decides, the other is told it was decided (${c.megan.message} / ${c.diego.message})`);
      const winner = c.megan.statusCode === 200 ? { by: PEOPLE.megan, outcome: 'approved' } : { by: PEOPLE.diego, outcome: c.diegoOutcome };
      if (winner.by === PEOPLE.megan) meganWon++;
      const loser = c.megan.statusCode === 409 ? c.megan : c.diego;
      assert.match(loser.message ?? '', new RegExp(winner.by.name), `request ${n}: the 409 names who decided`);

      const loaded = await store.get(c.requestId);
      assert.ok(loaded, `request ${n} is stored`);
      const decisions = loaded.request.stages.filter((s) => s.decision);
      assert.equal(decisions.length, 1, `request ${n}: one stage decision`);
      assert.equal(decisions[0].decision!.by.id, winner.by.aadObjectId, `request ${n}: decided by the 200`);
      assert.equal(decisions[0].decision!.outcome, winner.outcome, `request ${n}: the winner's outcome`);
      if (winner.outcome === 'approved') approved++;
    }
    console.log(`      ${REQUESTS} requests: ${approved} approved, ${REQUESTS - approved} denied; Megan (instance 1) won ${meganWon}, Diego (instance 2) ${REQUESTS - meganWon}`);

    // Every approved request delivered, every denied one stays denied.
    await until('every approved request to be delivered', async () => {
      const states = await Promise.all(clicks.map((c) => store.get(c.requestId).then((l) => l?.request.state)));
      return states.every((s) => s === 'delivered' || s === 'denied') ? states : undefined;
    }, 30_000);

    const succeeded = graph.writes().filter((w) => w.status >= 200 && w.status < 300);
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/groups/${CRM_USERS}/members/$ref`).length, approved, 'one membership write per approved request');
    assert.equal(succeeded.filter((w) => w.path === `/v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`).length, approved, 'one assignment per approved request');
    // A delivery run by both instances would show as refused "already exists" attempts: each instance runs only
    // the effects its own commits added, so there must be none.
    const refused = graph.writes().filter((w) => w.status < 200 || w.status >= 300);
    assert.deepEqual(refused.map((w) => `${w.status} ${w.method} ${w.path}`), [], 'no Graph write attempted twice');
    for (const [n, c] of clicks.entries()) {
      const request = (await store.get(c.requestId))!.request;
      const member = graph.store.listReferences(CRM_USERS, 'members').some((m) => m.kind === 'user' && m.user.id === requesters[n].aadObjectId);
      assert.equal(member, request.state === 'delivered', `request ${n}: member of CRM Users exactly when delivered`);
      assert.equal(graph.store.listAssignments(CRM_SP, requesters[n].aadObjectId).length, request.state === 'delivered' ? 1 : 0, `request ${n}: assignments`);
    }
  });
});
