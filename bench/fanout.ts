/**
 * Fan-out of one request to 60 approvers over HTTP: the sample catalog's CRM users package, whose approver
 * group holds 60 people the bot never heard from (as test/e2e/proactiveReach.test.ts seeds it). From the
 * fake Bot Connector's timestamps of every call from the first 1:1 created on: the most calls in any
 * 1-second window per conversation and for the tenant. Teams' limits (PRODUCT.md): 7/s per conversation,
 * 50/s per tenant.
 */
import { readFileSync } from 'node:fs';
import type { GraphSeedInput } from '../src/local/graphEmulator';
import { cardActions, cardOf, type ConnectorCall } from '../test/support/fakeConnector';
import { busiest, round, startBenchBot, verdict, type BenchEnv, type Measured } from './support';

const APPROVERS = 60;
const CRM_APPROVERS_GROUP = '22222222-0000-4000-8000-000000000003';
const ADELE = { aadObjectId: '11111111-0000-4000-8000-000000000001', name: 'Adele Vance', locale: 'en-US' };

export interface FanoutResult {
  approvers: number;
  maxSendsPerSecondPerConversation: number;
  maxSendsPerSecondPerTenant: number;
  maxSendsPer30SecondsPerConversation: number;
  connectorCalls: number;
  seconds: number;
}

export async function measureFanout({ connectionString }: BenchEnv): Promise<Measured<FanoutResult>> {
  type Seed = GraphSeedInput & { users: object[]; groups: Array<{ id: string; displayName: string; members: string[] }> };
  const seed = JSON.parse(readFileSync('directory.sample.json', 'utf8')) as Seed;
  const approvers = Array.from({ length: APPROVERS }, (_, i) => ({
    id: `66666666-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    displayName: `Approver ${i + 1}`,
    userPrincipalName: `approver${i + 1}@contoso.example`,
    userType: 'Member',
    accountEnabled: true,
  }));
  seed.users.push(...approvers);
  const group = seed.groups.find((g) => g.id === CRM_APPROVERS_GROUP);
  if (!group) throw new Error('directory.sample.json has no CRM Approvers group');
  group.members = approvers.map((a) => a.id);

  const bot = await startBenchBot(connectionString, seed);
  try {
    await bot.teams.install(ADELE);
    await bot.teams.say(ADELE, 'request');
    const form = bot.connector.inConversation(`a:personal-${ADELE.aadObjectId}`).filter((a) => cardOf(a)).at(-1);
    if (!form) throw new Error('no request form was sent');
    const answer = await bot.teams.click(ADELE, 'request.submit', { packageId: 'crm-users', justification: 'Fan-out benchmark' }, form.activityId);
    if (answer.statusCode !== 200) throw new Error(`submit answered ${answer.statusCode}: ${answer.message}`);
    await bot.app.effects.idle();

    const reached = approvers.filter((a) =>
      bot.connector.inConversation(`a:personal-${a.id}`).some((s) => s.kind === 'send' && cardActions(cardOf(s)).some((x) => x.verb === 'request.approve')),
    ).length;
    if (reached !== APPROVERS) throw new Error(`${reached} of ${APPROVERS} approvers got their card`);

    const firstCreate = bot.connector.created()[0]?.at;
    if (firstCreate === undefined) throw new Error('no 1:1 conversation was created');
    const calls = bot.connector.calls().filter((c) => c.at >= firstCreate);
    const byConversation = new Map<string, ConnectorCall[]>();
    for (const call of calls) if (call.conversationId) byConversation.set(call.conversationId, [...(byConversation.get(call.conversationId) ?? []), call]);
    const perConversation = Math.max(...[...byConversation.values()].map((list) => busiest(list.map((c) => c.at), 1_000)));
    const per30s = Math.max(...[...byConversation.values()].map((list) => busiest(list.map((c) => c.at), 30_000)));
    const perTenant = busiest(calls.map((c) => c.at), 1_000);
    const seconds = round((Math.max(...calls.map((c) => c.at)) - firstCreate) / 1000, 2);
    return {
      result: {
        approvers: APPROVERS,
        maxSendsPerSecondPerConversation: perConversation,
        maxSendsPerSecondPerTenant: perTenant,
        maxSendsPer30SecondsPerConversation: per30s,
        connectorCalls: calls.length,
        seconds,
      },
      rows: [
        { measure: `fan-out to ${APPROVERS} approvers: peak sends/s per conversation`, figure: String(perConversation), target: '≤ 7', verdict: verdict(perConversation <= 7) },
        { measure: `fan-out to ${APPROVERS} approvers: peak sends/s per tenant`, figure: String(perTenant), target: '≤ 50', verdict: verdict(perTenant <= 50) },
      ],
      notes: [
        `fan-out: one CRM users request over HTTP, ${APPROVERS} approvers never heard from: ${calls.length} Bot Connector calls (1:1 creates + card sends) in ${seconds} s; peaks over sliding windows of the fake connector's receive times; per conversation per 30 s: ${per30s} (limit 60)`,
      ],
    };
  } finally {
    await bot.stop();
  }
}
