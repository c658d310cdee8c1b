/**
 * Starts the whole bot as `npm start` would, but on free ports, against the shared test Azurite,
 * a Graph emulator seeded from directory.sample.json, and a fake Bot Connector.
 */
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { startGraphEmulator, type GraphEmulator, type GraphSeedInput } from '../../src/local/graphEmulator';
import { createLogger } from '../../src/logger';
import type { AssignmentStore, ConversationStore } from '../../src/app/ports';
import { TableAssignmentStore } from '../../src/storage/assignmentStore';
import { TableConversationStore } from '../../src/storage/conversationStore';
import { createTables } from '../../src/storage/tables';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { cardActions, cardOf, cardText, startFakeConnector, type FakeConnector, type SentActivity } from '../support/fakeConnector';
import { personalConversationId, TeamsClient, type ChannelPlace, type TeamsUser } from '../support/teamsClient';

export const PEOPLE = {
  adele: { aadObjectId: '11111111-0000-4000-8000-000000000001', name: 'Adele Vance', locale: 'en-US' },
  diego: { aadObjectId: '11111111-0000-4000-8000-000000000002', name: 'Diego Siciliani', locale: 'ja-JP' },
  patti: { aadObjectId: '11111111-0000-4000-8000-000000000003', name: 'Patti Fernandez', locale: 'en-US' },
  lee: { aadObjectId: '11111111-0000-4000-8000-000000000004', name: 'Lee Gu', locale: 'en-US' },
  megan: { aadObjectId: '11111111-0000-4000-8000-000000000005', name: 'Megan Bowen', locale: 'en-GB' },
  isaiah: { aadObjectId: '11111111-0000-4000-8000-000000000006', name: 'Isaiah Langer', locale: 'en-US' },
  grady: { aadObjectId: '11111111-0000-4000-8000-000000000007', name: 'Grady Archie', locale: 'en-US' },
} satisfies Record<string, TeamsUser>;

/** The Sales catalog's notification channel in catalog.sample.json. */
export const SALES_CHANNEL: ChannelPlace = { teamId: '19:sales-team@thread.tacv2', channelId: '19:sales-access-requests@thread.tacv2' };

export interface TickAnswer {
  ran: boolean;
  due?: number;
  done?: number;
  stale?: number;
  failed?: number;
  /** Deliveries and removals whose backoff the clock had passed, run again. */
  retried?: number;
}

export interface E2eBot {
  app: RunningApp;
  graph: GraphEmulator;
  connector: FakeConnector;
  teams: TeamsClient;
  /** The bot's stored conversations (its `conversations` table). */
  conversations: ConversationStore;
  /** The bot's stored assignments (the `assignment|` rows of its `assignments` table). */
  assignments: AssignmentStore;
  /** Waits until every effect started so far (cards, Graph writes) has run. */
  settle(): Promise<void>;
  /** Moves the bot's dev clock (ISO 8601 duration, e.g. P2D) and runs the work that fell due. */
  advanceAndTick(duration: string): Promise<TickAnswer>;
  stop(): Promise<void>;
}

export interface E2eBotOptions {
  /** The Graph emulator's tenant instead of directory.sample.json. */
  seed?: GraphSeedInput;
}

