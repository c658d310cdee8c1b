/**
 * Runs Azurite's Table service as a supervised child process (local mode and integration tests).
 * A child process, not the in-process server: Azurite's package cannot be required as a whole, and a
 * separate process keeps its event loop and its LokiJS persistence away from the bot's.
 *
 * Keeping answered writes: LokiJS saves to disk every 5 s and when Azurite closes gracefully (SIGINT); a SIGTERM
 * or SIGKILL loses what came since. So
 * - the child runs in its own process group (`detached`): a signal to the bot's group (systemd, Docker, a
 *   supervisor) does not reach it;
 * - CHILD_GUARD closes it gracefully when the bot dies (the IPC channel disconnects) or when it gets SIGTERM itself;
 * - `<location>/azurite.pid` names it, so a bot restarted at once waits for the previous Azurite to finish saving
 *   instead of starting a second one on the same folder.
 * Supervision: a child that exits without stop() is restarted on the same port and folder (the connection string
 * the Table clients hold stays valid), after a backoff.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe } from '../app/describe';
import type { Logger } from '../app/ports';
import { livePid, removePidFile, waitForExit, writePidFile, type CommandLineTest } from './pidFile';

export interface AzuriteOptions {
  /** Directory for on-disk data; undefined = in-memory (everything is lost on stop or restart). */
  location?: string;
  host?: '127.0.0.1';
  /** 0 or undefined = pick a free port. */
  port?: number;
  /** How long to wait for the port to accept connections. */
  startTimeoutInMs?: number;
  /** How long to wait for a previous Azurite still running on `location` to exit (default 20 s). */
  previousExitTimeoutInMs?: number;
  /** Gets one warn line per unexpected exit, restart and failed restart. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Runs after each restart: what the dead child had not saved yet (up to LokiJS's last 5 s, e.g. tables just
   * created) is gone, and the caller may need to set it up again.
   */
  onRestart?: () => Promise<void>;
}

export interface RunningAzurite {
  connectionString: string;
  port: number;
  /** Process id of the current Azurite child (the last one, once stopped). */
  readonly pid: number;
  /** Whether a child is serving: false while a crashed one is being restarted, and once stopped. */
  readonly up: boolean;
  /** Ends supervision and stops the child (SIGINT, SIGKILL after a grace period); resolves once it has exited. */
  stop(): Promise<void>;
}

/** Another Azurite still runs on the data folder: most likely a second bot on the same DATA_DIR. */
export class AzuriteInUseError extends Error {
  override name = 'AzuriteInUseError';
}

/** The well-known development account of the storage emulators (public, not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const DEFAULT_START_TIMEOUT_IN_MS = 20_000;
const PREVIOUS_EXIT_TIMEOUT_IN_MS = 20_000;
const STOP_GRACE_IN_MS = 5_000;
const FIRST_RESTART_DELAY_IN_MS = 500;
const MAX_RESTART_DELAY_IN_MS = 30_000;
const POLL_INTERVAL_IN_MS = 100;
const MAX_OUTPUT_CHARS = 4_000;
const STARTED = /Azurite Table service successfully started/;

/**
 * Loaded into the child with --import. Turns the bot's death (the IPC channel closes) and a SIGTERM into
 * Azurite's graceful close (SIGINT), and keeps a second SIGINT from killing Azurite mid-save. A SIGINT that comes
 * before Azurite listens for it (it has served nothing yet) just exits. An orphan has nobody to SIGKILL it if
 * closing hangs, so it does that itself after the grace period.
 */
const CHILD_GUARD = `
let stopping = false;
process.on('SIGINT', () => {
  if (!stopping && process.listenerCount('SIGINT') === 1) process.exit(0);
  stopping = true;
});
const stop = () => {
  if (!stopping) process.kill(process.pid, 'SIGINT');
  setTimeout(() => process.exit(1), ${STOP_GRACE_IN_MS}).unref();
};
process.on('SIGTERM', stop);
// A dead bot's pipes must not turn Azurite's closing messages into an EPIPE crash in the middle of saving.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', stop);
}
`;

