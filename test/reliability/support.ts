/**
 * Shared by the reliability tests: the bot as a real child process (as `npm start` runs it), a demo tenant with
 * extra requesters, and polling.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { GraphSeedInput } from '../../src/local/graphEmulator';
import { GraphEmulatorControl } from '../../src/local/graphEmulator/controlClient';
import type { TeamsUser } from '../support/teamsClient';
import { freePort } from '../e2e/support';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 50 ms until it gives something truthy. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutInMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `count` Sales members (requesters of CRM users), ids 11111111-0000-4000-8000-0000000010NN. */
export function extraRequesters(count: number): TeamsUser[] {
  return Array.from({ length: count }, (_, n) => ({
    aadObjectId: `11111111-0000-4000-8000-${String(1000 + n).padStart(12, '0')}`,
    name: `Requester ${String(n).padStart(3, '0')}`,
    locale: 'en-US',
  }));
}

/** directory.sample.json plus `people` as enabled Sales members (eligible for CRM users, approved by Diego or Megan). */
export function seedWith(people: TeamsUser[]): GraphSeedInput {
  const sample = JSON.parse(readFileSync('directory.sample.json', 'utf8')) as { users: Array<Record<string, unknown>> };
  const users = people.map((p) => ({
    id: p.aadObjectId,
    displayName: p.name,
    userPrincipalName: `${p.aadObjectId}@contoso.example`,
    mail: `${p.aadObjectId}@contoso.example`,
    department: 'Sales',
    jobTitle: 'Sales Representative',
    companyName: 'Contoso',
    userType: 'Member',
    accountEnabled: true,
    managerId: '11111111-0000-4000-8000-000000000002',
  }));
  return { ...sample, users: [...sample.users, ...users] } as GraphSeedInput;
}

export interface BotProcess {
  url: string;
  process: ChildProcess;
}

/**
 * `src/index.ts` in a child process on a free port; resolves once /healthz answers 200. `detached` puts it in a
 * process group of its own, which `process.kill(-pid, signal)` signals as a whole (as systemd or Docker would).
 */
export async function startBotProcess(env: Record<string, string>, timeoutInMs = 30_000, options: { detached?: boolean } = {}): Promise<BotProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '--disable-warning=DEP0111', 'src/index.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: process.env.RELIABILITY_LOG_LEVEL ?? 'error', ...env },
    stdio: ['ignore', process.env.RELIABILITY_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
    detached: options.detached ?? false,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(`the bot at ${url} to be healthy`, async () => {
      if (child.exitCode !== null) throw new Error(`the bot at ${url} exited with ${child.exitCode}`);
      return fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    }, timeoutInMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { url, process: child };
}

export async function stopBotProcess(bot: BotProcess, signal: NodeJS.Signals): Promise<void> {
  if (bot.process.exitCode !== null || bot.process.signalCode !== null) return;
  const exited = new Promise<void>((done) => bot.process.once('exit', () => done()));
  bot.process.kill(signal);
  await exited;
}

/** No process (a killed bot's Azurite child) still holds the data folder. */
export function dataDirFree(dataDir: string): boolean {
  try {
    execFileSync('pgrep', ['-f', dataDir]);
    return false;
  } catch {
    return true;
  }
}

/** Every Graph answer takes `delayInMs`, so a kill can land before, between and after the writes. */
export async function delayGraphAnswers(graphBaseUrl: string, delayInMs: number): Promise<void> {
  await GraphEmulatorControl.fromGraphBaseUrl(graphBaseUrl).setFault({ delayInMs, rate: 1, times: 1_000_000 });
}
