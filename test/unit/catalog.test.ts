import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogError, loadCatalog, parseCatalog } from '../../src/catalog/loader';
import { demo, jsonAt, sampleCatalogJson, sampleCatalogJsonWith, type JsonPath } from '../support/fakes';

type Path = JsonPath;
const sampleWith = sampleCatalogJsonWith;
const containerAt = jsonAt;

const CRM_STAGE: Path = ['catalogs', 0, 'accessPackages', 0, 'policies', 0, 'approval', 'stages', 0];
const stageField = (field: string): Path => [...CRM_STAGE, field];

function catalogError(...fragments: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CatalogError, `expected CatalogError, got ${String(err)}`);
    for (const fragment of fragments) assert.ok(err.message.includes(fragment), `"${err.message}" should include "${fragment}"`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}

async function refused(json: unknown, ...fragments: string[]): Promise<void> {
  await assert.rejects(async () => parseCatalog(json, 'catalog.json'), catalogError(...fragments));
}

describe('catalog', () => {
  describe('catalog.sample.json', () => {
    it('loads, with lookups by package and policy and the administrators', async () => {
      const catalog = await loadCatalog(join(__dirname, '..', '..', 'catalog.sample.json'));
      assert.deepEqual(catalog.allPackages().map((e) => e.accessPackage.id), ['crm-users', 'sales-team', 'finance-reports', 'crm-members']);
      const crm = catalog.findPackage('crm-users');
      assert.equal(crm?.catalog.id, 'sales');
      assert.equal(crm?.accessPackage.resources.length, 2);
      assert.equal(catalog.findPolicy('crm-users', 'employees')?.approval.stages[0].timeoutDays, 14);
      assert.equal(catalog.findPolicy('crm-users', 'nope'), undefined);
      assert.equal(catalog.findPackage('nope'), undefined);
      assert.deepEqual(catalog.administrators, [demo.users.lee]);
    });

    it('fills in the documented defaults', () => {
      const minimal = {
        catalogs: [
          {
            id: 'it',
            displayName: 'IT',
            accessPackages: [
              {
                id: 'vpn',
                displayName: 'VPN',
                resources: [{ type: 'group', groupId: demo.groups.crmUsers }],
                policies: [{ id: 'all', displayName: 'Everyone', requestors: { scope: 'allMembers' } }],
              },
            ],
          },
        ],
      };
      const catalog = parseCatalog(minimal);
      const entry = catalog.findPackage('vpn');
      assert.deepEqual(entry?.accessPackage.resources, [{ type: 'group', groupId: demo.groups.crmUsers, role: 'member' }]);
      const policy = catalog.findPolicy('vpn', 'all');
      assert.deepEqual(policy?.approval, { required: false, stages: [] });
      assert.deepEqual(policy?.expiration, { never: true });
      assert.deepEqual(policy?.extension, { allowed: false, approvalRequired: false });
      assert.equal(policy?.requestorJustificationRequired, false);
      assert.equal(policy?.requestorCanSpecifyDates, false);
      assert.deepEqual(catalog.administrators, []);
    });
  });

  it('lower-cases object ids, so they compare equal to what Teams and Graph send', () => {
    const upper = '11111111-0000-4000-8000-00000000000A';
    const catalog = parseCatalog(sampleWith([['administrators'], [upper]]));
    assert.deepEqual(catalog.administrators, [upper.toLowerCase()]);
  });

  describe('errors name the JSON path and the problem', () => {
    it('an object id that is not a GUID', async () => {
      await refused(
        sampleWith([['catalogs', 0, 'accessPackages', 0, 'resources', 0, 'groupId'], 'crm-users-group']),
        'catalog.json: $.catalogs[0].accessPackages[0].resources[0].groupId must be an Entra object id (a GUID)',
      );
      await refused(sampleWith([['administrators', 0], 'lee@contoso.example']), '$.administrators[0] must be an Entra object id (a GUID)');
      await refused(sampleWith([stageField('fallbackApprovers'), [{ user: 'lee' }]]), '$.catalogs[0].accessPackages[0].policies[0].approval.stages[0].fallbackApprovers[0].user');
    });

    it('an unknown property, at any level', async () => {
      await refused(sampleWith([['catalogs', 0, 'accessPackages', 0, 'colour'], 'red']), '$.catalogs[0].accessPackages[0]', 'colour');
      await refused(sampleWith([['version'], 2]), 'catalog.json: $ ', 'version');
      await refused(sampleWith([[...CRM_STAGE, 'timeoutHours'], 4]), '$.catalogs[0].accessPackages[0].policies[0].approval.stages[0]', 'timeoutHours');
    });

    it('more than 3 approval stages', async () => {
      const stage = { approvers: [{ user: demo.users.lee }] };
      await refused(
        sampleWith([['catalogs', 0, 'accessPackages', 0, 'policies', 0, 'approval', 'stages'], [stage, stage, stage, stage]]),
        '$.catalogs[0].accessPackages[0].policies[0].approval.stages at most 3 approval stages',
      );
      const three = parseCatalog(sampleWith([['catalogs', 0, 'accessPackages', 0, 'policies', 0, 'approval', 'stages'], [stage, stage, stage]]));
      assert.equal(three.findPolicy('crm-users', 'employees')?.approval.stages.length, 3);
    });

    it('approval required with no stage', async () => {
      await refused(
        sampleWith([['catalogs', 0, 'accessPackages', 0, 'policies', 0, 'approval', 'stages'], []]),
        '$.catalogs[0].accessPackages[0].policies[0].approval.stages needs 1 to 3 stages',
      );
    });

    it('escalation needs a timeout of at least 4 days, and must come before the timeout', async () => {
      const escalation = { afterDays: 2, approvers: [{ user: demo.users.patti }] };
      await refused(
        sampleWith([stageField('escalation'), escalation], [stageField('timeoutDays'), 3], [stageField('reminderDaysBeforeTimeout'), undefined]),
        '$.catalogs[0].accessPackages[0].policies[0].approval.stages[0].timeoutDays must be at least 4 when escalation is set',
      );
      await refused(
        sampleWith([stageField('escalation'), { ...escalation, afterDays: 5 }], [stageField('timeoutDays'), 5]),
        '$.catalogs[0].accessPackages[0].policies[0].approval.stages[0].escalation.afterDays must be less than timeoutDays',
      );
      const ok = parseCatalog(sampleWith([stageField('escalation'), escalation], [stageField('timeoutDays'), 4]));
      assert.deepEqual(ok.findPolicy('crm-users', 'employees')?.approval.stages[0].escalation, escalation);
    });

    it('a reminder on or after the timeout', async () => {
      await refused(
        sampleWith([stageField('timeoutDays'), 5], [stageField('reminderDaysBeforeTimeout'), 5]),
        '$.catalogs[0].accessPackages[0].policies[0].approval.stages[0].reminderDaysBeforeTimeout must be less than timeoutDays',
      );
      await refused(sampleWith([stageField('timeoutDays'), undefined], [stageField('reminderDaysBeforeTimeout'), 14]), 'reminderDaysBeforeTimeout must be less than timeoutDays');
      const ok = parseCatalog(sampleWith([stageField('timeoutDays'), 5], [stageField('reminderDaysBeforeTimeout'), 4]));
      assert.equal(ok.findPolicy('crm-users', 'employees')?.approval.stages[0].reminderDaysBeforeTimeout, 4);
    });

    it('a package id used twice, even across catalogs', async () => {
      const json = sampleCatalogJson();
      const copyOfCrm = structuredClone(containerAt(json, ['catalogs', 0, 'accessPackages', 0]));
      json.catalogs.push({ id: 'marketing', displayName: 'Marketing', accessPackages: [copyOfCrm] });
      await refused(json, '$.catalogs[1].accessPackages[0].id', '"crm-users" is already used by catalogs[0].accessPackages[0]');
    });

    it('expiration out of range, and scopes that name nobody', async () => {
      const policy: Path = ['catalogs', 0, 'accessPackages', 0, 'policies', 0];
      await refused(sampleWith([[...policy, 'expiration'], { afterDays: 3661 }]), '$.catalogs[0].accessPackages[0].policies[0].expiration');
      await refused(sampleWith([[...policy, 'expiration'], { onDate: '2026/06/30' }]), '$.catalogs[0].accessPackages[0].policies[0].expiration');
      await refused(sampleWith([[...policy, 'requestors'], { scope: { groups: [] } }]), '$.catalogs[0].accessPackages[0].policies[0].requestors.scope');
      await refused(sampleWith([['catalogs', 0, 'accessPackages', 0, 'resources'], []]), '$.catalogs[0].accessPackages[0].resources needs at least one resource');
      await refused({ catalogs: [] }, '$.catalogs needs at least one catalog');
    });

    it('an onDate that does not exist (2026-02-30) is refused', async () => {
      // Date.parse alone would roll 2026-02-30 over to 2026-03-02 (regression test).
      await refused(
        sampleWith([['catalogs', 0, 'accessPackages', 0, 'policies', 0, 'expiration'], { onDate: '2026-02-30' }]),
        '$.catalogs[0].accessPackages[0].policies[0].expiration',
      );
    });

    it('counts the further problems', async () => {
      await refused(
        sampleWith([['administrators', 0], 'x'], [['catalogs', 0, 'owners', 0], 'y']),
        '(and 1 more problem)',
      );
    });
  });

  describe('loadCatalog', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'catalog-test-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('a missing file says it cannot be read', async () => {
      const path = join(dir, 'missing.json');
      await assert.rejects(loadCatalog(path), catalogError(`${path}: cannot be read (ENOENT)`));
    });

    it('invalid JSON says so, with the file name', async () => {
      const path = join(dir, 'broken.json');
      await writeFile(path, '{ "catalogs": [ ');
      await assert.rejects(loadCatalog(path), catalogError(`${path}: is not valid JSON`));
    });

    it('schema problems name the file and the path', async () => {
      const path = join(dir, 'bad.json');
      await writeFile(path, JSON.stringify(sampleWith([['catalogs', 0, 'id'], 'has spaces'])));
      await assert.rejects(loadCatalog(path), catalogError(`${path}: $.catalogs[0].id must be 1-63 letters`));
    });
  });
});
