import { strict as assert } from 'node:assert';
import { ALL_GRAPH_PERMISSIONS, MICROSOFT_GRAPH_APP_ID } from '../../src/graph/permissions';
import {
  EmulatorControlError,
  GRAPH_SERVICE_PRINCIPAL_OBJECT_ID,
  GraphEmulatorControl,
  LOCAL_GRAPH_CLIENT_ID,
  LOCAL_GRAPH_CLIENT_OBJECT_ID,
  loadGraphSeed,
  type GraphEmulator,
} from '../../src/local/graphEmulator';
import { createRoutes } from '../../src/local/graphEmulator/handlers';
import { AppPermissions, permissionRoutes } from '../../src/local/graphEmulator/permissionRoutes';
import { GRAPH_APP_ROLES, ruleFor } from '../../src/local/graphEmulator/permissionTable';
import { DirectoryStore } from '../../src/local/graphEmulator/store';
import { ADELE, CRM_READER, CRM_SP, CRM_USERS, GRADY, startDemoGraphEmulator } from '../support/demoTenant';

interface Answer {
  status: number;
  body: unknown;
}

const DENIED = { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };

describe('Graph emulator: application permissions', () => {
  let emulator: GraphEmulator;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  const errorOf = (answer: Answer) => {
    const { code, message } = (answer.body as { error: { code: string; message: string } }).error;
    return { code, message };
  };
  const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

  before(async () => {
    emulator = await startDemoGraphEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  afterEach(() => {
    for (const permission of emulator.grantedPermissions()) emulator.withdrawPermission(permission);
    for (const permission of ALL_GRAPH_PERMISSIONS) emulator.grantPermission(permission);
  });

  it('declares the permissions of every route it answers (permissionTable.ts)', async () => {
    const access = new AppPermissions();
    const store = new DirectoryStore(access.withPrincipals(await loadGraphSeed('directory.sample.json')));
    const routes = [...createRoutes(store, { maxPageSize: 999 }), ...permissionRoutes(store, access, { maxPageSize: 999 })];
    const undeclared = routes.filter((r) => !ruleFor(r.method, r.pattern)).map((r) => `${r.method} ${r.pattern}`);
    assert.deepEqual(undeclared, []);
  });

  it('grants every permission the bot asks for by default (local mode grants all), nothing else', () => {
    assert.deepEqual(emulator.grantedPermissions().sort(), [...ALL_GRAPH_PERMISSIONS].sort());
  });

  it('answers 403 Authorization_RequestDenied for a call whose permission is withdrawn, and serves it again once granted', async () => {
    // group-post-members: GroupMember.ReadWrite.All, or the higher Group.ReadWrite.All (granted by default too).
    emulator.withdrawPermission('GroupMember.ReadWrite.All');
    emulator.withdrawPermission('Group.ReadWrite.All');
    const refused = await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(GRADY));
    assert.equal(refused.status, 403);
    assert.deepEqual(errorOf(refused), DENIED);
    // Refused before anything is looked up or written, as Graph does.
    assert.deepEqual(emulator.store.listReferences(CRM_USERS, 'members').filter((o) => o.kind === 'user' && o.user.id === GRADY), []);
    assert.equal((await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref('99999999-0000-4000-8000-000000000099'))).status, 403);
    assert.equal((await call('GET', `/users/${ADELE}`)).status, 200, 'other permissions are untouched');

    emulator.grantPermission('GroupMember.ReadWrite.All');
    const added = await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(GRADY));
    assert.equal(added.status, 204);
    assert.equal((await call('DELETE', `/groups/${CRM_USERS}/members/${GRADY}/$ref`)).status, 204);
  });

  it('lets a higher-privileged permission stand in, and wants every permission of an "and" pair', async () => {
    emulator.withdrawPermission('GroupMember.ReadWrite.All');
    emulator.withdrawPermission('Group.ReadWrite.All');
    emulator.grantPermission('Directory.ReadWrite.All');
    assert.equal((await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(GRADY))).status, 204);
    assert.equal((await call('DELETE', `/groups/${CRM_USERS}/members/${GRADY}/$ref`)).status, 204);

    // serviceprincipal-post-approleassignedto: AppRoleAssignment.ReadWrite.All and (Application.Read.All or Directory.Read.All).
    const assignment = { principalId: GRADY, resourceId: CRM_SP, appRoleId: CRM_READER };
    emulator.withdrawPermission('Application.Read.All');
    const refused = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, assignment);
    assert.deepEqual([refused.status, errorOf(refused)], [403, DENIED]);
    emulator.grantPermission('Directory.Read.All');
    const created = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, assignment);
    assert.equal(created.status, 201);
    const id = (created.body as { id: string }).id;
    assert.equal((await call('DELETE', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo/${id}`)).status, 204);
  });

  it('refuses inner requests of a $batch one by one', async () => {
    emulator.withdrawPermission('User.Read.All');
    const batch = await call('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${ADELE}` },
        { id: '2', method: 'GET', url: `/groups/${CRM_USERS}` },
        { id: '3', method: 'POST', url: `/users/${ADELE}/checkMemberGroups`, body: { groupIds: [CRM_USERS] }, headers: { 'Content-Type': 'application/json' } },
      ],
    });
    assert.equal(batch.status, 200);
    const responses = (batch.body as { responses: Array<{ id: string; status: number; body?: { error?: { code: string } } }> }).responses;
    assert.deepEqual(
      responses.map((r) => [r.id, r.status, r.body?.error?.code]),
      [
        ['1', 403, 'Authorization_RequestDenied'],
        ['2', 200, undefined],
        ['3', 403, 'Authorization_RequestDenied'],
      ],
    );
  });

  it("serves the caller's and Microsoft Graph's service principals, by alternate key too, and the caller's grants as app role assignments", async () => {
    emulator.withdrawPermission('Application.Read.All');
    // Any app may read its own service principal without a permission (serviceprincipal-get).
    const self = await call('GET', `/servicePrincipals(appId='${LOCAL_GRAPH_CLIENT_ID}')?$select=id,appId,displayName`);
    assert.equal(self.status, 200);
    assert.deepEqual([(self.body as { id: string }).id, (self.body as { appId: string }).appId], [LOCAL_GRAPH_CLIENT_OBJECT_ID, LOCAL_GRAPH_CLIENT_ID]);
    assert.equal((await call('GET', `/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')`)).status, 403);
    assert.equal((await call('GET', `/servicePrincipals/${LOCAL_GRAPH_CLIENT_OBJECT_ID}/appRoleAssignments`)).status, 403);
    emulator.grantPermission('Application.Read.All');

    const graph = await call('GET', `/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')?$select=id,appRoles`);
    assert.equal(graph.status, 200);
    const graphSp = graph.body as { id: string; appRoles: Array<{ id: string; value: string; allowedMemberTypes: string[] }> };
    assert.equal(graphSp.id, GRAPH_SERVICE_PRINCIPAL_OBJECT_ID);
    const userReadAll = graphSp.appRoles.find((r) => r.value === 'User.Read.All');
    assert.deepEqual(userReadAll, { ...userReadAll, id: 'df021288-bdef-4463-88db-98f22de89214', allowedMemberTypes: ['Application'] });
    assert.equal(graphSp.appRoles.length, GRAPH_APP_ROLES.length);

    emulator.withdrawPermission('Group.ReadWrite.All');
    emulator.grantPermission('TeamsAppInstallation.ReadWriteForUser.All');
    const assignments = await call('GET', `/servicePrincipals/${LOCAL_GRAPH_CLIENT_OBJECT_ID}/appRoleAssignments`);
    assert.equal(assignments.status, 200);
    const value = (assignments.body as { value: Array<{ id: string; appRoleId: string; principalId: string; resourceId: string; principalType: string }> }).value;
    const names = new Map(graphSp.appRoles.map((r) => [r.id, r.value]));
    assert.deepEqual(value.map((a) => names.get(a.appRoleId)).sort(), emulator.grantedPermissions().sort());
    assert.ok(value.every((a) => a.principalId === LOCAL_GRAPH_CLIENT_OBJECT_ID && a.resourceId === GRAPH_SERVICE_PRINCIPAL_OBJECT_ID && a.principalType === 'ServicePrincipal'));
    assert.ok(!value.some((a) => names.get(a.appRoleId) === 'Group.ReadWrite.All'));
    assert.ok(value.every((a) => a.id.length === 43));

    const unknown = await call('GET', "/servicePrincipals(appId='99999999-0000-4000-8000-000000000099')");
    assert.deepEqual([unknown.status, errorOf(unknown).code], [404, 'Request_ResourceNotFound']);
    // The alternate key reaches the catalog's service principals too.
    const crm = await call('GET', "/servicePrincipals(appId='55555555-0000-4000-8000-000000000001')");
    assert.deepEqual([crm.status, (crm.body as { id: string }).id], [200, CRM_SP]);
  });

  it('withdraws and grants permissions over HTTP (/_emulator/permissions) and through GraphEmulatorControl', async () => {
    const raw = await fetch(`${emulator.controlUrl}/permissions/${encodeURIComponent('Application.Read.All')}`, { method: 'DELETE' });
    assert.equal(raw.status, 204);
    const listed = (await (await fetch(`${emulator.controlUrl}/permissions`)).json()) as { clientId: string; granted: string[]; value: Array<{ permission: string; granted: boolean }> };
    assert.equal(listed.clientId, LOCAL_GRAPH_CLIENT_ID);
    assert.ok(!listed.granted.includes('Application.Read.All'));
    assert.equal(listed.value.find((p) => p.permission === 'Application.Read.All')?.granted, false);
    assert.equal((await call('GET', `/servicePrincipals/${CRM_SP}`)).status, 403);

    const control = new GraphEmulatorControl(emulator.controlUrl);
    await control.grantPermission('Application.Read.All');
    assert.equal((await call('GET', `/servicePrincipals/${CRM_SP}`)).status, 200);
    await control.withdrawPermission('User.Read.All');
    assert.ok(!(await control.grantedPermissions()).includes('User.Read.All'));
    assert.equal((await call('GET', `/users/${ADELE}`)).status, 403);

    await assert.rejects(control.withdrawPermission('Mail.Send'), (err: unknown) => {
      assert.ok(err instanceof EmulatorControlError);
      assert.equal(err.status, 400);
      assert.match(err.message, /Unknown Microsoft Graph application permission 'Mail\.Send': the emulator knows User\.Read\.All, /);
      return true;
    });
    assert.throws(() => emulator.grantPermission('Mail.Send'), /Unknown Microsoft Graph application permission 'Mail\.Send'/);
  });

  it('starts with the permissions it is given', async () => {
    const narrow = await startDemoGraphEmulator({ grantedPermissions: ['User.Read.All'] });
    try {
      assert.deepEqual(narrow.grantedPermissions(), ['User.Read.All']);
      const user = await fetch(`${narrow.url}/users/${ADELE}`);
      const group = await fetch(`${narrow.url}/groups/${CRM_USERS}`);
      assert.deepEqual([user.status, group.status], [200, 403]);
    } finally {
      await narrow.close();
    }
  });
});
