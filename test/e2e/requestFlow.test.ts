/**
 * The whole request path over real HTTP, as Teams would drive it: install → `request` → form → submit →
 * approval cards → approve/deny → Graph writes (emulator) → the requester is told. Plus forged clicks.
 */
import { strict as assert } from 'node:assert';
import { cardActions, cardOf, cardText } from '../support/fakeConnector';
import { personalConversationId, type TeamsUser } from '../support/teamsClient';
import { CRM_USERS as CRM_USERS_GROUP, CRM_READER as CRM_READER_ROLE, CRM_SP, SALES_TEAM as SALES_TEAM_GROUP } from '../support/demoTenant';
import { lastCardTo, PEOPLE, startE2eBot, type E2eBot } from './support';

function approveButton(bot: E2eBot, approver: TeamsUser) {
  const card = lastCardTo(bot, approver);
  const approve = cardActions(cardOf(card)).find((a) => a.verb === 'request.approve');
  assert.ok(approve, `${approver.name} got an approval card with an Approve button`);
  return { activityId: card!.activityId, data: approve.data! };
}

async function submit(bot: E2eBot, requester: TeamsUser, data: Record<string, unknown>) {
  await bot.teams.say(requester, 'request');
  const form = lastCardTo(bot, requester);
  assert.ok(form, 'the form was sent');
  return bot.teams.click(requester, 'request.submit', data, form.activityId);
}

