import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GrantOutcome, RevokeOutcome } from '../../src/app/ports';
import type { Resource } from '../../src/catalog/types';
import { createGraphClient } from '../../src/graph/graphClient';
import { directoryObjectsUrl, GraphProvisioner, type GraphProvisionerOptions } from '../../src/graph/provisioner';
import type { RetryEnvironment } from '../../src/graph/retry';
import {
  GraphEmulatorControl,
  startGraphEmulator,
  type GraphEmulator,
  type GraphSeedInput,
  type RequestRecord,
} from '../../src/local/graphEmulator';
import { ADELE, DIEGO, PATTI, LEE, MEGAN, ISAIAH, GRADY, CRM_USERS, SALES_TEAM, CRM_APPROVERS, MARKETING_TEAM, CRM_SP, CRM_READER, CRM_EDITOR, MISSING, startDemoGraphEmulator } from '../support/demoTenant';

const member = (groupId: string): Resource => ({ type: 'group', groupId, role: 'member' });
const owner = (groupId: string): Resource => ({ type: 'group', groupId, role: 'owner' });
const appRole = (appRoleId: string, servicePrincipalId = CRM_SP): Resource => ({ type: 'appRole', servicePrincipalId, appRoleId });

/** Retries in milliseconds, so the tests stay fast. */
type Tuning = Omit<GraphProvisionerOptions, 'graphBaseUrl'>;

const FAST: Tuning = { retry: { maxAttempts: 4, budgetInMs: 5_000, baseDelayInMs: 1, maxDelayInMs: 4 } };

