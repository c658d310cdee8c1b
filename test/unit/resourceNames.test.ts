import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import type { DirectoryGroup, DirectoryServicePrincipal } from '../../src/app/ports';
import { RESOURCE_NAME_TTL_IN_MS, ResourceNamer } from '../../src/app/resourceNames';
import { submitRequest } from '../../src/app/submitRequest';
import type { Resource } from '../../src/catalog/types';
import { FakeDirectory, ManualClock, RecordingLogger, createTestContext, demo } from '../support/fakes';

const CRM_USERS: Resource = { type: 'group', groupId: demo.groups.crmUsers, role: 'member' };
const SALES_TEAM_OWNER: Resource = { type: 'group', groupId: demo.groups.salesTeam, role: 'owner' };
const CRM_READER: Resource = { type: 'appRole', servicePrincipalId: demo.servicePrincipals.crm, appRoleId: demo.appRoles.crmReader };
const CRM_EDITOR: Resource = {
  type: 'appRole',
  servicePrincipalId: demo.servicePrincipals.crm,
  appRoleId: '44444444-0000-4000-8000-000000000002',
};
const MISSING_GROUP: Resource = { type: 'group', groupId: '22222222-0000-4000-8000-0000000000ff', role: 'member' };

describe('ResourceNamer', () => {
  const sandbox = sinon.createSandbox();
  let directory: FakeDirectory;
  let clock: ManualClock;
  let logger: RecordingLogger;
  let namer: ResourceNamer;

  beforeEach(() => {
    directory = FakeDirectory.sample();
    clock = new ManualClock();
    logger = new RecordingLogger();
    namer = new ResourceNamer({ directory, clock, logger });
  });

  afterEach(() => sandbox.restore());

  it('names groups and app roles, one per resource in the same order', async () => {
    assert.deepEqual(await namer.namesFor([CRM_READER, CRM_USERS, SALES_TEAM_OWNER]), [
      { displayName: 'CRM Reader', appDisplayName: 'Contoso CRM' },
      { displayName: 'CRM Users' },
      { displayName: 'Sales Team' },
    ]);
    assert.deepEqual(await namer.namesFor([]), []);
    assert.deepEqual(logger.at('warn'), []);
  });

  it('fetches a service principal (and a group) once per call even when several resources share it', async () => {
    const names = await namer.namesFor([CRM_READER, CRM_USERS, CRM_EDITOR, CRM_USERS]);
    assert.deepEqual(names.map((n) => n.displayName), ['CRM Reader', 'CRM Users', 'CRM Editor', 'CRM Users']);
    assert.equal(directory.calls.getServicePrincipal, 1);
    assert.equal(directory.calls.getGroup, 1);
  });

  it('looks up in parallel', async () => {
    let running = 0;
    let most = 0;
    const slow = async <T>(value: T): Promise<T> => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return value;
    };
    sandbox.stub(directory, 'getGroup').callsFake((id) => slow<DirectoryGroup>({ id, displayName: `group ${id}` }));
    sandbox.stub(directory, 'getServicePrincipal').callsFake((id) => slow<DirectoryServicePrincipal>({ id, displayName: 'app', appRoles: [] }));
    await namer.namesFor([CRM_USERS, SALES_TEAM_OWNER, CRM_READER]);
    assert.equal(most, 3);
  });

  it('answers from the cache within the hour, and asks the directory again after it', async () => {
    await namer.namesFor([CRM_USERS, CRM_READER]);
    directory.renameGroup(demo.groups.crmUsers, 'CRM Users (renamed)');

    clock.advance(RESOURCE_NAME_TTL_IN_MS - 1);
    assert.deepEqual((await namer.namesFor([CRM_USERS, CRM_READER]))[0], { displayName: 'CRM Users' });
    assert.equal(directory.calls.getGroup, 1);
    assert.equal(directory.calls.getServicePrincipal, 1);

    clock.advance(1);
    assert.deepEqual((await namer.namesFor([CRM_USERS, CRM_READER]))[0], { displayName: 'CRM Users (renamed)' });
    assert.equal(directory.calls.getGroup, 2);
    assert.equal(directory.calls.getServicePrincipal, 2);
  });

  it('warm fills the cache, so a later call asks the directory nothing', async () => {
    await namer.warm([CRM_USERS, CRM_READER, SALES_TEAM_OWNER]);
    const calls = { ...directory.calls };
    assert.deepEqual(await namer.namesFor([SALES_TEAM_OWNER, CRM_READER]), [
      { displayName: 'Sales Team' },
      { displayName: 'CRM Reader', appDisplayName: 'Contoso CRM' },
    ]);
    assert.deepEqual(directory.calls, calls);
  });

  it('shares a lookup already under way (a submit during warm-up)', async () => {
    const warming = namer.warm([CRM_USERS]);
    const names = await namer.namesFor([CRM_USERS]);
    await warming;
    assert.deepEqual(names, [{ displayName: 'CRM Users' }]);
    assert.equal(directory.calls.getGroup, 1);
  });

  it('leaves the name of a missing group undefined, with a warning, and does not cache the miss', async () => {
    const names = await namer.namesFor([MISSING_GROUP, CRM_USERS]);
    assert.deepEqual(names, [{}, { displayName: 'CRM Users' }]);
    assert.equal(names[0].displayName, undefined);
    const [warning] = logger.at('warn');
    assert.deepEqual(warning.obj, { groupId: MISSING_GROUP.groupId });
    assert.match(warning.msg ?? '', /not found/);
    await namer.namesFor([MISSING_GROUP]);
    assert.equal(directory.calls.getGroup, 3);
  });

  it('names the application of an app role it cannot find, with a warning', async () => {
    const unknownRole: Resource = { ...CRM_READER, appRoleId: '44444444-0000-4000-8000-0000000000ff' };
    assert.deepEqual(await namer.namesFor([unknownRole]), [{ appDisplayName: 'Contoso CRM' }]);
    assert.equal(logger.at('warn').length, 1);
  });

  it('never fails when the directory throws: names stay undefined and each failure is a warning', async () => {
    sandbox.stub(directory, 'getGroup').rejects(new Error('Graph 503 ServiceUnavailable'));
    sandbox.stub(directory, 'getServicePrincipal').rejects(new Error('Graph 403 Authorization_RequestDenied'));
    assert.deepEqual(await namer.namesFor([CRM_USERS, CRM_READER]), [{}, {}]);
    const warnings = logger.at('warn');
    assert.equal(warnings.length, 2);
    assert.ok(warnings.some((w) => JSON.stringify(w.obj).includes('ServiceUnavailable')));
    assert.ok(warnings.some((w) => JSON.stringify(w.obj).includes('Authorization_RequestDenied')));
    await namer.warm([CRM_USERS]);
  });

  it('does not wait for a slow directory longer than its timeout, and the late answer still fills the cache', async () => {
    let answer: (group: DirectoryGroup) => void = () => undefined;
    const stub = sandbox.stub(directory, 'getGroup').returns(new Promise<DirectoryGroup>((resolve) => (answer = resolve)));
    const impatient = new ResourceNamer({ directory, clock, logger, timeoutInMs: 10 });
    assert.deepEqual(await impatient.namesFor([CRM_USERS]), [{}]);
    assert.match(logger.at('warn')[0]?.msg ?? '', /slow/);
    answer({ id: demo.groups.crmUsers, displayName: 'CRM Users' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await impatient.namesFor([CRM_USERS]), [{ displayName: 'CRM Users' }]);
    assert.equal(stub.callCount, 1);
  });
});