export function azuriteConnectionString(port: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `TableEndpoint=http://${host}:${port}/${DEV_ACCOUNT};`
  );
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const location = options.location === undefined ? undefined : resolve(options.location);
  const timeoutInMs = options.startTimeoutInMs ?? DEFAULT_START_TIMEOUT_IN_MS;
  if (location !== undefined) {
    await mkdir(location, { recursive: true });
    await waitForPreviousAzurite(location, options.previousExitTimeoutInMs ?? PREVIOUS_EXIT_TIMEOUT_IN_MS);
  }
  const launchOn = (port: number) => launch(host, port, location, timeoutInMs);
  const first = await launchFirst(host, options.port, launchOn);
  const supervised = supervise(first, () => launchOn(first.port), options);
  return {
    connectionString: azuriteConnectionString(first.port, host),
    port: first.port,
    get pid() {
      return supervised.child().pid;
    },
    get up() {
      return supervised.up();
    },
    stop: supervised.stop,
  };
}

/** One Azurite process, started and accepting connections. */
interface AzuriteChild {
  pid: number;
  port: number;
  startedAt: number;
  exited: Promise<ExitInfo>;
  /** SIGINT, SIGKILL after a grace period; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

async function launchFirst(host: string, port: number | undefined, launchOn: (port: number) => Promise<AzuriteChild>): Promise<AzuriteChild> {
  const fixedPort = port !== undefined && port !== 0;
  // A free port picked here can be taken by someone else before Azurite binds it: try again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOn(fixedPort ? port : await findFreePort(host));
    } catch (error) {
      const portTaken = error instanceof AzuriteStartError && /EADDRINUSE/.test(error.output);
      if (fixedPort || !portTaken || attempt >= 3) throw error;
    }
  }
}

/** Restarts the child whenever it exits without stop(), after a delay doubling from 0.5 s to 30 s. */
function supervise(first: AzuriteChild, relaunch: () => Promise<AzuriteChild>, { logger, onRestart }: Pick<AzuriteOptions, 'logger' | 'onRestart'>) {
  let child = first;
  let up = true;
  let stopping = false;
  let restartDelayInMs = FIRST_RESTART_DELAY_IN_MS;
  const stopWaiting = new AbortController();

  const relaunchAfterDelay = async (): Promise<AzuriteChild | undefined> => {
    for (;;) {
      await delay(restartDelayInMs, undefined, { signal: stopWaiting.signal, ref: false }).catch(() => undefined);
      restartDelayInMs = Math.min(restartDelayInMs * 2, MAX_RESTART_DELAY_IN_MS);
      if (stopping) return undefined;
      try {
        return await relaunch();
      } catch (err) {
        logger?.warn({ err: describe(err), retryInMs: restartDelayInMs }, 'embedded Azurite could not be restarted; retrying');
      }
    }
  };

  const supervising = (async () => {
    for (;;) {
      const { code, signal } = await child.exited;
      if (stopping) return;
      up = false;
      // One that ran for a while crashed afresh, not in a loop: restart it quickly again.
      if (Date.now() - child.startedAt > MAX_RESTART_DELAY_IN_MS) restartDelayInMs = FIRST_RESTART_DELAY_IN_MS;
      logger?.warn({ pid: child.pid, code, signal, restartInMs: restartDelayInMs }, 'embedded Azurite exited unexpectedly; restarting it');
      const next = await relaunchAfterDelay();
      if (next === undefined) return;
      child = next;
      if (stopping) return;
      up = true;
      logger?.warn({ pid: child.pid, port: child.port }, 'embedded Azurite restarted');
      await onRestart?.().catch((err: unknown) => logger?.warn({ err: describe(err) }, 'setting up the restarted embedded Azurite failed'));
    }
  })();

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    up = false;
    stopWaiting.abort();
    await child.stop();
    // A restart under way may have just brought up a new child: stop that one too.
    await supervising;
    await child.stop();
  };
  return { child: () => child, up: () => up, stop: () => (stopped ??= stop()) };
}

class AzuriteStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n${output}` : message);
    this.name = 'AzuriteStartError';
  }
}

function azuriteTableBin(): string {
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'table', 'main.js');
}

function pidFileIn(location: string): string {
  return join(location, 'azurite.pid');
}

/** A killed bot's Azurite outlives it to save its data: wait for it rather than open the same folder twice. */
async function waitForPreviousAzurite(location: string, timeoutInMs: number): Promise<void> {
  const azuriteOnLocation: CommandLineTest = (argv) => argv.includes(azuriteTableBin()) && argv.includes(location);
  const pid = await livePid(pidFileIn(location), azuriteOnLocation);
  if (pid === undefined || (await waitForExit(pid, azuriteOnLocation, timeoutInMs))) return;
  throw new AzuriteInUseError(
    `Another Azurite (pid ${pid}) is still running on ${location} after ${timeoutInMs / 1000} s: is a second bot using the same DATA_DIR?`,
  );
}

function azuriteArgs(host: string, port: number, location: string | undefined): string[] {
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(CHILD_GUARD)}`,
    azuriteTableBin(),
    '--tableHost',
    host,
    '--tablePort',
    String(port),
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
  ];
  return location === undefined ? [...args, '--inMemoryPersistence'] : [...args, '--location', location];
}

async function launch(host: string, port: number, location: string | undefined, timeoutInMs: number): Promise<AzuriteChild> {
  const child = spawn(process.execPath, azuriteArgs(host, port, location), {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group, out of reach of a signal to the bot's (see the module comment).
    detached: true,
    // Azurite writes nothing to cwd in memory mode, but its default location is cwd: keep it somewhere harmless.
    cwd: location ?? dirname(azuriteTableBin()),
    windowsHide: true,
  });
  const output = collectOutput(child);
  // Neither the child nor its pipes and IPC channel may keep the bot alive.
  child.channel?.unref();
  child.unref();

  const exited = exitPromise(child);
  try {
    if (location !== undefined && child.pid !== undefined) await writePidFile(pidFileIn(location), child.pid);
    await waitForPort(host, port, child, exited, timeoutInMs, output);
  } catch (error) {
    if (isRunning(child)) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await stopChild(child, exited);
    if (location !== undefined) await removePidFile(pidFileIn(location));
  };
  return { pid: child.pid ?? 0, port, startedAt: Date.now(), exited, stop: () => (stopping ??= stop()) };
}

function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
  };
  for (const pipe of [child.stdout, child.stderr]) {
    pipe?.on('data', collect);
    (pipe as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return () => output;
}

function exitPromise(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopChild(child: ChildProcess, exited: Promise<ExitInfo>): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_GRACE_IN_MS);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout' && isRunning(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitForPort(
  host: string,
  port: number,
  child: ChildProcess,
  exited: Promise<ExitInfo>,
  timeoutInMs: number,
  output: () => string,
): Promise<void> {
  let exit: ExitInfo | undefined;
  let spawnError: Error | undefined;
  exited.then(
    (info) => (exit = info),
    (error: Error) => (spawnError = error),
  );
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    if (spawnError) throw new AzuriteStartError(`could not start Azurite: ${spawnError.message}`, output());
    if (exit || !isRunning(child)) {
      // Let the last of its output arrive before quoting it.
      await delay(POLL_INTERVAL_IN_MS);
      const how = exit?.signal ? `signal ${exit.signal}` : `code ${exit?.code ?? child.exitCode}`;
      throw new AzuriteStartError(`Azurite Table service exited during start-up (${how}) on ${host}:${port}`, output());
    }
    // The port alone could be someone else's: also wait for Azurite to say it is listening.
    if (STARTED.test(output()) && (await canConnect(host, port))) return;
    if (Date.now() > deadline) {
      throw new AzuriteStartError(`Azurite Table service did not accept connections on ${host}:${port} within ${timeoutInMs} ms`, output());
    }
    await delay(POLL_INTERVAL_IN_MS);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}
