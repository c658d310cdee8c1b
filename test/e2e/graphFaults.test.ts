/**
 * A flaky Microsoft Graph: one write in five answers 503 or 429 (with Retry-After). Every request must still
 * end delivered, and each resource be written (successfully) exactly once.
 */
import { strict as assert } from 'node:assert';
import { GraphEmulatorControl } from '../../src/local/graphEmulator/controlClient';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { personalConversationId, type TeamsUser } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP, CRM_SP } from '../support/demoTenant';
import { PEOPLE, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

describe('e2e: 20 % transient Graph faults', function () {
  this.timeout(120_000);
  let bot: E2eBot;
  let graph: GraphEmulatorControl;
  const requesters: Array<{ requester: TeamsUser; approver: TeamsUser }> = [
    { requester: PEOPLE.adele, approver: PEOPLE.megan },
    { requester: PEOPLE.isaiah, approver: PEOPLE.diego },
    { requester: PEOPLE.lee, approver: PEOPLE.megan },
    { requester: PEOPLE.patti, approver: PEOPLE.diego },
    { requester: PEOPLE.megan, approver: PEOPLE.diego },
  ];

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
    graph = GraphEmulatorControl.fromGraphBaseUrl(bot.graph.url);
  });

  after(async () => bot?.stop());

  it('delivers every request and writes each resource once', async () => {
    await graph.setFault({ method: 'POST', path: '/groups/', status: 503, rate: 0.2, seed: 7 });
    await graph.setFault({ method: 'POST', path: '/servicePrincipals/', status: 429, retryAfterInSeconds: 1, rate: 0.2, seed: 11 });

    for (const { requester, approver } of requesters) {
      await bot.teams.say(requester, 'request');
      const form = bot.connector.inConversation(personalConversationId(requester)).at(-1)!;
      const submitted = await bot.teams.click(requester, 'request.submit', { packageId: 'crm-users', justification: 'flaky Graph' }, form.activityId);
      assert.equal(submitted.statusCode, 200, submitted.message);
      await bot.settle();
      const card = bot.connector
        .inConversation(personalConversationId(approver))
        .filter((a) => a.kind === 'send' && cardText(cardOf(a)).includes(requester.name))
        .at(-1);
      const approve = cardActions(cardOf(card)).find((a) => a.verb === 'request.approve');
      assert.ok(approve?.data, `${approver.name} can approve ${requester.name}'s request`);
      const answer = await bot.teams.click(approver, 'request.approve', { ...approve.data, approverJustification: 'ok' }, card!.activityId);
      assert.equal(answer.statusCode, 200, answer.message);
    }
    await bot.settle();

    const faulted = (await graph.writes()).filter((w) => w.status === 503 || w.status === 429);
    assert.ok(faulted.length > 0, 'some writes were answered with a transient fault');
    for (const { requester } of requesters) {
      const told = bot.connector
        .inConversation(personalConversationId(requester))
        .some((a) => a.kind === 'send' && /You now have access to CRM users/.test(cardText(cardOf(a))));
      assert.ok(told, `${requester.name} was told of the delivery`);
    }
    const members = await graph.successfulWrites(`/groups/${CRM_USERS_GROUP}/members/$ref`);
    const assignments = await graph.successfulWrites(`/servicePrincipals/${CRM_SP}/appRoleAssignedTo`);
    assert.equal(members.length, requesters.length, 'one successful membership write per requester');
    assert.equal(assignments.length, requesters.length, 'one successful app-role assignment per requester');
    assert.deepEqual((await graph.groupMembers(CRM_USERS_GROUP)).sort(), requesters.map((r) => r.requester.aadObjectId).sort());
  });
});