function failure(outcome: GrantOutcome | RevokeOutcome): { transient: boolean; error: string } {
  assert.equal(outcome.status, 'failed', `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as { transient: boolean; error: string };
}

describe('GraphProvisioner over the Graph emulator', () => {
  let emulator: GraphEmulator;
  let provisioner: GraphProvisioner;

  const writesTo = (path: string) => emulator.writes().filter((w) => w.path === `/v1.0${path}`);
  const membersOf = (groupId: string) => emulator.store.listReferences(groupId, 'members').map((o) => (o.kind === 'user' ? o.user.id : o.group.id));

  before(async () => {
    emulator = await startDemoGraphEmulator();
    provisioner = new GraphProvisioner(createGraphClient({ baseUrl: emulator.url }), { graphBaseUrl: emulator.url, ...FAST });
  });

  after(async () => {
    await emulator.close();
  });

  afterEach(() => emulator.clearFaults());

  it('adds a group member: delivered, written once', async () => {
    const outcomes = await provisioner.grant(ADELE, [member(CRM_USERS)]);
    assert.deepEqual(outcomes, [{ status: 'delivered' }]);
    assert.deepEqual(membersOf(CRM_USERS), [ADELE]);
    assert.deepEqual(writesTo(`/groups/${CRM_USERS}/members/$ref`).map((w) => [w.method, w.status]), [['POST', 204]]);
  });

  it('counts the duplicate answer as delivered', async () => {
    const outcomes = await provisioner.grant(DIEGO, [member(SALES_TEAM)]);
    assert.deepEqual(outcomes, [{ status: 'delivered' }]);
    assert.deepEqual(writesTo(`/groups/${SALES_TEAM}/members/$ref`).map((w) => w.status), [400]);
    assert.deepEqual(membersOf(SALES_TEAM), [DIEGO, ISAIAH]);
  });

  it('adds a group owner', async () => {
    assert.deepEqual(await provisioner.grant(PATTI, [owner(MARKETING_TEAM)]), [{ status: 'delivered' }]);
    const owners = emulator.store.listReferences(MARKETING_TEAM, 'owners').map((o) => (o.kind === 'user' ? o.user.id : ''));
    assert.ok(owners.includes(PATTI));
    assert.equal(writesTo(`/groups/${MARKETING_TEAM}/owners/$ref`).length, 1);
  });

  it('assigns an app role and returns the assignment id', async () => {
    const [outcome] = await provisioner.grant(MEGAN, [appRole(CRM_READER)]);
    assert.equal(outcome.status, 'delivered');
    const stored = emulator.store.listAssignments(CRM_SP, MEGAN);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].appRoleId, CRM_READER);
    assert.deepEqual(outcome, { status: 'delivered', assignmentId: stored[0].id });
  });

  it('finds the existing assignment after a duplicate answer', async () => {
    const [first] = await provisioner.grant(LEE, [appRole(CRM_EDITOR)]);
    const [second] = await provisioner.grant(LEE, [appRole(CRM_EDITOR)]);
    assert.equal(first.status, 'delivered');
    assert.ok(first.assignmentId);
    assert.deepEqual(second, first);
    assert.equal(emulator.store.listAssignments(CRM_SP, LEE).length, 1);
  });

  it('tells apart two roles of the same user when finding the duplicate', async () => {
    const [reader, editor] = await provisioner.grant(ISAIAH, [appRole(CRM_READER), appRole(CRM_EDITOR)]);
    const [editorAgain] = await provisioner.grant(ISAIAH, [appRole(CRM_EDITOR)]);
    assert.ok(reader.status === 'delivered' && editor.status === 'delivered');
    assert.ok(reader.assignmentId && editor.assignmentId);
    assert.notEqual(reader.assignmentId, editor.assignmentId);
    assert.deepEqual(editorAgain, editor);
  });

  it('fails an unknown group, permanently, with a readable error', async () => {
    const [outcome] = await provisioner.grant(ADELE, [member(MISSING)]);
    const { transient, error } = failure(outcome);
    assert.equal(transient, false);
    assert.equal(
      error,
      `Graph 404 Request_ResourceNotFound: Resource '${MISSING}' does not exist or one of its queried reference-property objects are not present.`,
    );
  });

  it('fails an unknown service principal or app role, permanently', async () => {
    const [unknownSp, unknownRole] = await provisioner.grant(ADELE, [appRole(CRM_READER, MISSING), appRole(MISSING)]);
    assert.equal(failure(unknownSp).transient, false);
    assert.match(failure(unknownSp).error, /^Graph 404 Request_ResourceNotFound: /);
    assert.equal(failure(unknownRole).transient, false);
    assert.match(failure(unknownRole).error, /^Graph 400 Request_BadRequest: Permission being assigned was not found/);
  });

  it('returns one outcome per resource, in order, without throwing', async () => {
    const outcomes = await provisioner.grant(GRADY, [
      member(MISSING),
      member(MARKETING_TEAM),
      appRole(CRM_READER),
      owner(MISSING),
      member(CRM_USERS),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['failed', 'delivered', 'delivered', 'failed', 'delivered'],
    );
    assert.ok(membersOf(MARKETING_TEAM).includes(GRADY));
    assert.ok(membersOf(CRM_USERS).includes(GRADY));
    assert.deepEqual(await provisioner.grant(GRADY, []), []);
  });

  it('classifies a 403 as permanent, naming the Graph code and the application permission the write needs', async () => {
    emulator.failNext({
      path: `/groups/${SALES_TEAM}/members/$ref`,
      status: 403,
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    const [outcome] = await provisioner.grant(MEGAN, [member(SALES_TEAM)]);
    assert.deepEqual(outcome, {
      status: 'failed',
      transient: false,
      error:
        "Graph 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. — the bot's identity lacks the Microsoft Graph application permission GroupMember.ReadWrite.All",
    });
    assert.ok(!membersOf(SALES_TEAM).includes(MEGAN));
  });

  it('names the permission of each kind of write in a 403: members, owners, app roles, grant and revoke', async () => {
    const denied = { status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };
    emulator.failNext({ ...denied, path: `/groups/${CRM_APPROVERS}/members/$ref` });
    emulator.failNext({ ...denied, path: `/groups/${CRM_APPROVERS}/owners/$ref` });
    emulator.failNext({ ...denied, path: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo` });
    emulator.failNext({ ...denied, method: 'DELETE', path: `/groups/${SALES_TEAM}/members/${ISAIAH}/$ref` });
    emulator.failNext({ ...denied, method: 'DELETE', path: `/groups/${SALES_TEAM}/owners/${DIEGO}/$ref` });
    emulator.failNext({ ...denied, method: 'DELETE', path: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo/some-id` });
    const granted = await provisioner.grant(GRADY, [member(CRM_APPROVERS), owner(CRM_APPROVERS), appRole(CRM_READER)]);
    const revoked = [
      ...(await provisioner.revoke(ISAIAH, [{ resource: member(SALES_TEAM) }])),
      ...(await provisioner.revoke(DIEGO, [{ resource: owner(SALES_TEAM) }])),
      ...(await provisioner.revoke(GRADY, [{ resource: appRole(CRM_READER), assignmentId: 'some-id' }])),
    ];
    const permissionOf = (o: GrantOutcome | RevokeOutcome) => /application permission (\S+)$/.exec(failure(o).error)?.[1];
    assert.deepEqual(granted.map(permissionOf), ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All']);
    assert.deepEqual(revoked.map(permissionOf), ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All']);
    assert.ok([...granted, ...revoked].every((o) => failure(o).transient === false));
  });

  it('retries a 429 after Retry-After and delivers', async () => {
    emulator.failNext({ path: `/groups/${SALES_TEAM}/members/$ref`, status: 429, retryAfterInSeconds: 0 });
    const [outcome] = await provisioner.grant(PATTI, [member(SALES_TEAM)]);
    assert.deepEqual(outcome, { status: 'delivered' });
    assert.deepEqual(writesTo(`/groups/${SALES_TEAM}/members/$ref`).slice(-2).map((w) => w.status), [429, 204]);
  });

  it('reports persistent throttling and 5xx as transient', async () => {
    emulator.failNext({ path: `/groups/${MARKETING_TEAM}/members/$ref`, status: 429, retryAfterInSeconds: 0, times: 4 });
    const [throttled] = await provisioner.grant(LEE, [member(MARKETING_TEAM)]);
    assert.equal(failure(throttled).transient, true);
    assert.match(failure(throttled).error, /^Graph 429 TooManyRequests: /);

    emulator.failNext({ path: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, status: 500, code: 'generalException', message: 'boom', times: 4 });
    const [serverError] = await provisioner.grant(DIEGO, [appRole(CRM_READER)]);
    assert.deepEqual(serverError, { status: 'failed', transient: true, error: 'Graph 500 generalException: boom' });
  });

  it('reports a failed lookup after a duplicate app role as a failure, not a throw', async () => {
    await provisioner.grant(PATTI, [appRole(CRM_EDITOR)]);
    emulator.failNext({ method: 'GET', path: `/users/${PATTI}/appRoleAssignments`, status: 503, times: 4, retryAfterInSeconds: 0 });
    const [outcome] = await provisioner.grant(PATTI, [appRole(CRM_EDITOR)]);
    assert.equal(failure(outcome).transient, true);
    assert.match(failure(outcome).error, /^Graph 503 ServiceUnavailable/);
  });

  describe('without an answer', () => {
    let silent: Server;
    let silentUrl: string;

    before(async () => {
      // Accepts connections and never answers.
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1.0`;
    });

    after(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('retries timeouts within the budget, then reports them as transient', async () => {
      const client = createGraphClient({ baseUrl: silentUrl, requestTimeoutInMs: 100 });
      const options: GraphProvisionerOptions = { graphBaseUrl: silentUrl, retry: { maxAttempts: 10, budgetInMs: 250, baseDelayInMs: 1, maxDelayInMs: 2 } };
      const started = Date.now();
      const [outcome] = await new GraphProvisioner(client, options).grant(ADELE, [member(CRM_USERS)]);
      const elapsed = Date.now() - started;
      assert.deepEqual(outcome, { status: 'failed', transient: true, error: 'Graph unreachable (Timeout): no answer within 100 ms' });
      // 3 attempts of 100 ms fit the 250 ms budget's retries; no more.
      assert.ok(elapsed >= 250 && elapsed < 600, `took ${elapsed} ms`);
    });

    it('reports a refused connection as transient', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const baseUrl = `http://127.0.0.1:${port}/v1.0`;
      const [outcome] = await new GraphProvisioner(createGraphClient({ baseUrl }), { graphBaseUrl: baseUrl, ...FAST }).grant(ADELE, [appRole(CRM_READER)]);
      assert.equal(failure(outcome).transient, true);
      assert.match(failure(outcome).error, /^Graph unreachable \(ConnectionError\): fetch failed \(ECONNREFUSED\)$/);
    });
  });
});