describe('e2e: the request path over HTTP', function () {
  this.timeout(60_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBot();
    for (const person of Object.values(PEOPLE)) {
      const { status } = await bot.teams.install(person);
      assert.equal(status, 200);
    }
  });

  after(async () => bot?.stop());

  it('answers /healthz with ok once storage and the catalog are ready', async () => {
    const res = await fetch(`${bot.app.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('greets a person who installs the bot with the help card', () => {
    const welcome = lastCardTo(bot, PEOPLE.adele);
    assert.match(cardText(cardOf(welcome)), /request/);
  });

  it('answers `request` with a form listing the packages this person may request', async () => {
    await bot.teams.say(PEOPLE.adele, 'request');
    const text = cardText(cardOf(lastCardTo(bot, PEOPLE.adele)));
    assert.match(text, /CRM users/);
    assert.match(text, /Sales team/);
    assert.ok(cardActions(cardOf(lastCardTo(bot, PEOPLE.adele))).some((a) => a.verb === 'request.submit'));
  });

  it('offers a guest nothing from an allMembers-only catalog', async () => {
    await bot.teams.say(PEOPLE.grady, 'request');
    const card = cardOf(lastCardTo(bot, PEOPLE.grady));
    assert.doesNotMatch(cardText(card), /CRM users/);
    assert.equal(cardActions(card).length, 0);
  });

  it('answers unknown text with the help card', async () => {
    const before = bot.connector.inConversation(personalConversationId(PEOPLE.isaiah)).length;
    await bot.teams.say(PEOPLE.isaiah, 'what can you do?');
    const sent = bot.connector.inConversation(personalConversationId(PEOPLE.isaiah));
    assert.equal(sent.length, before + 1);
    assert.match(cardText(cardOf(sent.at(-1))), /status/);
  });

  it('refuses an invalid form with a sentence and stores nothing', async () => {
    const writesBefore = bot.graph.writes().length;
    const missing = await submit(bot, PEOPLE.adele, { packageId: 'crm-users', justification: '  ' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.message ?? '', /justification/i);

    const endBeforeStart = await submit(bot, PEOPLE.adele, {
      packageId: 'crm-users',
      justification: 'Quarterly planning',
      startDate: '2099-02-10',
      endDate: '2099-02-01',
    });
    assert.equal(endBeforeStart.statusCode, 400);

    const past = await submit(bot, PEOPLE.adele, { packageId: 'crm-users', justification: 'x', startDate: '2020-01-01' });
    assert.equal(past.statusCode, 400);

    const unknown = await submit(bot, PEOPLE.adele, { packageId: 'no-such-package', justification: 'x' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.message ?? '', /no-such-package/);

    await bot.settle();
    assert.equal(bot.graph.writes().length, writesBefore, 'no Graph write');
  });

  describe('approve', () => {
    let requestId: string;

    it('stores a valid request and replaces the form with the submitted card', async () => {
      const answer = await submit(bot, PEOPLE.adele, { packageId: 'crm-users', justification: 'I run the Q3 pipeline review' });
      assert.equal(answer.statusCode, 200, answer.message);
      assert.equal(answer.type, 'application/vnd.microsoft.card.adaptive');
      assert.match(cardText(answer.value), /CRM users/);
      await bot.settle();
    });

    it('sends each approver of the stage an approval card in their language, not the requester', () => {
      const toDiego = cardText(cardOf(lastCardTo(bot, PEOPLE.diego)));
      const toMegan = cardText(cardOf(lastCardTo(bot, PEOPLE.megan)));
      assert.match(toMegan, /Adele Vance/);
      assert.match(toMegan, /Sales/);
      assert.match(toMegan, /Account Executive/);
      assert.match(toMegan, /I run the Q3 pipeline review/);
      assert.match(toDiego, /Adele Vance/);
      assert.match(toDiego, /[承認拒否]/, 'Diego (ja-JP) reads Japanese');
      // Resources by the names Graph gives them, not by id.
      assert.match(toMegan, /CRM Users \(member\)/);
      assert.match(toMegan, /CRM Reader in Contoso CRM/);
      assert.match(toDiego, /CRM Users \(メンバー\)/);
      assert.match(toDiego, /Contoso CRM の CRM Reader/);
      assert.doesNotMatch(toMegan, new RegExp(`${CRM_USERS_GROUP}|${CRM_READER_ROLE}`));
      const adeleCards = bot.connector.inConversation(personalConversationId(PEOPLE.adele)).filter((a) => cardActions(cardOf(a)).some((x) => x.verb === 'request.approve'));
      assert.equal(adeleCards.length, 0, 'the requester is never asked to approve');
      requestId = approveButton(bot, PEOPLE.megan).data.requestId as string;
      assert.match(requestId, /^[0-9a-f-]{36}$/);
    });

    it('refuses forged clicks with 4xx and a sentence, changing nothing', async () => {
      const writesBefore = bot.graph.writes().length;
      const cardsBefore = bot.connector.activities().length;
      const { data, activityId } = approveButton(bot, PEOPLE.megan);
      const nonApprover = await bot.teams.click(PEOPLE.isaiah, 'request.approve', { ...data, approverJustification: 'ok' }, activityId);
      assert.equal(nonApprover.statusCode, 403);
      assert.ok(nonApprover.message && nonApprover.message.length > 10);

      const self = await bot.teams.click(PEOPLE.adele, 'request.approve', { ...data, approverJustification: 'ok' }, activityId);
      assert.equal(self.statusCode, 403);
      assert.match(self.message ?? '', /own/i);

      const unknown = await bot.teams.click(PEOPLE.megan, 'request.approve', { requestId: '00000000-0000-4000-8000-000000000000', version: 1 });
      assert.equal(unknown.statusCode, 404);

      for (const garbage of [{ requestId: 42 }, 'not an object', { requestId: data.requestId, version: 'x'.repeat(10_000) }, null]) {
        const answer = await bot.teams.click(PEOPLE.megan, 'request.approve', garbage);
        assert.equal(answer.statusCode, 400, JSON.stringify(garbage).slice(0, 50));
      }

      const unknownVerb = await bot.teams.click(PEOPLE.megan, 'request.delete', data);
      assert.equal(unknownVerb.statusCode, 400);

      const noJustification = await bot.teams.click(PEOPLE.megan, 'request.approve', data, activityId);
      assert.equal(noJustification.statusCode, 400, 'the stage requires an approver justification');

      await bot.settle();
      assert.equal(bot.graph.writes().length, writesBefore, 'no Graph write');
      assert.equal(bot.connector.activities().length, cardsBefore, 'no card sent or updated');
    });

    it('approves: replaces the card with the decided view, writes Graph once, and tells the requester', async () => {
      const writesBefore = bot.graph.writes().length;
      const { data, activityId } = approveButton(bot, PEOPLE.megan);
      const answer = await bot.teams.click(PEOPLE.megan, 'request.approve', { ...data, approverJustification: 'Needed for Q3' }, activityId);
      assert.equal(answer.statusCode, 200, answer.message);
      assert.match(cardText(answer.value), /Megan Bowen/);
      assert.equal(cardActions(answer.value).length, 0, 'the decided view has no buttons');
      await bot.settle();

      const writes = bot.graph.writes().slice(writesBefore).map((w) => `${w.method} ${w.path}`);
      assert.deepEqual(writes.sort(), [
        `POST /v1.0/groups/${CRM_USERS_GROUP}/members/$ref`,
        `POST /v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`,
      ].sort());
      const members = bot.graph.store.listReferences(CRM_USERS_GROUP, 'members');
      assert.ok(members.some((m) => m.kind === 'user' && m.user.id === PEOPLE.adele.aadObjectId));
      const assignments = bot.graph.store.listAssignments(CRM_SP, PEOPLE.adele.aadObjectId);
      assert.deepEqual(assignments.map((a) => a.appRoleId), [CRM_READER_ROLE]);

      const delivered = cardText(cardOf(lastCardTo(bot, PEOPLE.adele)));
      assert.match(delivered, /You now have access to CRM users/);
      assert.match(delivered, /CRM Users \(member\)/);
      assert.match(delivered, /CRM Reader in Contoso CRM/);

      const diegoUpdate = lastCardTo(bot, PEOPLE.diego, 'update');
      assert.ok(diegoUpdate, "Diego's approval card was updated in place");
      assert.equal(cardActions(cardOf(diegoUpdate)).length, 0, 'no buttons left for the other approver');
      assert.match(cardText(cardOf(diegoUpdate)), /Megan Bowen/);
    });

    it('answers a late click on another approver card with 409 naming who decided', async () => {
      const { data, activityId } = approveButton(bot, PEOPLE.diego);
      const answer = await bot.teams.click(PEOPLE.diego, 'request.deny', { ...data, approverJustification: 'no' }, activityId);
      assert.equal(answer.statusCode, 409);
      assert.match(answer.message ?? '', /Megan Bowen/);
      assert.equal(data.requestId, requestId);
    });
  });

  describe('deny', () => {
    it('denies: the requester gets the denial with the reason, and nothing is written to Graph', async () => {
      const writesBefore = bot.graph.writes().length;
      const answer = await submit(bot, PEOPLE.isaiah, { packageId: 'crm-users', justification: 'Shadowing Adele' });
      assert.equal(answer.statusCode, 200, answer.message);
      await bot.settle();
      // CRM Approvers holds Diego, and Megan through the nested Sales Leads group.
      const { data, activityId } = approveButton(bot, PEOPLE.diego);
      const denied = await bot.teams.click(PEOPLE.diego, 'request.deny', { ...data, approverJustification: 'Use the shared dashboard instead' }, activityId);
      assert.equal(denied.statusCode, 200, denied.message);
      await bot.settle();
      const notice = cardText(cardOf(lastCardTo(bot, PEOPLE.isaiah)));
      assert.match(notice, /denied/i);
      assert.match(notice, /Use the shared dashboard instead/);
      assert.equal(bot.graph.writes().length, writesBefore);
    });
  });

  it('delivers a package without approval straight away', async () => {
    const answer = await submit(bot, PEOPLE.isaiah, { packageId: 'sales-team' });
    assert.equal(answer.statusCode, 200, answer.message);
    await bot.settle();
    const writes = bot.graph.writes().filter((w) => w.path.includes(SALES_TEAM_GROUP));
    assert.equal(writes.length, 1);
    // Isaiah was already a member: Graph's "already exists" answer counts as delivered.
    assert.match(cardText(cardOf(lastCardTo(bot, PEOPLE.isaiah))), /You now have access to Sales team/);
  });

  it('refuses a malformed activity body with 400, not 500', async () => {
    const res = await bot.teams.post('{"type": 42');
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
  });
});

describe('e2e: authentication', function () {
  this.timeout(60_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBot({
      BOT_ID: '55555555-0000-4000-8000-000000000001',
      BOT_PASSWORD: 'not-a-real-secret',
      TENANT_ID: '99999999-0000-4000-8000-000000000001',
      CATALOG_FILE: 'catalog.sample.json',
      HOST: '127.0.0.1',
    });
  });

  after(async () => bot?.stop());

  it('answers 401 to an activity without a valid token and changes nothing', async () => {
    const before = bot.connector.activities().length;
    const res = await bot.teams.install(PEOPLE.adele);
    assert.equal(res.status, 401);
    const forged = await bot.teams.post({ type: 'message', text: 'request' }, { authorization: 'Bearer not-a-jwt' });
    assert.equal(forged.status, 401);
    await bot.settle();
    assert.equal(bot.connector.activities().length, before);
  });
});

describe('e2e: one tenant only', function () {
  this.timeout(60_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBot({ TENANT_ID: '77777777-0000-4000-8000-000000000001' });
  });

  after(async () => bot?.stop());

  it('refuses activities from another tenant: invokes get 403, messages get nothing, nothing is stored', async () => {
    const click = await bot.teams.click(PEOPLE.adele, 'request.submit', { packageId: 'crm-users', justification: 'x' });
    assert.equal(click.statusCode, 403);
    assert.match(click.message ?? '', /organization|tenant/i);
    await bot.teams.say(PEOPLE.adele, 'request');
    await bot.settle();
    assert.equal(bot.connector.activities().length, 0);
  });
});
