/**
 * Two access packages sharing a group (issue 12): "CRM group" (the CRM Users group only, no approval, 2 days) and
 * "CRM users" (the same group and the CRM Reader app role, 365 days). Adele gets both: the second delivery counts
 * the group as delivered without writing it again. When "CRM group" ends, the group stays (her status card says
 * which access keeps it); when "CRM users" ends too, the group and the app role go. Her two assignments say so.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardOf, cardText } from '../support/fakeConnector';
import { CRM_SP, CRM_USERS } from '../support/demoTenant';
import { noApprovalPolicy, PEOPLE, requestApproved, requireLastCardTo, sampleCatalogPlus, startE2eBot, type E2eBot } from './support';

const CRM_GROUP_PACKAGE = 'crm-group';

/** catalog.sample.json plus "CRM group": the CRM Users group of "CRM users", no approval, 2 days. */
function catalogWithSharedGroup(dir: string): Promise<string> {
  return sampleCatalogPlus(dir, {
    id: CRM_GROUP_PACKAGE,
    displayName: 'CRM group',
    description: 'The CRM Users group alone, for two days.',
    managers: [PEOPLE.diego.aadObjectId],
    assignmentManagers: [],
    resources: [{ type: 'group', groupId: CRM_USERS, role: 'member' }],
    policies: [noApprovalPolicy(2)],
  });
}

describe('e2e: two packages sharing a group', function () {
  this.timeout(90_000);
  let bot: E2eBot;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shared-resources-'));
    bot = await startE2eBot({ CATALOG_FILE: await catalogWithSharedGroup(dir) });
    for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
  });

  after(async () => {
    await bot?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the shared group until the last access granting it ends', async () => {
    const adele = PEOPLE.adele;
    const member = () => bot.graph.store.getGroup(CRM_USERS).members.has(adele.aadObjectId.toLowerCase());
    const groupWrites = (method: string) => bot.graph.writes().filter((w) => w.method === method && w.path.startsWith(`/v1.0/groups/${CRM_USERS}/members/`));
    const appRoles = () => bot.graph.store.listAssignments(CRM_SP).filter((a) => a.principalId.toLowerCase() === adele.aadObjectId.toLowerCase());
    const assignments = async () => {
      const all = await bot.assignments.listForPerson(adele.aadObjectId);
      return Object.fromEntries(all.map((a) => [a.packageId, `${a.state}: ${a.resources.map((r) => `${r.displayName}=${r.status}${r.keptBy ? ` kept by ${r.keptBy}` : ''}`).join(', ')}`]));
    };

    await bot.teams.say(adele, 'request');
    const submitted = await bot.teams.click(adele, 'request.submit', { packageId: CRM_GROUP_PACKAGE }, requireLastCardTo(bot, adele).activityId);
    assert.equal(submitted.statusCode, 200, submitted.message);
    await bot.settle();
    assert.ok(member(), 'CRM group delivered the membership');
    assert.equal(groupWrites('POST').length, 1);

    await requestApproved(bot, adele);
    assert.equal(groupWrites('POST').length, 1, 'CRM users counted the group as delivered without writing it again');
    assert.equal(appRoles().length, 1, 'and assigned its app role');
    assert.match(cardText(cardOf(requireLastCardTo(bot, adele))), /You now have access to CRM users/);
    assert.deepEqual(await assignments(), {
      [CRM_GROUP_PACKAGE]: 'delivered: CRM Users=delivered',
      'crm-users': 'delivered: CRM Users=delivered, CRM Reader=delivered',
    });

    // CRM group ends after two days: the group stays, CRM users still grants it.
    await bot.advanceAndTick('P3D');
    await bot.settle();
    assert.equal(groupWrites('DELETE').length, 0, 'no removal of the shared group');
    assert.ok(member(), 'Adele is still a member');
    const ended = cardText(cardOf(requireLastCardTo(bot, adele)));
    assert.match(ended, /Your access to CRM group has ended/);
    assert.match(ended, /CRM Users \(member\) stays yours: CRM users still grants it/);
    assert.deepEqual(await assignments(), {
      [CRM_GROUP_PACKAGE]: 'expired: CRM Users=removed kept by CRM users',
      'crm-users': 'delivered: CRM Users=delivered, CRM Reader=delivered',
    });

    // CRM users ends a year later: now the group and the app role go.
    await bot.advanceAndTick('P366D');
    await bot.settle();
    assert.deepEqual(groupWrites('DELETE').map((w) => w.status), [204]);
    assert.equal(member(), false, 'the group went with the last access granting it');
    assert.equal(appRoles().length, 0);
    assert.deepEqual(await assignments(), {
      [CRM_GROUP_PACKAGE]: 'expired: CRM Users=removed kept by CRM users',
      'crm-users': 'expired: CRM Users=removed, CRM Reader=removed',
    });
  });
});
