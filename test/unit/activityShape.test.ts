import { strict as assert } from 'node:assert';
import type { Request, Response, TurnContext } from 'botbuilder';
import type { Application, TurnState } from '@microsoft/teams-ai';
import sinon from 'sinon';
import { checkActivity } from '../../src/teams/activityShape';
import { createAdapter } from '../../src/teams/adapter';
import { TeamsBot } from '../../src/teams/bot';
import { editJson, silentLogger, type JsonPath } from '../support/fakes';

const TENANT = '99999999-0000-4000-8000-000000000001';
const AAD = '11111111-0000-4000-8000-000000000001';

function teamsInvoke(): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: 'f:1',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    from: { id: `29:${AAD}`, name: 'Adele Vance', aadObjectId: AAD },
    recipient: { id: '28:bot', name: 'Access Requests' },
    conversation: { id: `a:personal-${AAD}`, conversationType: 'personal', tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, source: { name: 'message' } },
    replyToId: '1700000000000',
    locale: 'en-US',
    entities: [{ type: 'clientInfo', locale: 'en-US', timezone: 'UTC' }],
    value: { action: { type: 'Action.Execute', verb: 'request.approve', data: { requestId: 'x' } }, trigger: 'manual' },
  };
}

const invokeWith = (...edits: Array<[JsonPath, unknown]>) => editJson(teamsInvoke(), ...edits);

function without(path: JsonPath): Record<string, unknown> {
  const activity = teamsInvoke();
  let node = activity;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path.at(-1)!];
  return activity;
}

describe('activity shape: what cannot come from Teams', () => {
  it('keeps a Teams activity whole, unknown fields included', () => {
    assert.deepEqual(checkActivity(teamsInvoke()), { activity: teamsInvoke() });
  });

  it('drops a locale that is not a string rather than refusing the activity', () => {
    assert.equal(checkActivity(invokeWith([['locale'], { lang: 'en' }])).activity?.locale, undefined);
  });

  const refusals: Array<[string, unknown, string]> = [
    ['a missing from.id', without(['from', 'id']), 'from.id is missing'],
    ['a number from.id', invokeWith([['from', 'id'], 42]), 'from.id must be a string'],
    ['an object conversation.id', invokeWith([['conversation', 'id'], { a: 1 }]), 'conversation.id must be a string'],
    ['an empty conversation.id', invokeWith([['conversation', 'id'], '']), 'conversation.id must not be empty'],
    ['a 100 KB conversation.id', invokeWith([['conversation', 'id'], 'x'.repeat(100_000)]), 'conversation.id must be at most 1000 characters long'],
    ['a missing recipient', without(['recipient']), 'recipient is missing'],
    ['a missing channelId', without(['channelId']), 'channelId is missing'],
    ['an array conversation.tenantId', invokeWith([['conversation', 'tenantId'], []]), 'conversation.tenantId must be a string'],
    ['an object channelData.tenant.id', invokeWith([['channelData', 'tenant', 'id'], { id: TENANT }]), 'channelData.tenant.id must be a string'],
    ['a number from.aadObjectId', invokeWith([['from', 'aadObjectId'], 7]), 'from.aadObjectId must be a string'],
    ['a 1 KB from.aadObjectId', invokeWith([['from', 'aadObjectId'], 'a'.repeat(1_000)]), 'from.aadObjectId must be at most 128 characters long'],
    ['a number serviceUrl', invokeWith([['serviceUrl'], 42]), 'serviceUrl must be a string'],
    ['a serviceUrl that is no URL', invokeWith([['serviceUrl'], 'not a url']), 'serviceUrl must be a URL'],
    ['a channelData that is an array', invokeWith([['channelData'], []]), 'channelData must be an object'],
    ['a missing type', without(['type']), 'type is missing'],
    ['an array', [teamsInvoke()], 'The activity must be an object'],
    ['null', null, 'The activity must be an object'],
  ];
  for (const [what, body, sentence] of refusals) {
    it(`refuses ${what}, saying which field is wrong`, () => {
      assert.deepEqual(checkActivity(body), { problem: `${sentence}: this is not a Teams activity.` });
    });
  }
});

/** The HTTP answer the adapter gave, through a response that only records it. */
async function post(bot: TeamsBot, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const answer = { status: 0, body: undefined as unknown };
  const res = {
    status: (code: number) => (answer.status = code),
    send: (sent: unknown) => (answer.body = sent),
    header: () => undefined,
    end: () => undefined,
  };
  await bot.handle({ method: 'POST', headers, body } as Request, res as unknown as Response);
  return answer;
}

describe('the bot endpoint: malformed activities', () => {
  /** An application that answers every invoke with 200 and remembers the activities it ran. */
  function botWith(identity: Parameters<typeof createAdapter>[0]) {
    const ran: Array<Record<string, unknown>> = [];
    const application = {
      run: async (context: TurnContext) => {
        ran.push(context.activity as unknown as Record<string, unknown>);
        await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { ran: true } } });
        return true;
      },
    } as unknown as Application<TurnState>;
    return { bot: new TeamsBot(createAdapter(identity), application, silentLogger, { teamsOnly: identity !== undefined }), ran };
  }

  describe('in local mode (no BOT_ID)', () => {
    it('answers a malformed invoke with 400 and the sentence, without running the turn', async () => {
      const { bot, ran } = botWith(undefined);
      assert.deepEqual(await post(bot, without(['from', 'id'])), { status: 400, body: { error: 'from.id is missing: this is not a Teams activity.' } });
      assert.deepEqual(ran, []);
    });

    it('answers a malformed message and a body that is not an object with 400 too', async () => {
      const { bot, ran } = botWith(undefined);
      const message = editJson(without(['conversation', 'id']), [['type'], 'message'], [['text'], 'request']);
      assert.deepEqual(await post(bot, message), { status: 400, body: { error: 'conversation.id is missing: this is not a Teams activity.' } });
      assert.equal((await post(bot, [1, 2])).status, 400);
      assert.deepEqual(ran, []);
    });

    it('runs a Teams activity, without the locale when it is not a string', async () => {
      const { bot, ran } = botWith(undefined);
      assert.deepEqual(await post(bot, invokeWith([['locale'], 42])), { status: 200, body: { ran: true } });
      assert.equal(ran.length, 1);
      assert.equal(ran[0].locale, undefined);
      assert.deepEqual(ran[0].value, teamsInvoke().value);
    });
  });

  describe('with BOT_ID set', () => {
    afterEach(() => sinon.restore());
    const identity = { appId: '55555555-0000-4000-8000-000000000001', password: 'not-a-real-secret', type: 'MultiTenant' as const };

    it('answers 401, not 400, to a malformed activity without a valid token', async () => {
      sinon.stub(console, 'error'); // the adapter prints each AuthenticationError
      const { bot, ran } = botWith(identity);
      for (const body of [without(['from', 'id']), invokeWith([['serviceUrl'], 42]), { text: 'no type' }, 'not json']) {
        assert.equal((await post(bot, body)).status, 401, JSON.stringify(body));
        assert.equal((await post(bot, body, { authorization: 'Bearer not-a-jwt' })).status, 401, JSON.stringify(body));
      }
      assert.deepEqual(ran, []);
    });
  });
});