describe('submitRequest and resource names', () => {
  const sandbox = sinon.createSandbox();
  afterEach(() => sandbox.restore());

  const input = { requesterId: demo.users.adele, packageId: 'crm-users', justification: 'Pipeline review' };

  it('snapshots the resource names onto the deliveries', async () => {
    const t = createTestContext();
    const created = await submitRequest(t, input);
    assert.deepEqual(
      created.request.resources.map(({ key, displayName, appDisplayName }) => ({ key, displayName, appDisplayName })),
      [
        { key: '00', displayName: 'CRM Users', appDisplayName: undefined },
        { key: '01', displayName: 'CRM Reader', appDisplayName: 'Contoso CRM' },
      ],
    );
    assert.deepEqual(t.store.peek(created.request.id)?.request.resources, created.request.resources);
  });

  it('still stores the request, without names, when the directory cannot name the resources', async () => {
    const logger = new RecordingLogger();
    const t = createTestContext({ logger });
    sandbox.stub(t.directory, 'getGroup').rejects(new Error('Graph 503'));
    sandbox.stub(t.directory, 'getServicePrincipal').resolves(undefined);
    const created = await submitRequest(t, input);
    assert.equal(created.request.state, 'submitted');
    for (const delivery of created.request.resources) {
      assert.equal(delivery.displayName, undefined);
      assert.equal(delivery.appDisplayName, undefined);
      assert.ok(!('displayName' in delivery) && !('appDisplayName' in delivery), 'no undefined fields are stored');
    }
    assert.equal(logger.at('warn').length, 2);
  });

  it('asks for names only after the form is valid', async () => {
    const t = createTestContext();
    const namesFor = sandbox.spy(t.resourceNames, 'namesFor');
    await assert.rejects(submitRequest(t, { ...input, justification: ' ' }));
    assert.equal(namesFor.callCount, 0);
  });
});
