import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GrantOutcome } from '../../src/app/ports';
import type { Resource } from '../../src/catalog/types';
import { createGraphClient } from '../../src/graph/graphClient';
import { GraphProvisioner } from '../../src/graph/provisioner';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';

const ADELE = '11111111-0000-4000-8000-000000000001';
const DIEGO = '11111111-0000-4000-8000-000000000002';
const PATTI = '11111111-0000-4000-8000-000000000003';
const LEE = '11111111-0000-4000-8000-000000000004';
const MEGAN = '11111111-0000-4000-8000-000000000005';
const ISAIAH = '11111111-0000-4000-8000-000000000006';
const GRADY = '11111111-0000-4000-8000-000000000007';
const CRM_USERS = '22222222-0000-4000-8000-000000000001';
const SALES_TEAM = '22222222-0000-4000-8000-000000000002';
const MARKETING_TEAM = '22222222-0000-4000-8000-000000000005';
const CRM_SP = '33333333-0000-4000-8000-000000000001';
const CRM_READER = '44444444-0000-4000-8000-000000000001';
const CRM_EDITOR = '44444444-0000-4000-8000-000000000002';
const MISSING = '99999999-0000-4000-8000-000000000099';

const member = (groupId: string): Resource => ({ type: 'group', groupId, role: 'member' });
const owner = (groupId: string): Resource => ({ type: 'group', groupId, role: 'owner' });
const appRole = (appRoleId: string, servicePrincipalId = CRM_SP): Resource => ({ type: 'appRole', servicePrincipalId, appRoleId });

function failure(outcome: GrantOutcome): { transient: boolean; error: string } {
  assert.equal(outcome.status, 'failed', `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as { transient: boolean; error: string };
}

describe('GraphProvisioner over the Graph emulator', () => {
  let emulator: GraphEmulator;
  let provisioner: GraphProvisioner;

  const writesTo = (path: string) => emulator.writes().filter((w) => w.path === `/v1.0${path}`);
  const membersOf = (groupId: string) => emulator.store.listReferences(groupId, 'members').map((o) => (o.kind === 'user' ? o.user.id : o.group.id));

  before(async () => {
    emulator = await startGraphEmulator({ seedFile: 'directory.sample.json', port: 0 });
    provisioner = new GraphProvisioner(createGraphClient({ baseUrl: emulator.url, retry: { maxRetries: 2, delayInSeconds: 0 } }));
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

  it('classifies a 403 as permanent, naming the Graph code', async () => {
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
      error: 'Graph 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.',
    });
    assert.ok(!membersOf(SALES_TEAM).includes(MEGAN));
  });

  it('retries a 429 after Retry-After and delivers', async () => {
    emulator.failNext({ path: `/groups/${SALES_TEAM}/members/$ref`, status: 429, retryAfterInSeconds: 0 });
    const [outcome] = await provisioner.grant(PATTI, [member(SALES_TEAM)]);
    assert.deepEqual(outcome, { status: 'delivered' });
    assert.deepEqual(writesTo(`/groups/${SALES_TEAM}/members/$ref`).slice(-2).map((w) => w.status), [429, 204]);
  });

  it('reports persistent throttling and 5xx as transient', async () => {
    emulator.failNext({ path: `/groups/${MARKETING_TEAM}/members/$ref`, status: 429, retryAfterInSeconds: 0, times: 3 });
    const [throttled] = await provisioner.grant(LEE, [member(MARKETING_TEAM)]);
    assert.equal(failure(throttled).transient, true);
    assert.match(failure(throttled).error, /^Graph 429 TooManyRequests: /);

    emulator.failNext({ path: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, status: 500, code: 'generalException', message: 'boom' });
    const [serverError] = await provisioner.grant(DIEGO, [appRole(CRM_READER)]);
    assert.deepEqual(serverError, { status: 'failed', transient: true, error: 'Graph 500 generalException: boom' });
  });

  it('reports a failed lookup after a duplicate app role as a failure, not a throw', async () => {
    await provisioner.grant(PATTI, [appRole(CRM_EDITOR)]);
    emulator.failNext({ method: 'GET', path: `/servicePrincipals/${CRM_SP}/appRoleAssignedTo`, status: 503, times: 3, retryAfterInSeconds: 0 });
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

    it('reports a timeout as transient', async () => {
      const client = createGraphClient({ baseUrl: silentUrl, requestTimeoutInMs: 150, retry: { maxRetries: 0 } });
      const [outcome] = await new GraphProvisioner(client).grant(ADELE, [member(CRM_USERS)]);
      assert.deepEqual(outcome, { status: 'failed', transient: true, error: 'Graph unreachable (Timeout): no answer within 150 ms' });
    });

    it('reports a refused connection as transient', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const client = createGraphClient({ baseUrl: `http://127.0.0.1:${port}/v1.0`, retry: { maxRetries: 0 } });
      const [outcome] = await new GraphProvisioner(client).grant(ADELE, [appRole(CRM_READER)]);
      assert.equal(failure(outcome).transient, true);
      assert.match(failure(outcome).error, /^Graph unreachable \(ConnectionError\): fetch failed \(ECONNREFUSED\)$/);
    });
  });
});
