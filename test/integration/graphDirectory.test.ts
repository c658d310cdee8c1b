import { strict as assert } from 'node:assert';
import type { TokenCredential } from '@azure/identity';
import sinon from 'sinon';
import { GraphDirectory } from '../../src/graph/directory';
import { GraphCallError } from '../../src/graph/errors';
import { createGraphClient, GRAPH_DEFAULT_SCOPE, nextLinkPath, splitGraphBaseUrl } from '../../src/graph/graphClient';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { ADELE, DIEGO, PATTI, MEGAN, ISAIAH, GRADY, CRM_USERS, SALES_TEAM, CRM_APPROVERS, SALES_LEADS, MARKETING_TEAM, CRM_SP, MISSING, startDemoGraphEmulator } from '../support/demoTenant';

const fastRetry = { maxRetries: 2, delayInSeconds: 0 };

describe('GraphDirectory over the Graph emulator', () => {
  let emulator: GraphEmulator;
  let directory: GraphDirectory;
  const sandbox = sinon.createSandbox();

  before(async () => {
    // A page size of 1 makes every collection call follow @odata.nextLink.
    emulator = await startDemoGraphEmulator({ maxPageSize: 1 });
    directory = new GraphDirectory(createGraphClient({ baseUrl: emulator.url, retry: fastRetry }));
  });

  after(async () => {
    await emulator.close();
  });

  afterEach(() => {
    sandbox.restore();
    emulator.clearFaults();
  });

  it('reads a user with organization details', async () => {
    assert.deepEqual(await directory.getUser(ADELE), {
      id: ADELE,
      displayName: 'Adele Vance',
      mail: 'adele@contoso.example',
      department: 'Sales',
      jobTitle: 'Account Executive',
      companyName: 'Contoso',
      userType: 'Member',
      accountEnabled: true,
    });
  });

  it('reads a guest without department', async () => {
    assert.deepEqual(await directory.getUser(GRADY), {
      id: GRADY,
      displayName: 'Grady Archie',
      mail: 'grady@fabrikam.example',
      jobTitle: 'Consultant',
      companyName: 'Fabrikam',
      userType: 'Guest',
      accountEnabled: true,
    });
  });

  it('returns undefined for an unknown user', async () => {
    assert.equal(await directory.getUser(MISSING), undefined);
  });

  it('reads the manager, and undefined when there is none', async () => {
    const manager = await directory.getManager(ADELE);
    assert.equal(manager?.id, DIEGO);
    assert.equal(manager?.department, 'Sales');
    assert.equal(manager?.jobTitle, 'Sales Manager');
    assert.equal(await directory.getManager(PATTI), undefined);
    assert.equal(await directory.getManager(MISSING), undefined);
  });

  it('lists transitive member users through the nested group, following nextLink', async () => {
    assert.deepEqual((await directory.listTransitiveMemberUserIds(CRM_APPROVERS)).sort(), [DIEGO, MEGAN]);
    assert.deepEqual((await directory.listTransitiveMemberUserIds(SALES_TEAM)).sort(), [DIEGO, ISAIAH]);
  });

  it('rejects an unknown group with a named Graph error', async () => {
    await assert.rejects(directory.listTransitiveMemberUserIds(MISSING), (err: unknown) => {
      assert.ok(err instanceof GraphCallError);
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, 'Request_ResourceNotFound');
      assert.equal(err.transient, false);
      assert.match(err.message, /^Graph 404 Request_ResourceNotFound: Resource '9{8}-/);
      return true;
    });
  });

  it('checks transitive membership, keeping the caller\'s order', async () => {
    assert.deepEqual(await directory.checkMemberGroups(MEGAN, [MARKETING_TEAM, SALES_TEAM, CRM_APPROVERS, SALES_LEADS]), [
      MARKETING_TEAM,
      CRM_APPROVERS,
      SALES_LEADS,
    ]);
    assert.deepEqual(await directory.checkMemberGroups(ADELE, [CRM_APPROVERS]), []);
    assert.deepEqual(await directory.checkMemberGroups(ADELE, []), []);
  });

  it('splits more than 20 group ids into several checkMemberGroups calls', async () => {
    const filler = Array.from({ length: 24 }, (_, i) => `99999999-0000-4000-8000-${String(i).padStart(12, '0')}`);
    assert.deepEqual(await directory.checkMemberGroups(DIEGO, [...filler, SALES_TEAM, CRM_APPROVERS]), [SALES_TEAM, CRM_APPROVERS]);
  });

  it('reads a group\'s name, and undefined for an unknown group', async () => {
    assert.deepEqual(await directory.getGroup(CRM_USERS), { id: CRM_USERS, displayName: 'CRM Users' });
    assert.equal(await directory.getGroup(MISSING), undefined);
  });

  it('reads a service principal with its app roles, and undefined for an unknown one', async () => {
    assert.deepEqual(await directory.getServicePrincipal(CRM_SP), {
      id: CRM_SP,
      displayName: 'Contoso CRM',
      appRoles: [
        { id: '44444444-0000-4000-8000-000000000001', displayName: 'CRM Reader', value: 'CRM.Reader' },
        { id: '44444444-0000-4000-8000-000000000002', displayName: 'CRM Editor', value: 'CRM.Editor' },
      ],
    });
    assert.equal(await directory.getServicePrincipal(MISSING), undefined);
  });

  it('rejects a failed name lookup with a named Graph error (the namer turns it into a warning)', async () => {
    emulator.failNext({ path: `/groups/${CRM_USERS}`, status: 403, code: 'Authorization_RequestDenied' });
    await assert.rejects(directory.getGroup(CRM_USERS), (err: unknown) => err instanceof GraphCallError && err.statusCode === 403);
  });

  it('retries a throttled read after Retry-After', async () => {
    emulator.failNext({ path: `/users/${ADELE}`, status: 429, retryAfterInSeconds: 0 });
    assert.equal((await directory.getUser(ADELE))?.displayName, 'Adele Vance');
  });

  it('gives up after the configured retries with a transient error', async () => {
    emulator.failNext({ path: `/users/${ADELE}`, status: 503, retryAfterInSeconds: 0, times: 3 });
    await assert.rejects(directory.getUser(ADELE), (err: unknown) => {
      assert.ok(err instanceof GraphCallError);
      assert.equal(err.statusCode, 503);
      assert.equal(err.transient, true);
      return true;
    });
  });

  describe('bearer token', () => {
    let secured: GraphEmulator;

    before(async () => {
      secured = await startGraphEmulator({ seedFile: 'directory.sample.json', requireToken: 'token-1' });
    });

    after(async () => {
      await secured.close();
    });

    it('sends the credential\'s token for the Graph scope', async () => {
      const getToken = sandbox.stub().resolves({ token: 'token-1', expiresOnTimestamp: Date.now() + 3_600_000 });
      const credential: TokenCredential = { getToken };
      const client = createGraphClient({ baseUrl: secured.url, credential, retry: fastRetry });
      assert.equal((await new GraphDirectory(client).getUser(ADELE))?.displayName, 'Adele Vance');
      sinon.assert.calledWith(getToken, [GRAPH_DEFAULT_SCOPE]);
    });

    it('sends no token without a credential (Graph answers 401)', async () => {
      const client = createGraphClient({ baseUrl: secured.url, retry: fastRetry });
      await assert.rejects(new GraphDirectory(client).getUser(ADELE), (err: unknown) => {
        assert.ok(err instanceof GraphCallError);
        assert.equal(err.statusCode, 401);
        assert.equal(err.code, 'InvalidAuthenticationToken');
        return true;
      });
    });

    it('reports a credential failure as a clear transient error', async () => {
      const credential: TokenCredential = { getToken: sandbox.stub().rejects(new Error('network_error: offline')) };
      const client = createGraphClient({ baseUrl: secured.url, credential, retry: fastRetry });
      await assert.rejects(new GraphDirectory(client).getUser(ADELE), (err: unknown) => {
        assert.ok(err instanceof GraphCallError);
        assert.equal(err.statusCode, undefined);
        assert.equal(err.code, 'AuthenticationFailed');
        assert.equal(err.transient, true);
        assert.match(err.message, /could not get a token for https:\/\/graph\.microsoft\.com\/\.default .*network_error: offline/);
        return true;
      });
    });
  });

  describe('base URL handling', () => {
    it('splits the base URL into host root and version', () => {
      assert.deepEqual(splitGraphBaseUrl('https://graph.microsoft.com/v1.0'), { root: 'https://graph.microsoft.com/', version: 'v1.0' });
      assert.deepEqual(splitGraphBaseUrl('http://127.0.0.1:5050/v1.0/'), { root: 'http://127.0.0.1:5050/', version: 'v1.0' });
      assert.deepEqual(splitGraphBaseUrl('https://proxy.example/graph/beta'), { root: 'https://proxy.example/graph/', version: 'beta' });
      assert.throws(() => splitGraphBaseUrl('https://graph.microsoft.com'), /must end with the API version/);
      assert.throws(() => splitGraphBaseUrl('graph.microsoft.com/v1.0'), /is not a URL/);
    });

    it('turns a nextLink into a path for the client', () => {
      assert.equal(
        nextLinkPath('https://graph.microsoft.com/v1.0/groups/g/transitiveMembers?$select=id&$skiptoken=X%2BY'),
        '/groups/g/transitiveMembers?$select=id&$skiptoken=X%2BY',
      );
    });
  });
});