export async function startE2eBot(env: Record<string, string> = {}, options: E2eBotOptions = {}): Promise<E2eBot> {
  const { connectionString } = await useAzurite();
  const graph = await startGraphEmulator(options.seed ? { seed: options.seed } : { seedFile: 'directory.sample.json' });
  const connector = await startFakeConnector();
  const prefix = uniquePrefix();
  const config = loadConfig({
    PORT: '0',
    TABLES_CONNECTION_STRING: connectionString,
    TABLES_PREFIX: prefix,
    GRAPH_BASE_URL: graph.url,
    ...env,
  });
  const app = await startApp(config, createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent'), {
    sweepIntervalInMs: 3_600_000,
    schedulerIntervalInMs: 0,
  });
  return {
    app,
    graph,
    connector,
    teams: new TeamsClient(app.url, connector.url),
    conversations: new TableConversationStore({ tables: createTables({ connectionString, prefix }) }),
    assignments: new TableAssignmentStore({ tables: createTables({ connectionString, prefix }) }),
    settle: () => app.effects.idle(),
    async advanceAndTick(duration) {
      const moved = await fetch(`${app.url}/api/dev/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: duration }) });
      if (moved.status !== 200) throw new Error(`dev clock answered ${moved.status}: ${await moved.text()}`);
      const tick = await fetch(`${app.url}/api/dev/tick`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      if (tick.status !== 200) throw new Error(`dev tick answered ${tick.status}: ${await tick.text()}`);
      return (await tick.json()) as TickAnswer;
    },
    async stop() {
      await app.stop();
      await Promise.all([graph.close(), connector.close()]);
    },
  };
}

/** `startE2eBot()`, then every person in PEOPLE installs the bot. */
export async function startE2eBotWithEveryoneInstalled(): Promise<E2eBot> {
  const bot = await startE2eBot();
  for (const person of Object.values(PEOPLE)) await bot.teams.install(person);
  return bot;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The cards the bot sent (`send`) or updated (`update`) in `user`'s personal chat, oldest first. */
export function cardsTo(bot: E2eBot, user: TeamsUser, kind: SentActivity['kind'] = 'send'): SentActivity[] {
  return bot.connector.inConversation(personalConversationId(user)).filter((a) => a.kind === kind && cardOf(a));
}

/** The latest card sent (or updated) in `user`'s personal chat, if any. */
export function lastCardTo(bot: E2eBot, user: TeamsUser, kind: SentActivity['kind'] = 'send'): SentActivity | undefined {
  return cardsTo(bot, user, kind).at(-1);
}

/** The latest card sent to `user`; fails the test when there is none. */
export function requireLastCardTo(bot: E2eBot, user: TeamsUser): SentActivity {
  const card = lastCardTo(bot, user);
  assert.ok(card, `${user.name} got a card`);
  return card;
}

/** `requester` asks for CRM users and Diego approves; returns the request id. */
export async function requestApproved(bot: E2eBot, requester: TeamsUser): Promise<string> {
  await bot.teams.say(requester, 'request');
  const submitted = await bot.teams.click(requester, 'request.submit', { packageId: 'crm-users', justification: 'Pipeline review' }, requireLastCardTo(bot, requester).activityId);
  assert.equal(submitted.statusCode, 200, submitted.message);
  await bot.settle();
  const approval = requireLastCardTo(bot, PEOPLE.diego);
  const approve = cardActions(cardOf(approval)).find((a) => a.verb === 'request.approve');
  assert.ok(approve?.data, 'Diego can approve');
  const decided = await bot.teams.click(PEOPLE.diego, 'request.approve', { ...approve.data, approverJustification: 'OK' }, approval.activityId);
  assert.equal(decided.statusCode, 200, decided.message);
  await bot.settle();
  return String(approve.data.requestId);
}

/** The alert thread posted for this request in the sales channel. */
export function alertThread(bot: E2eBot, requestId: string): SentActivity {
  const thread = bot.connector.created().find((c) => cardText(cardOf(c)).includes(requestId));
  assert.ok(thread, `an alert thread names ${requestId}`);
  return thread;
}

/** A policy anyone in the tenant may have without approval or dates, for `afterDays` days. */
export function noApprovalPolicy(afterDays: number): Record<string, unknown> {
  return {
    id: 'members-no-approval',
    displayName: 'Members, no approval',
    requestors: { scope: 'allMembers' },
    requestorJustificationRequired: false,
    requestorCanSpecifyDates: false,
    approval: { required: false, stages: [] },
    expiration: { afterDays },
    extension: { allowed: false, approvalRequired: false },
    expiryReminderDays: [],
  };
}

/** catalog.sample.json with one more package in its (Sales) catalog, written to `dir`; returns the file's path. */
export async function sampleCatalogPlus(dir: string, accessPackage: Record<string, unknown>): Promise<string> {
  const catalog = JSON.parse(await readFile('catalog.sample.json', 'utf8')) as { catalogs: Array<{ accessPackages: unknown[] }> };
  catalog.catalogs[0].accessPackages.push(accessPackage);
  const file = join(dir, 'catalog.json');
  await writeFile(file, JSON.stringify(catalog));
  return file;
}
