/**
 * /api/messages with BOT_ID set, through the real Bot Framework SDK, against OpenID metadata served by this test
 * over HTTP with its own signing key (so a token can really be valid): a valid token runs the turn, a forged or
 * missing one is 401, a channel other than Teams is 403 (after authentication), and when the metadata cannot be
 * fetched the answer is 503 with a sentence that names no host, with one warning in the log, not one per request.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response, TurnContext } from 'botbuilder';
import type { Application, TurnState } from '@microsoft/teams-ai';
import sinon from 'sinon';
import { createAdapter } from '../../src/teams/adapter';
import { TeamsBot } from '../../src/teams/bot';
import { RecordingLogger } from '../support/fakes';
import { freePort } from '../e2e/support';

const BOT_ID = '55555555-0000-4000-8000-000000000001';
const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';
const KEY_ID = 'test-signing-key';

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** A Bot Framework channel token signed with `key`, as the Bot Connector sends it. */
function channelToken(key: KeyObject, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KEY_ID }));
  const payload = base64url(
    JSON.stringify({ iss: 'https://api.botframework.com', aud: BOT_ID, serviceurl: SERVICE_URL, nbf: now - 60, iat: now - 60, exp: now + 600, ...claims }),
  );
  return `${header}.${payload}.${base64url(sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key))}`;
}

function invoke(channelId = 'msteams'): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    channelId,
    serviceUrl: SERVICE_URL,
    from: { id: '29:1', aadObjectId: '11111111-0000-4000-8000-000000000001' },
    recipient: { id: `28:${BOT_ID}` },
    conversation: { id: 'a:personal', conversationType: 'personal' },
    value: { action: { type: 'Action.Execute', verb: 'request.approve', data: {} } },
  };
}

/** Serves OpenID metadata (and its keys) as login.botframework.com does; `status` other than 200 answers that instead. */
async function metadataServer(publicKey: KeyObject, status = 200): Promise<{ url: string; server: Server }> {
  const jwk = publicKey.export({ format: 'jwk' });
  const server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    res.writeHead(status, { 'content-type': 'application/json' });
    if (status !== 200) res.end('{"error":"down"}');
    else if (req.url === '/keys') res.end(JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', kid: KEY_ID, n: jwk.n, e: jwk.e }] }));
    else res.end(JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `http://127.0.0.1:${port}/keys` }));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/openid`, server };
}

async function post(bot: TeamsBot, body: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const answer = { status: 0, body: undefined as unknown };
  const res = { socket: undefined, status: (code: number) => (answer.status = code), send: (sent: unknown) => (answer.body = sent), header: () => undefined, end: () => undefined };
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  await bot.handle({ method: 'POST', headers, body } as Request, res as unknown as Response);
  return answer;
}

describe('authentication at /api/messages (BOT_ID set, the real SDK, metadata over HTTP)', function () {
  this.timeout(30_000);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const servers: Server[] = [];
  let ran: TurnContext[];
  let logger: RecordingLogger;

  beforeEach(() => {
    ran = [];
    logger = new RecordingLogger();
    sinon.stub(console, 'error'); // the SDK prints refused tokens itself
  });
  afterEach(() => sinon.restore());
  after(() => servers.forEach((server) => server.close()));

  function botReadingMetadataFrom(openIdMetadataUrl: string): TeamsBot {
    const application = {
      run: async (context: TurnContext) => {
        ran.push(context);
        await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { ran: true } } });
        return true;
      },
    } as unknown as Application<TurnState>;
    const adapter = createAdapter({ appId: BOT_ID, password: 'not-a-real-secret', type: 'MultiTenant' }, { openIdMetadataUrl });
    return new TeamsBot(adapter, application, logger, { teamsOnly: true });
  }

  async function servedMetadata(status = 200): Promise<string> {
    const { url, server } = await metadataServer(publicKey, status);
    servers.push(server);
    return url;
  }

  it('runs the turn for a valid token from Teams', async () => {
    const bot = botReadingMetadataFrom(await servedMetadata());
    assert.deepEqual(await post(bot, invoke(), channelToken(privateKey)), { status: 200, body: { ran: true } });
    assert.equal(ran.length, 1);
  });

  it('answers 401 to a missing, forged, expired or misaddressed token, and runs nothing', async () => {
    const bot = botReadingMetadataFrom(await servedMetadata());
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const tokens = [
      undefined,
      'not-a-jwt',
      channelToken(otherKey),
      channelToken(privateKey, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      channelToken(privateKey, { aud: '55555555-0000-4000-8000-000000000099' }),
      channelToken(privateKey, { serviceurl: 'https://attacker.example/' }),
    ];
    for (const token of tokens) {
      const answer = await post(bot, invoke(), token);
      assert.equal(answer.status, 401, `${token?.slice(-12)}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, { error: 'This request is not authenticated: a valid Bot Framework token is required.' });
    }
    assert.equal(ran.length, 0);
  });

  it('answers 403 to an authenticated activity from another channel (e.g. Web Chat)', async () => {
    const bot = botReadingMetadataFrom(await servedMetadata());
    const answer = await post(bot, invoke('webchat'), channelToken(privateKey));
    assert.deepEqual(answer, { status: 403, body: { error: 'This bot answers Microsoft Teams only.' } });
    assert.equal(ran.length, 0);
  });

  const outages: Array<[string, () => Promise<string>]> = [
    ['nothing listens at the metadata address', async () => `http://127.0.0.1:${await freePort()}/openid`],
    ['the metadata endpoint answers 500', () => servedMetadata(500)],
  ];
  for (const [what, metadataUrl] of outages) {
    it(`answers 503 with a sentence naming no host when ${what}, and warns once`, async () => {
      const bot = botReadingMetadataFrom(await metadataUrl());
      for (let i = 0; i < 5; i++) {
        const answer = await post(bot, invoke(), channelToken(privateKey));
        assert.deepEqual(answer, { status: 503, body: { error: 'The bot cannot verify who sent this request right now. Try again in a minute.' } });
      }
      assert.equal(ran.length, 0);
      const warnings = logger.at('warn');
      assert.equal(warnings.length, 1, JSON.stringify(logger.entries));
      assert.match(String(warnings[0].msg), /OpenID metadata unreachable/);
      assert.equal(logger.at('error').length, 0);
      assert.equal((console.error as sinon.SinonStub).callCount, 0, 'nothing printed by the SDK either');
      assert.ok(!JSON.stringify(logger.entries).includes('    at '), 'no stack trace');
    });
  }
});
