/**
 * Starts the whole bot as `npm start` would, but on free ports, against the shared test Azurite,
 * a Graph emulator seeded from directory.sample.json, and a fake Bot Connector.
 */
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { startGraphEmulator, type GraphEmulator } from '../../src/local/graphEmulator';
import { createLogger } from '../../src/logger';
import { useAzurite, uniquePrefix } from '../support/azurite';
import { startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { TeamsClient, type TeamsUser } from '../support/teamsClient';

export const PEOPLE = {
  adele: { aadObjectId: '11111111-0000-4000-8000-000000000001', name: 'Adele Vance', locale: 'en-US' },
  diego: { aadObjectId: '11111111-0000-4000-8000-000000000002', name: 'Diego Siciliani', locale: 'ja-JP' },
  patti: { aadObjectId: '11111111-0000-4000-8000-000000000003', name: 'Patti Fernandez', locale: 'en-US' },
  lee: { aadObjectId: '11111111-0000-4000-8000-000000000004', name: 'Lee Gu', locale: 'en-US' },
  megan: { aadObjectId: '11111111-0000-4000-8000-000000000005', name: 'Megan Bowen', locale: 'en-GB' },
  isaiah: { aadObjectId: '11111111-0000-4000-8000-000000000006', name: 'Isaiah Langer', locale: 'en-US' },
  grady: { aadObjectId: '11111111-0000-4000-8000-000000000007', name: 'Grady Archie', locale: 'en-US' },
} satisfies Record<string, TeamsUser>;

export interface TickAnswer {
  ran: boolean;
  due?: number;
  done?: number;
  stale?: number;
  failed?: number;
}

export interface E2eBot {
  app: RunningApp;
  graph: GraphEmulator;
  connector: FakeConnector;
  teams: TeamsClient;
  /** Waits until every effect started so far (cards, Graph writes) has run. */
  settle(): Promise<void>;
  /** Moves the bot's dev clock (ISO 8601 duration, e.g. P2D) and runs the work that fell due. */
  advanceAndTick(duration: string): Promise<TickAnswer>;
  stop(): Promise<void>;
}

export async function startE2eBot(env: Record<string, string> = {}): Promise<E2eBot> {
  const { connectionString } = await useAzurite();
  const graph = await startGraphEmulator({ seedFile: 'directory.sample.json' });
  const connector = await startFakeConnector();
  const config = loadConfig({
    PORT: '0',
    TABLES_CONNECTION_STRING: connectionString,
    TABLES_PREFIX: uniquePrefix(),
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
    settle: () => app.effects.idle(),
    async advanceAndTick(duration) {
      const moved = await fetch(`${app.url}/api/dev/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: duration }) });
      if (moved.status !== 200) throw new Error(`dev clock answered ${moved.status}: ${await moved.text()}`);
      const tick = await fetch(`${app.url}/api/dev/tick`, { method: 'POST' });
      if (tick.status !== 200) throw new Error(`dev tick answered ${tick.status}: ${await tick.text()}`);
      return (await tick.json()) as TickAnswer;
    },
    async stop() {
      await app.stop();
      await Promise.all([graph.close(), connector.close()]);
    },
  };
}