// A tenant wide enough for several batches: 60 groups, a service principal with two roles.
const wideId = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USERS = Array.from({ length: 12 }, (_, i) => wideId('aaaaaaaa', i + 1));
const GROUPS = Array.from({ length: 60 }, (_, i) => wideId('bbbbbbbb', i + 1));
const APP = wideId('cccccccc', 1);
const ROLE_A = wideId('dddddddd', 1);
const ROLE_B = wideId('dddddddd', 2);
const WIDE_SEED: GraphSeedInput = {
  users: USERS.map((id, i) => ({ id, displayName: `User ${i + 1}` })),
  groups: GROUPS.map((id, i) => ({ id, displayName: `Group ${i + 1}` })),
  servicePrincipals: [
    {
      id: APP,
      appId: wideId('eeeeeeee', 1),
      displayName: 'Wide app',
      appRoles: [
        { id: ROLE_A, value: 'A', displayName: 'Role A' },
        { id: ROLE_B, value: 'B', displayName: 'Role B' },
      ],
    },
  ],
};

/** Sleeps nothing and records what it was asked to wait. */
function recordingEnvironment(): RetryEnvironment & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => Date.now(), random: () => 0.5, sleep: async (ms) => void slept.push(ms) };
}

describe('GraphProvisioner batching, retries and revoke (emulator driven over HTTP)', () => {
  let emulator: GraphEmulator;
  let control: GraphEmulatorControl;
  let provisioner: GraphProvisioner;

  const provisionerWith = (options: Tuning) => new GraphProvisioner(createGraphClient({ baseUrl: emulator.url }), { graphBaseUrl: emulator.url, ...options });
  const groups = (from: number, count: number) => GROUPS.slice(from, from + count).map(member);

  /** Runs `work` and returns its result with the HTTP requests the emulator received meanwhile. */
  async function counting<T>(work: () => Promise<T>): Promise<{ result: T; requests: RequestRecord[] }> {
    const before = (await control.requests()).length;
    const result = await work();
    const requests = (await control.requests()).slice(before).filter((r) => !r.path.startsWith('/_emulator'));
    return { result, requests };
  }

  async function writesTo(path: string): Promise<number[]> {
    return (await control.writes()).filter((w) => w.path === `/v1.0${path}`).map((w) => w.status);
  }

  before(async () => {
    emulator = await startGraphEmulator({ seed: WIDE_SEED });
    control = GraphEmulatorControl.fromGraphBaseUrl(emulator.url);
    provisioner = provisionerWith(FAST);
  });

  after(async () => {
    await emulator.close();
  });

  afterEach(async () => {
    await control.clearFaults();
  });

  describe('grant', () => {
    for (const [n, user] of [
      [1, USERS[0]],
      [5, USERS[1]],
      [20, USERS[2]],
      [45, USERS[3]],
    ] as const) {
      it(`delivers ${n} resource(s) in ${Math.ceil(n / 20)} $batch round trip(s)`, async () => {
        const { result, requests } = await counting(() => provisioner.grant(user, groups(0, n)));
        assert.equal(result.length, n);
        assert.ok(result.every((o) => o.status === 'delivered'));
        assert.deepEqual(
          requests.map((r) => `${r.method} ${r.path}`),
          Array.from({ length: Math.ceil(n / 20) }, () => 'POST /v1.0/$batch'),
        );
        for (const groupId of GROUPS.slice(0, n)) assert.ok((await control.groupMembers(groupId)).includes(user));
      });
    }

    it('retries an inner 429 after exactly its Retry-After and delivers it', async () => {
      const env = recordingEnvironment();
      await control.setFault({ status: 429, retryAfterInSeconds: 2, method: 'POST', path: `/groups/${GROUPS[2]}/members`, times: 1 });
      const { result, requests } = await counting(() => provisionerWith({ ...FAST, environment: env }).grant(USERS[4], groups(0, 5)));
      assert.deepEqual(result, Array.from({ length: 5 }, () => ({ status: 'delivered' })));
      assert.deepEqual(env.slept, [2000]);
      // The retry carries only the throttled request.
      assert.equal(requests.length, 2);
      assert.deepEqual((await writesTo(`/groups/${GROUPS[2]}/members/$ref`)).slice(-2), [429, 204]);
    });

    it('delivers all of 45 resources under 20 % seeded transient faults (429 and 503), each written once', async () => {
      // Seeded, so the same requests fail on every run. (At 20 %, 4 attempts leave a resource transient with
      // probability 0.2^4: about one call of 45 resources in 14 ends with one left for the domain's own retry.)
      await control.setFault({ status: 429, retryAfterInSeconds: 0, rate: 0.1, seed: 2, path: '/groups/' });
      await control.setFault({ status: 503, rate: 0.12, seed: 3, path: '/groups/' });
      const user = USERS[5];
      const writesBefore = (await control.writes()).length;
      const started = Date.now();
      const { result, requests } = await counting(() => provisioner.grant(user, groups(10, 45)));
      assert.ok(Date.now() - started < 5_000);
      assert.deepEqual(
        result.map((o) => (o.status === 'failed' ? o.error : o.status)),
        Array.from({ length: 45 }, () => 'delivered'),
      );
      assert.ok(requests.length > 3, 'faults made some retries');
      const writes = (await control.writes()).slice(writesBefore);
      const faulted = writes.filter((w) => w.status === 429 || w.status === 503);
      assert.ok(faulted.length >= 5, `expected faults, saw ${faulted.length}`);
      for (const groupId of GROUPS.slice(10, 55)) {
        const ok = writes.filter((w) => w.path === `/v1.0/groups/${groupId}/members/$ref` && w.status === 204);
        assert.equal(ok.length, 1, `${groupId} written ${ok.length} times`);
        assert.ok((await control.groupMembers(groupId)).includes(user));
      }
    });

    it('fails a permanent 403 at once with a readable error and delivers the rest', async () => {
      await control.setFault({ status: 403, path: `/groups/${GROUPS[7]}/` });
      const { result, requests } = await counting(() => provisioner.grant(USERS[6], groups(5, 5)));
      assert.deepEqual(result, [
        { status: 'delivered' },
        { status: 'delivered' },
        {
          status: 'failed',
          transient: false,
          error:
            "Graph 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. — the bot's identity lacks the Microsoft Graph application permission GroupMember.ReadWrite.All",
        },
        { status: 'delivered' },
        { status: 'delivered' },
      ]);
      assert.equal(requests.length, 1);
      assert.deepEqual((await control.groupMembers(GROUPS[7])).includes(USERS[6]), false);
    });

    it('counts duplicates as delivered and finds the app-role assignment ids again (lookups batched)', async () => {
      const user = USERS[7];
      const resources = [member(GROUPS[0]), appRole(ROLE_A, APP), appRole(ROLE_B, APP)];
      const first = await provisioner.grant(user, resources);
      const { result: second, requests } = await counting(() => provisioner.grant(user, resources));
      assert.equal(first[1].status === 'delivered' && first[2].status === 'delivered', true);
      assert.deepEqual(second, first);
      assert.notEqual(
        first[1].status === 'delivered' ? first[1].assignmentId : 1,
        first[2].status === 'delivered' ? first[2].assignmentId : 2,
      );
      // One batch of writes (three duplicates), one batch of the two lookups.
      assert.equal(requests.length, 2);
      assert.equal(emulator.store.listAssignments(APP, user).length, 2);
    });

    it('retries a whole failed $batch and delivers', async () => {
      await control.setFault({ status: 503, path: '/$batch', times: 1 });
      const { result, requests } = await counting(() => provisioner.grant(USERS[8], groups(0, 3)));
      assert.ok(result.every((o) => o.status === 'delivered'));
      assert.deepEqual(requests.map((r) => r.status), [503, 200]);
    });

    it('gives up after the attempt limit and leaves the resource to a later retry (transient)', async () => {
      await control.setFault({ status: 502, path: `/groups/${GROUPS[1]}/` });
      const { result, requests } = await counting(() => provisioner.grant(USERS[9], groups(0, 3)));
      assert.deepEqual(result[1], { status: 'failed', transient: true, error: 'Graph 502 BadGateway: The gateway received an invalid response.' });
      assert.equal(result[0].status, 'delivered');
      assert.equal(requests.length, 4);
    });

    it('does not wait for a Retry-After the budget cannot afford', async () => {
      const env = recordingEnvironment();
      await control.setFault({ status: 429, retryAfterInSeconds: 60, path: `/groups/${GROUPS[0]}/` });
      const result = await provisionerWith({ ...FAST, environment: env }).grant(USERS[10], groups(0, 2));
      assert.equal(failure(result[0]).transient, true);
      assert.match(failure(result[0]).error, /^Graph 429 TooManyRequests/);
      assert.deepEqual(result[1], { status: 'delivered' });
      assert.deepEqual(env.slept, []);
    });

    it('waits with exponential backoff and jitter when no Retry-After is given', async () => {
      const slept: number[] = [];
      let draw = 0;
      const env: RetryEnvironment = { now: () => 0, random: () => [0, 1, 0.5][draw++ % 3], sleep: async (ms) => void slept.push(ms) };
      await control.setFault({ status: 503, path: `/groups/${GROUPS[3]}/`, times: 3 });
      const options = { retry: { maxAttempts: 4, budgetInMs: 10_000, baseDelayInMs: 100, maxDelayInMs: 1_000 }, environment: env };
      const [outcome] = await provisionerWith(options).grant(USERS[11], [member(GROUPS[3])]);
      assert.deepEqual(outcome, { status: 'delivered' });
      // Ceilings 100, 200, 400 ms; half fixed, half random (draws 0, 1, 0.5).
      assert.deepEqual(slept, [50, 200, 300]);
    });
  });

  describe('revoke', () => {
    const user = USERS[0];

    it('removes group memberships and ownerships, in batches', async () => {
      // Another owner first: Graph never removes a group's last owner.
      await provisioner.grant(USERS[11], [owner(GROUPS[59])]);
      await provisioner.grant(user, [owner(GROUPS[59])]);
      const deliveries = [...GROUPS.slice(0, 45).map((g) => ({ resource: member(g) })), { resource: owner(GROUPS[59]) }];
      const { result, requests } = await counting(() => provisioner.revoke(user, deliveries));
      assert.deepEqual(result, deliveries.map(() => ({ status: 'removed' })));
      assert.equal(requests.length, 3);
      assert.ok(!(await control.groupMembers(GROUPS[0])).includes(user));
      assert.ok(!emulator.store.listReferences(GROUPS[59], 'owners').some((o) => o.kind === 'user' && o.user.id === user));
      assert.deepEqual(await writesTo(`/groups/${GROUPS[0]}/members/${user}/$ref`), [204]);
    });

    it('counts a membership already gone (404) as removed', async () => {
      const [outcome] = await provisioner.revoke(user, [{ resource: member(GROUPS[50]) }]);
      assert.deepEqual(outcome, { status: 'removed' });
      assert.deepEqual(await writesTo(`/groups/${GROUPS[50]}/members/${user}/$ref`), [404]);
    });

    it('removes an app-role assignment by its id, and again (404) as removed', async () => {
      const [granted] = await provisioner.grant(user, [appRole(ROLE_A, APP)]);
      assert.ok(granted.status === 'delivered' && granted.assignmentId);
      const delivery = { resource: appRole(ROLE_A, APP), assignmentId: granted.assignmentId };
      assert.deepEqual(await provisioner.revoke(user, [delivery]), [{ status: 'removed' }]);
      assert.equal(emulator.store.listAssignments(APP, user).length, 0);
      assert.deepEqual(await provisioner.revoke(user, [delivery]), [{ status: 'removed' }]);
      assert.deepEqual(await writesTo(`/servicePrincipals/${APP}/appRoleAssignedTo/${granted.assignmentId}`), [204, 404]);
    });

    it('finds an assignment without a kept id and removes it; none found counts as removed', async () => {
      await provisioner.grant(user, [appRole(ROLE_A, APP), appRole(ROLE_B, APP)]);
      const { result, requests } = await counting(() => provisioner.revoke(user, [{ resource: appRole(ROLE_B, APP) }]));
      assert.deepEqual(result, [{ status: 'removed' }]);
      assert.equal(requests.length, 2);
      assert.deepEqual(
        emulator.store.listAssignments(APP, user).map((a) => a.appRoleId),
        [ROLE_A],
      );
      const { result: again, requests: lookupOnly } = await counting(() => provisioner.revoke(user, [{ resource: appRole(ROLE_B, APP) }]));
      assert.deepEqual(again, [{ status: 'removed' }]);
      assert.equal(lookupOnly.length, 1);
    });

    it('retries transient failures and fails permanent ones with the Graph error', async () => {
      await provisioner.grant(user, groups(0, 2));
      await control.setFault({ status: 503, method: 'DELETE', path: `/groups/${GROUPS[0]}/`, times: 2 });
      await control.setFault({ status: 403, method: 'DELETE', path: `/groups/${GROUPS[1]}/` });
      const [retried, forbidden] = await provisioner.revoke(user, [{ resource: member(GROUPS[0]) }, { resource: member(GROUPS[1]) }]);
      assert.deepEqual(retried, { status: 'removed' });
      assert.deepEqual(forbidden, {
        status: 'failed',
        transient: false,
        error:
          "Graph 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. — the bot's identity lacks the Microsoft Graph application permission GroupMember.ReadWrite.All",
      });
      assert.ok((await control.groupMembers(GROUPS[1])).includes(user));
    });

    it('without a kept id removes only the user\'s own assignment, never one of a group they are in', async () => {
      const person = USERS[3];
      // Graph lists a user's assignments together with those of the groups they are a direct member of.
      emulator.store.addReference(GROUPS[57], 'members', person);
      const groupAssignment = emulator.store.assign(APP, { principalId: GROUPS[57], resourceId: APP, appRoleId: ROLE_A }, new Date());
      await provisioner.grant(person, [appRole(ROLE_A, APP)]);
      assert.deepEqual(await provisioner.revoke(person, [{ resource: appRole(ROLE_A, APP) }]), [{ status: 'removed' }]);
      assert.deepEqual(emulator.store.listAssignments(APP, person), []);
      // Nothing of the person's own is left; the group's assignment is not theirs to remove.
      assert.deepEqual(await provisioner.revoke(person, [{ resource: appRole(ROLE_A, APP) }]), [{ status: 'removed' }]);
      assert.deepEqual(emulator.store.listAssignments(APP, GROUPS[57]).map((a) => a.id), [groupAssignment.id]);
    });

    it('counts an app role of a deleted user (404 for the user) as removed', async () => {
      const deleted = wideId('aaaaaaaa', 99);
      const { result, requests } = await counting(() => provisioner.revoke(deleted, [{ resource: appRole(ROLE_A, APP) }]));
      assert.deepEqual(result, [{ status: 'removed' }]);
      assert.equal(requests.length, 1);
    });

    it("refuses a group's last owner at once: a permanent failure that says so, removed once another owner is added", async () => {
      const lone = GROUPS[56];
      await provisioner.grant(USERS[4], [owner(lone)]);
      const [refused] = await provisioner.revoke(USERS[4], [{ resource: owner(lone) }]);
      assert.deepEqual(refused, {
        status: 'failed',
        transient: false,
        refusal: 'lastOwner',
        error:
          `Graph refuses to remove the last owner of group ${lone}: add another owner to the group, then the daily retry removes ${USERS[4]} ` +
          '(Graph 400 Request_BadRequest: The group must have at least one owner, hence this owner cannot be removed.)',
      });
      assert.deepEqual(await writesTo(`/groups/${lone}/owners/${USERS[4]}/$ref`), [400], 'asked once, never retried');
      await provisioner.grant(USERS[5], [owner(lone)]);
      assert.deepEqual(await provisioner.revoke(USERS[4], [{ resource: owner(lone) }]), [{ status: 'removed' }]);
    });
  });

  describe('an app role already assigned (written before a crash)', () => {
    it('is found again from the user (resourceId filter), skipping a group\'s assignment: delivered, its id kept', async () => {
      const person = USERS[2];
      emulator.store.addReference(GROUPS[58], 'members', person);
      emulator.store.assign(APP, { principalId: GROUPS[58], resourceId: APP, appRoleId: ROLE_B }, new Date());
      const [written] = await provisioner.grant(person, [appRole(ROLE_B, APP)]);
      assert.ok(written.status === 'delivered' && written.assignmentId);
      const { result, requests } = await counting(() => provisioner.grant(person, [appRole(ROLE_B, APP)]));
      assert.deepEqual(result, [written]);
      // The refused write, then the lookup.
      assert.equal(requests.length, 2);
      assert.deepEqual(emulator.store.listAssignments(APP, person).map((a) => a.id), [written.assignmentId]);
    });

    it('pages through the user\'s assignments to find it', async () => {
      const person = USERS[1];
      const paged = await startGraphEmulator({ seed: WIDE_SEED, maxPageSize: 1 });
      try {
        const client = createGraphClient({ baseUrl: paged.url });
        const tuned = new GraphProvisioner(client, { graphBaseUrl: paged.url, ...FAST });
        paged.store.addReference(GROUPS[0], 'members', person);
        paged.store.assign(APP, { principalId: GROUPS[0], resourceId: APP, appRoleId: ROLE_A }, new Date());
        const [first] = await tuned.grant(person, [appRole(ROLE_A, APP)]);
        const [again] = await tuned.grant(person, [appRole(ROLE_A, APP)]);
        assert.ok(first.status === 'delivered' && first.assignmentId);
        assert.deepEqual(again, first);
      } finally {
        await paged.close();
      }
    });
  });
});

