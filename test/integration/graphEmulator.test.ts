import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmulatorControlError,
  GraphEmulatorControl,
  GraphSeedError,
  parseGraphSeed,
  startGraphEmulator,
  type GraphEmulator,
} from '../../src/local/graphEmulator';
import { ADELE, PATTI, LEE, MEGAN, ISAIAH, GRADY, CRM_USERS, SALES_TEAM, CRM_APPROVERS, MARKETING_TEAM, CRM_SP, CRM_READER, CRM_EDITOR, MISSING, startDemoGraphEmulator } from '../support/demoTenant';

interface GraphErrorBody {
  error: { code: string; message: string };
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

function ref(id: string) {
  return { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` };
}

describe('Graph emulator (HTTP)', () => {
  let emulator: GraphEmulator;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  function errorOf(answer: Answer): GraphErrorBody['error'] {
    return (answer.body as GraphErrorBody).error;
  }

  before(async () => {
    emulator = await startDemoGraphEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  afterEach(() => emulator.clearFaults());

  describe('seed', () => {
    it('names the JSON path of a bad reference', () => {
      assert.throws(
        () => parseGraphSeed({ users: [{ id: ADELE, displayName: 'A', managerId: MISSING }] }, 'x.json'),
        (err: unknown) =>
          err instanceof GraphSeedError && err.message === `x.json: $.users[0].managerId "${MISSING}" is not a user in users`,
      );
      assert.throws(
        () => parseGraphSeed({ groups: [{ id: CRM_USERS, displayName: 'G', members: ['not-a-guid'] }] }),
        /seed: \$\.groups\[0\]\.members\[0\] must be an object id/,
      );
      assert.throws(() => parseGraphSeed({ users: [], extra: 1 }), /\$ Unrecognized key\(s\) in object: 'extra'/);
    });

    it('refuses an unreadable or invalid seed file with a clear error', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'graph-seed-'));
      try {
        const file = join(dir, 'bad.json');
        await writeFile(file, '{"users": [');
        await assert.rejects(startGraphEmulator({ seedFile: file }), (err: unknown) => {
          assert.ok(err instanceof GraphSeedError);
          assert.match(err.message, /bad\.json: is not valid JSON/);
          return true;
        });
        await assert.rejects(startGraphEmulator({ seedFile: join(dir, 'none.json') }), /none\.json: cannot be read \(ENOENT\)/);
        await writeFile(file, JSON.stringify({ users: [{ id: ADELE, displayName: 'A', userType: 'Robot' }] }));
        await assert.rejects(startGraphEmulator({ seedFile: file }), /bad\.json: \$\.users\[0\]\.userType/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('users', () => {
    it('returns department and companyName only when selected, like Graph', async () => {
      const plain = await call('GET', `/users/${ADELE}`);
      assert.equal(plain.status, 200);
      assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(plain.body, {
        id: ADELE,
        displayName: 'Adele Vance',
        userPrincipalName: 'adele@contoso.example',
        mail: 'adele@contoso.example',
        jobTitle: 'Account Executive',
      });
      const selected = await call('GET', `/users/${ADELE}?$select=id,department,companyName,userType,accountEnabled`);
      assert.deepEqual(selected.body, {
        id: ADELE,
        department: 'Sales',
        companyName: 'Contoso',
        userType: 'Member',
        accountEnabled: true,
      });
    });

    it('answers 404 Request_ResourceNotFound for an unknown user and a user without manager', async () => {
      const missing = await call('GET', `/users/${MISSING}`);
      assert.equal(missing.status, 404);
      assert.equal(errorOf(missing).code, 'Request_ResourceNotFound');
      assert.match(errorOf(missing).message, new RegExp(`Resource '${MISSING}' does not exist`));
      const noManager = await call('GET', `/users/${PATTI}/manager`);
      assert.equal(noManager.status, 404);
      assert.equal(errorOf(noManager).code, 'Request_ResourceNotFound');
    });

    it('returns the manager as a typed user', async () => {
      const manager = await call('GET', `/users/${ADELE}/manager?$select=id,displayName`);
      assert.deepEqual(manager.body, {
        '@odata.type': '#microsoft.graph.user',
        id: '11111111-0000-4000-8000-000000000002',
        displayName: 'Diego Siciliani',
      });
    });

    it('checks transitive group membership', async () => {
      const answer = await call('POST', `/users/${MEGAN}/checkMemberGroups`, {
        groupIds: [CRM_APPROVERS, SALES_TEAM, MARKETING_TEAM, MISSING],
      });
      assert.equal(answer.status, 200);
      assert.deepEqual((answer.body as { value: string[] }).value, [CRM_APPROVERS, MARKETING_TEAM]);
      const tooMany = await call('POST', `/users/${MEGAN}/checkMemberGroups`, { groupIds: Array(21).fill(MISSING) });
      assert.equal(tooMany.status, 400);
    });
  });

  describe('groups', () => {
    it('lists transitive members through the nested group, groups included', async () => {
      const answer = await call('GET', `/groups/${CRM_APPROVERS}/transitiveMembers?$select=id`);
      const value = (answer.body as { value: Array<Record<string, string>> }).value;
      assert.deepEqual(
        value.map((o) => [o['@odata.type'], o.id]),
        [
          ['#microsoft.graph.user', '11111111-0000-4000-8000-000000000002'],
          ['#microsoft.graph.group', '22222222-0000-4000-8000-000000000004'],
          ['#microsoft.graph.user', MEGAN],
        ],
      );
    });

    it('pages with $top and @odata.nextLink', async () => {
      const first = await call('GET', `/groups/${CRM_APPROVERS}/transitiveMembers?$select=id&$top=2`);
      const body = first.body as { value: unknown[]; '@odata.nextLink'?: string };
      assert.equal(body.value.length, 2);
      const nextLink = body['@odata.nextLink'];
      assert.ok(nextLink);
      assert.ok(nextLink.startsWith(`${emulator.url}/groups/${CRM_APPROVERS}/transitiveMembers?`));
      assert.match(nextLink, /\?\$select=id&\$top=2&\$skiptoken=2$/);
      const second = (await (await fetch(nextLink)).json()) as { value: Array<{ id: string }>; '@odata.nextLink'?: string };
      assert.deepEqual(second.value.map((o) => o.id), [MEGAN]);
      assert.equal(second['@odata.nextLink'], undefined);
    });

    it('adds a member (204), refuses the duplicate with Graph\'s text, lists and removes it', async () => {
      const before = emulator.writes().length;
      const added = await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(ISAIAH));
      assert.equal(added.status, 204);
      assert.equal(added.body, undefined);
      const duplicate = await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(ISAIAH));
      assert.equal(duplicate.status, 400);
      assert.deepEqual(
        { code: errorOf(duplicate).code, message: errorOf(duplicate).message },
        {
          code: 'Request_BadRequest',
          message: "One or more added object references already exist for the following modified properties: 'members'.",
        },
      );
      const members = await call('GET', `/groups/${CRM_USERS}/members`);
      assert.deepEqual((members.body as { value: Array<{ id: string }> }).value.map((m) => m.id), [ISAIAH]);

      assert.equal((await call('DELETE', `/groups/${CRM_USERS}/members/${ISAIAH}/$ref`)).status, 204);
      const again = await call('DELETE', `/groups/${CRM_USERS}/members/${ISAIAH}/$ref`);
      assert.equal(again.status, 404);
      assert.equal(errorOf(again).code, 'Request_ResourceNotFound');

      const writes = emulator.writes().slice(before);
      assert.deepEqual(
        writes.map((w) => [w.method, w.path, w.status, w.viaBatch]),
        [
          ['POST', `/v1.0/groups/${CRM_USERS}/members/$ref`, 204, false],
          ['POST', `/v1.0/groups/${CRM_USERS}/members/$ref`, 400, false],
          ['DELETE', `/v1.0/groups/${CRM_USERS}/members/${ISAIAH}/$ref`, 204, false],
          ['DELETE', `/v1.0/groups/${CRM_USERS}/members/${ISAIAH}/$ref`, 404, false],
        ],
      );
      assert.ok(writes.every((w) => !Number.isNaN(Date.parse(w.at))));
    });

    it("refuses to remove a group's last owner (400, Graph's text), and removes an owner when another remains", async () => {
      // Marketing Team's one owner is Megan (directory.sample.json).
      const refused = await call('DELETE', `/groups/${MARKETING_TEAM}/owners/${MEGAN}/$ref`);
      assert.equal(refused.status, 400);
      assert.deepEqual([errorOf(refused).code, errorOf(refused).message], [
        'Request_BadRequest',
        'The group must have at least one owner, hence this owner cannot be removed.',
      ]);
      assert.deepEqual(emulator.store.listReferences(MARKETING_TEAM, 'owners').map((o) => (o.kind === 'user' ? o.user.id : '')), [MEGAN]);
      assert.equal((await call('DELETE', `/groups/${MARKETING_TEAM}/owners/${PATTI}/$ref`)).status, 404, 'not an owner: 404 first');
      assert.equal((await call('POST', `/groups/${MARKETING_TEAM}/owners/$ref`, ref(PATTI))).status, 204);
      assert.equal((await call('DELETE', `/groups/${MARKETING_TEAM}/owners/${MEGAN}/$ref`)).status, 204);
      const last = await call('DELETE', `/groups/${MARKETING_TEAM}/owners/${PATTI}/$ref`);
      assert.equal(last.status, 400);
    });

    it('adds users as owners but not groups, and 404s unknown objects', async () => {
      assert.equal((await call('POST', `/groups/${MARKETING_TEAM}/owners/$ref`, ref(LEE))).status, 204);
      assert.equal((await call('POST', `/groups/${MARKETING_TEAM}/owners/$ref`, ref(SALES_TEAM))).status, 400);
      const unknownObject = await call('POST', `/groups/${MARKETING_TEAM}/members/$ref`, ref(MISSING));
      assert.equal(unknownObject.status, 404);
      const unknownGroup = await call('POST', `/groups/${MISSING}/members/$ref`, ref(LEE));
      assert.equal(unknownGroup.status, 404);
      assert.equal(errorOf(unknownGroup).code, 'Request_ResourceNotFound');
      const badId = await call('GET', '/groups/not-a-guid');
      assert.equal(badId.status, 400);
      assert.equal(errorOf(badId).message, "Invalid object identifier 'not-a-guid'.");
      const badBody = await call('POST', `/groups/${MARKETING_TEAM}/members/$ref`, { '@odata.id': 'nonsense' });
      assert.equal(badBody.status, 400);
    });
  });

  describe('app role assignments', () => {
    it('creates (201), refuses the duplicate, finds it from the user and deletes it', async () => {
      const created = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, {
        principalId: GRADY,
        resourceId: CRM_SP,
        appRoleId: CRM_EDITOR,
      });
      assert.equal(created.status, 201);
      const assignment = created.body as Record<string, string>;
      assert.match(assignment.id, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(assignment.principalId, GRADY);
      assert.equal(assignment.resourceId, CRM_SP);
      assert.equal(assignment.appRoleId, CRM_EDITOR);
      assert.equal(assignment.principalDisplayName, 'Grady Archie');
      assert.equal(assignment.resourceDisplayName, 'Contoso CRM');
      assert.ok(!Number.isNaN(Date.parse(assignment.createdDateTime)));

      const duplicate = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, {
        principalId: GRADY,
        resourceId: CRM_SP,
        appRoleId: CRM_EDITOR,
      });
      assert.equal(duplicate.status, 400);
      assert.equal(errorOf(duplicate).message, 'Permission being assigned already exists on the object');

      const found = await call('GET', `/users/${GRADY}/appRoleAssignments?$filter=resourceId eq ${CRM_SP}`);
      assert.deepEqual((found.body as { value: Array<{ id: string }> }).value.map((a) => a.id), [assignment.id]);
      const listed = await call('GET', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`);
      assert.ok((listed.body as { value: Array<{ id: string }> }).value.some((a) => a.id === assignment.id));

      assert.equal((await call('DELETE', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo/${assignment.id}`)).status, 204);
      assert.equal((await call('DELETE', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo/${assignment.id}`)).status, 404);
      const empty = await call('GET', `/users/${GRADY}/appRoleAssignments?$filter=resourceId eq ${CRM_SP}`);
      assert.deepEqual((empty.body as { value: unknown[] }).value, []);
    });

    it('refuses to filter appRoleAssignedTo on principalId or appRoleId (400), as Graph does', async () => {
      const byPrincipal = await call('GET', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo?$filter=principalId eq ${GRADY}`);
      assert.equal(byPrincipal.status, 400);
      assert.deepEqual([errorOf(byPrincipal).code, errorOf(byPrincipal).message], ['Request_BadRequest', 'Invalid filter clause principalId: System.Guid']);
      const quoted = await call('GET', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo?$filter=principalId eq '${GRADY}'`);
      assert.deepEqual([quoted.status, errorOf(quoted).code, errorOf(quoted).message], [400, 'BadRequest', 'Invalid filter clause']);
      const byRole = await call('GET', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo?$filter=appRoleId eq ${CRM_EDITOR}`);
      assert.deepEqual([byRole.status, errorOf(byRole).message], [400, 'Invalid filter clause appRoleId: System.Guid']);
      const other = await call('GET', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo?$filter=createdDateTime eq 2026-01-01`);
      assert.deepEqual([other.status, errorOf(other).code], [400, 'Request_UnsupportedQuery']);
    });

    it("lists a user's assignments with those of the groups they are a direct member of, filtered on resourceId, paged", async () => {
      const direct = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, { principalId: ISAIAH, resourceId: CRM_SP, appRoleId: CRM_READER });
      // Isaiah is a direct member of Sales Team (directory.sample.json), but not of CRM Approvers.
      const viaGroup = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, { principalId: SALES_TEAM, resourceId: CRM_SP, appRoleId: CRM_EDITOR });
      const notHis = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, { principalId: CRM_APPROVERS, resourceId: CRM_SP, appRoleId: CRM_EDITOR });
      assert.deepEqual([direct.status, viaGroup.status, notHis.status], [201, 201, 201]);
      const idOf = (answer: Answer) => (answer.body as { id: string }).id;

      const all = await call('GET', `/users/${ISAIAH}/appRoleAssignments`);
      const rows = (all.body as { value: Array<{ id: string; principalId: string; principalType: string }> }).value;
      assert.deepEqual(rows.map((a) => [a.id, a.principalId, a.principalType]).sort(), [
        [idOf(direct), ISAIAH, 'User'],
        [idOf(viaGroup), SALES_TEAM, 'Group'],
      ].sort());

      const first = await call('GET', `/users/${ISAIAH}/appRoleAssignments?$filter=${encodeURIComponent(`resourceId eq ${CRM_SP}`)}&$top=1`);
      const page1 = first.body as { value: Array<{ id: string }>; '@odata.nextLink'?: string };
      assert.equal(page1.value.length, 1);
      assert.ok(page1['@odata.nextLink']?.includes('$filter=resourceId%20eq%20'), page1['@odata.nextLink']);
      const page2 = (await (await fetch(page1['@odata.nextLink'] ?? '')).json()) as { value: Array<{ id: string }>; '@odata.nextLink'?: string };
      assert.deepEqual([...page1.value, ...page2.value].map((a) => a.id).sort(), [idOf(direct), idOf(viaGroup)].sort());
      assert.equal(page2['@odata.nextLink'], undefined);

      const elsewhere = await call('GET', `/users/${ISAIAH}/appRoleAssignments?$filter=resourceId eq ${MISSING}`);
      assert.deepEqual((elsewhere.body as { value: unknown[] }).value, []);
      const quoted = await call('GET', `/users/${ISAIAH}/appRoleAssignments?$filter=resourceId eq '${CRM_SP}'`);
      assert.deepEqual([quoted.status, errorOf(quoted).code], [400, 'BadRequest']);
      const byRole = await call('GET', `/users/${ISAIAH}/appRoleAssignments?$filter=appRoleId eq ${CRM_READER}`);
      assert.deepEqual([byRole.status, errorOf(byRole).code], [400, 'Request_BadRequest']);
      const unknownUser = await call('GET', `/users/${MISSING}/appRoleAssignments?$filter=resourceId eq ${CRM_SP}`);
      assert.deepEqual([unknownUser.status, errorOf(unknownUser).code], [404, 'Request_ResourceNotFound']);
    });

    it('refuses an unknown app role or service principal', async () => {
      const unknownRole = await call('POST', `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, {
        principalId: GRADY,
        resourceId: CRM_SP,
        appRoleId: MISSING,
      });
      assert.equal(unknownRole.status, 400);
      assert.match(errorOf(unknownRole).message, /Permission being assigned was not found on application/);
      const unknownSp = await call('POST', `/servicePrincipals/${MISSING}/appRoleAssignedTo`, {
        principalId: GRADY,
        resourceId: MISSING,
        appRoleId: CRM_READER,
      });
      assert.equal(unknownSp.status, 404);
      assert.equal(errorOf(unknownSp).code, 'Request_ResourceNotFound');
    });

    it('describes the service principal and its app roles', async () => {
      const sp = await call('GET', `/servicePrincipals/${CRM_SP}`);
      const body = sp.body as { displayName: string; appRoles: Array<{ id: string; value: string }> };
      assert.equal(body.displayName, 'Contoso CRM');
      assert.deepEqual(body.appRoles.map((r) => [r.id, r.value]), [
        [CRM_READER, 'CRM.Reader'],
        [CRM_EDITOR, 'CRM.Editor'],
      ]);
    });
  });

  describe('$batch', () => {
    it('answers each inner request independently and logs inner writes', async () => {
      const before = emulator.writes().length;
      const answer = await call('POST', '/$batch', {
        requests: [
          { id: '1', method: 'POST', url: `/groups/${SALES_TEAM}/members/$ref`, body: ref(ADELE), headers: { 'Content-Type': 'application/json' } },
          { id: '2', method: 'POST', url: `/groups/${SALES_TEAM}/members/$ref`, body: ref(ADELE), headers: { 'Content-Type': 'application/json' } },
          { id: '3', method: 'POST', url: `/groups/${MISSING}/members/$ref`, body: ref(ADELE) },
          { id: '4', method: 'GET', url: `users/${ADELE}?$select=department` },
          { id: '5', method: 'POST', url: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, body: { principalId: ADELE, resourceId: CRM_SP, appRoleId: CRM_READER } },
          { id: '6', method: 'GET', url: '/nowhere' },
          { id: '7', method: 'GET', url: `/users/${MISSING}`, dependsOn: ['3'] },
        ],
      });
      assert.equal(answer.status, 200);
      const responses = (answer.body as { responses: Array<{ id: string; status: number; body?: unknown }> }).responses;
      assert.deepEqual(responses.map((r) => [r.id, r.status]), [
        ['1', 204],
        ['2', 400],
        ['3', 404],
        ['4', 200],
        ['5', 201],
        ['6', 400],
        ['7', 424],
      ]);
      assert.match((responses[1].body as GraphErrorBody).error.message, /already exist for the following modified properties: 'members'/);
      assert.deepEqual(responses[3].body, { department: 'Sales' });
      assert.equal((responses[4].body as { appRoleId: string }).appRoleId, CRM_READER);

      const writes = emulator.writes().slice(before);
      assert.deepEqual(writes.map((w) => [w.path, w.status, w.viaBatch]), [
        [`/v1.0/groups/${SALES_TEAM}/members/$ref`, 204, true],
        [`/v1.0/groups/${SALES_TEAM}/members/$ref`, 400, true],
        [`/v1.0/groups/${MISSING}/members/$ref`, 404, true],
        [`/v1.0/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, 201, true],
      ]);
    });

    it('refuses more than 20 requests and carries inner 429s with Retry-After', async () => {
      const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: `/users/${ADELE}` }));
      const tooMany = await call('POST', '/$batch', { requests });
      assert.equal(tooMany.status, 400);
      assert.match(errorOf(tooMany).message, /exceeds the limit of 20/);

      emulator.failNext({ method: 'GET', path: `/users/${ADELE}`, status: 429, retryAfterInSeconds: 7 });
      const throttled = await call('POST', '/$batch', { requests: requests.slice(0, 2) });
      const responses = (throttled.body as { responses: Array<{ status: number; headers: Record<string, string> }> }).responses;
      assert.deepEqual(responses.map((r) => r.status), [429, 200]);
      assert.equal(responses[0].headers['Retry-After'], '7');
    });
  });

  describe('protocol', () => {
    it('answers unknown paths, methods and versions with a Graph-shaped 400', async () => {
      const path = await call('GET', '/widgets');
      assert.equal(path.status, 400);
      assert.deepEqual(
        { code: errorOf(path).code, message: errorOf(path).message },
        { code: 'BadRequest', message: "Resource not found for the segment 'widgets'." },
      );
      const method = await call('PATCH', `/users/${ADELE}`, { displayName: 'x' });
      assert.equal(method.status, 400);
      assert.equal(errorOf(method).code, 'Request_BadRequest');
      const version = await fetch(emulator.url.replace('/v1.0', '/beta/users'));
      assert.equal(version.status, 400);
      const badJson = await fetch(`${emulator.url}/users/${ADELE}/checkMemberGroups`, { method: 'POST', body: '{' });
      assert.equal(badJson.status, 400);
    });

    it('answers a planned fault with its status and Retry-After, then recovers', async () => {
      emulator.failNext({ path: `/users/${ADELE}`, status: 429, retryAfterInSeconds: 3 });
      const throttled = await call('GET', `/users/${ADELE}`);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '3');
      assert.equal(errorOf(throttled).code, 'TooManyRequests');
      assert.equal((await call('GET', `/users/${ADELE}`)).status, 200);
    });

    it('requires the bearer token when configured', async () => {
      const secured = await startGraphEmulator({ seed: { users: [{ id: ADELE, displayName: 'Adele' }] }, requireToken: 't0k3n' });
      try {
        const without = await fetch(`${secured.url}/users/${ADELE}`);
        assert.equal(without.status, 401);
        assert.equal(((await without.json()) as GraphErrorBody).error.code, 'InvalidAuthenticationToken');
        const wrong = await fetch(`${secured.url}/users/${ADELE}`, { headers: { Authorization: 'Bearer nope' } });
        assert.equal(wrong.status, 401);
        const right = await fetch(`${secured.url}/users/${ADELE}`, { headers: { Authorization: 'Bearer t0k3n' } });
        assert.equal(right.status, 200);
      } finally {
        await secured.close();
      }
    });
  });

  describe('fault switches and logs over HTTP (/_emulator)', () => {
    async function control(method: string, path: string, body?: unknown): Promise<Answer> {
      const res = await fetch(`${emulator.controlUrl}${path}`, {
        method,
        ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
    }

    afterEach(async () => {
      await control('DELETE', '/faults');
    });

    it('sets a fault switch that stays on until cleared, and lists it', async () => {
      const set = await control('POST', '/faults', { status: 503, path: `/users/${ADELE}`, method: 'get' });
      assert.equal(set.status, 200);
      assert.deepEqual(set.body, { status: 503, path: `/users/${ADELE}`, method: 'GET', times: null });
      for (let i = 0; i < 3; i++) {
        const answer = await call('GET', `/users/${ADELE}`);
        assert.equal(answer.status, 503);
        assert.equal(errorOf(answer).code, 'ServiceUnavailable');
      }
      // The path is matched as a part of the request path: the manager read fails too; other users do not.
      assert.equal((await call('GET', `/users/${ADELE}/manager`)).status, 503);
      assert.equal((await call('GET', `/users/${PATTI}`)).status, 200);
      assert.equal(((await control('GET', '/faults')).body as { value: unknown[] }).value.length, 1);

      assert.equal((await control('DELETE', '/faults')).status, 204);
      assert.equal((await call('GET', `/users/${ADELE}`)).status, 200);
      assert.deepEqual((await control('GET', '/faults')).body, { value: [] });
    });

    it('answers 429 with Retry-After, and 403/404 with Graph codes, for the given number of times', async () => {
      await control('POST', '/faults', { status: 429, retryAfterInSeconds: 4, path: '/users/', times: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await call('GET', `/users/${LEE}`)).status);
      assert.deepEqual(statuses, [429, 429, 200]);

      await control('POST', '/faults', { status: 403, path: `/groups/${CRM_USERS}/members/$ref`, method: 'POST', times: 1 });
      const forbidden = await call('POST', `/groups/${CRM_USERS}/members/$ref`, ref(GRADY));
      assert.equal(forbidden.status, 403);
      assert.deepEqual(errorOf(forbidden).code, 'Authorization_RequestDenied');
      await control('POST', '/faults', { status: 404, path: `/users/${LEE}`, times: 1 });
      assert.equal(errorOf(await call('GET', `/users/${LEE}`)).code, 'Request_ResourceNotFound');
      const throttled = await control('POST', '/faults', { status: 429, retryAfterInSeconds: 4, times: 1 });
      assert.equal(throttled.status, 200);
      assert.equal((await call('GET', `/users/${LEE}`)).headers.get('retry-after'), '4');
    });

    it('applies a fault at its rate, the same way for the same seed', async () => {
      async function pattern(): Promise<string> {
        await control('POST', '/faults', { status: 500, rate: 0.3, seed: 5, path: '/users/' });
        let out = '';
        for (let i = 0; i < 40; i++) out += (await call('GET', `/users/${ISAIAH}`)).status === 500 ? 'x' : '.';
        await control('DELETE', '/faults');
        return out;
      }
      const first = await pattern();
      const failures = [...first].filter((c) => c === 'x').length;
      assert.ok(failures >= 4 && failures <= 24, `${failures} of 40 failed: ${first}`);
      assert.equal(await pattern(), first);
    });

    it('delays answers (delayInMs alone) without failing them', async () => {
      await control('POST', '/faults', { delayInMs: 150, path: `/users/${MEGAN}`, times: 1 });
      const started = Date.now();
      const answer = await call('GET', `/users/${MEGAN}`);
      assert.equal(answer.status, 200);
      assert.ok(Date.now() - started >= 140);
      const quick = Date.now();
      await call('GET', `/users/${MEGAN}`);
      assert.ok(Date.now() - quick < 140);
    });

    it('reaches requests inside a $batch (inner 429 with its own Retry-After), or the batch itself', async () => {
      await control('POST', '/faults', { status: 429, retryAfterInSeconds: 2, path: `/users/${PATTI}`, times: 1 });
      const batch = await call('POST', '/$batch', {
        requests: [
          { id: '1', method: 'GET', url: `/users/${PATTI}` },
          { id: '2', method: 'GET', url: `/users/${ADELE}` },
        ],
      });
      assert.equal(batch.status, 200);
      const responses = (batch.body as { responses: Array<{ status: number; headers: Record<string, string> }> }).responses;
      assert.deepEqual(responses.map((r) => r.status), [429, 200]);
      assert.equal(responses[0].headers['Retry-After'], '2');

      await control('POST', '/faults', { status: 503, path: '/$batch', times: 1 });
      const whole = await call('POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: `/users/${PATTI}` }] });
      assert.equal(whole.status, 503);
    });

    it('refuses a malformed fault with a readable 400', async () => {
      const teapot = await control('POST', '/faults', { status: 418 });
      assert.equal(teapot.status, 400);
      assert.match(errorOf(teapot).message, /status must be one of 403, 404, 429, 500, 502, 503, 504/);
      assert.equal((await control('POST', '/faults', {})).status, 400);
      assert.equal((await control('POST', '/faults', { status: 429, rate: 2 })).status, 400);
      assert.equal((await control('POST', '/faults', { status: 429, colour: 'red' })).status, 400);
      assert.equal((await control('GET', '/nothing')).status, 404);
    });

    it('reports writes, round trips and group members', async () => {
      const writesBefore = ((await control('GET', '/writes')).body as { value: unknown[] }).value.length;
      const requestsBefore = ((await control('GET', '/requests')).body as { value: unknown[] }).value.length;
      await call('POST', `/groups/${CRM_APPROVERS}/members/$ref`, ref(GRADY));
      await call('POST', '/$batch', {
        requests: [
          { id: '1', method: 'POST', url: `/groups/${MARKETING_TEAM}/members/$ref`, body: ref(GRADY), headers: { 'Content-Type': 'application/json' } },
          { id: '2', method: 'DELETE', url: `/groups/${MARKETING_TEAM}/members/${MISSING}/$ref` },
        ],
      });
      const writes = ((await control('GET', '/writes')).body as { value: Array<Record<string, unknown>> }).value.slice(writesBefore);
      assert.deepEqual(
        writes.map((w) => [w.method, w.path, w.status, w.viaBatch, typeof w.at]),
        [
          ['POST', `/v1.0/groups/${CRM_APPROVERS}/members/$ref`, 204, false, 'string'],
          ['POST', `/v1.0/groups/${MARKETING_TEAM}/members/$ref`, 204, true, 'string'],
          ['DELETE', `/v1.0/groups/${MARKETING_TEAM}/members/${MISSING}/$ref`, 404, true, 'string'],
        ],
      );
      const requests = ((await control('GET', '/requests')).body as { value: Array<{ path: string }> }).value.slice(requestsBefore);
      assert.deepEqual(requests.map((r) => r.path), [`/v1.0/groups/${CRM_APPROVERS}/members/$ref`, '/v1.0/$batch']);
      const members = (await control('GET', `/state/groups/${MARKETING_TEAM}/members`)).body as { value: string[] };
      assert.ok(members.value.includes(GRADY));
      assert.equal((await control('GET', `/state/groups/${MISSING}/members`)).status, 404);
    });

    it('is driven the same way by GraphEmulatorControl from another process', async () => {
      const remote = GraphEmulatorControl.fromGraphBaseUrl(emulator.url);
      await remote.setFault({ status: 504, path: `/users/${ADELE}`, times: 1 });
      assert.equal((await call('GET', `/users/${ADELE}`)).status, 504);
      await remote.setFault({ status: 502, path: `/users/${ADELE}` });
      await remote.clearFaults();
      assert.equal((await call('GET', `/users/${ADELE}`)).status, 200);
      const before = (await remote.successfulWrites(`/groups/${SALES_TEAM}/members/$ref`)).length;
      await call('POST', `/groups/${SALES_TEAM}/members/$ref`, ref(LEE));
      await call('POST', `/groups/${SALES_TEAM}/members/$ref`, ref(LEE)); // a duplicate (400) is not a successful write
      assert.equal((await remote.successfulWrites(`/groups/${SALES_TEAM}/members/$ref`)).length, before + 1);
      assert.ok((await remote.groupMembers(SALES_TEAM)).includes(LEE));
      await assert.rejects(remote.setFault({ status: 429, rate: 5 }), (err: unknown) => err instanceof EmulatorControlError && err.status === 400);
    });
  });
});