describe('GraphProvisioner in another cloud', () => {
  it('builds the @odata.id of a new member or owner from the configured Graph base URL, not the public cloud', async () => {
    const bodies: unknown[] = [];
    // Answers every inner request of a $batch with 204 and keeps the bodies.
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const batch = JSON.parse(text) as { requests: Array<{ id: string; body?: unknown }> };
        bodies.push(...batch.requests.map((r) => r.body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ responses: batch.requests.map((r) => ({ id: r.id, status: 204 })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gov/v1.0`;
      const provisioner = new GraphProvisioner(createGraphClient({ baseUrl }), { graphBaseUrl: baseUrl, ...FAST });
      assert.deepEqual(await provisioner.grant(ADELE, [member(CRM_USERS), owner(SALES_TEAM)]), [{ status: 'delivered' }, { status: 'delivered' }]);
      const expected = { '@odata.id': `${baseUrl}/directoryObjects/${ADELE}` };
      assert.deepEqual(bodies, [expected, expected]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(directoryObjectsUrl('https://graph.microsoft.us/v1.0'), 'https://graph.microsoft.us/v1.0/directoryObjects/');
    assert.equal(directoryObjectsUrl('https://microsoftgraph.chinacloudapi.cn/v1.0/'), 'https://microsoftgraph.chinacloudapi.cn/v1.0/directoryObjects/');
  });
});
