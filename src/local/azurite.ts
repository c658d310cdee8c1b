/**
 * Runs Azurite's Table service as a child process (local mode and integration tests).
 * A child process, not the in-process server: Azurite's package cannot be required as a whole, and a
 * separate process keeps its event loop and its LokiJS persistence away from the bot's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface AzuriteOptions {
  /** Directory for on-disk data; undefined = in-memory (everything is lost on stop). */
  location?: string;
  host?: '127.0.0.1';
  /** 0 or undefined = pick a free port. */
  port?: number;
  /** How long to wait for the port to accept connections. */
  startTimeoutInMs?: number;
}

export interface RunningAzurite {
  connectionString: string;
  port: number;
  /** Process id of the Azurite child. */
  pid: number;
  /** Stops the child (SIGINT, SIGKILL after a grace period) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** The well-known development account of the storage emulators (public, not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const DEFAULT_START_TIMEOUT_IN_MS = 20_000;
const STOP_GRACE_IN_MS = 5_000;
const POLL_INTERVAL_IN_MS = 100;
const MAX_OUTPUT_CHARS = 4_000;
const STARTED = /Azurite Table service successfully started/;

/**
 * Loaded into the child with --import. If the bot dies without running its 'exit' handlers
 * (SIGKILL, an unhandled SIGTERM), the IPC channel closes and the child stops itself.
 * Its own SIGINT listener also keeps a second SIGINT from killing Azurite mid-way through saving.
 */
const CHILD_GUARD = `
let stopping = false;
process.on('SIGINT', () => { stopping = true; });
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => { if (!stopping) process.kill(process.pid, 'SIGINT'); });
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
  const timeoutInMs = options.startTimeoutInMs ?? DEFAULT_START_TIMEOUT_IN_MS;
  if (options.location !== undefined) await mkdir(options.location, { recursive: true });
  const fixedPort = options.port !== undefined && options.port !== 0;

  // A free port picked here can be taken by someone else before Azurite binds it: try again then.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ? (options.port as number) : await findFreePort(host);
    try {
      return await launch(host, port, options.location, timeoutInMs);
    } catch (error) {
      const portTaken = error instanceof AzuriteStartError && /EADDRINUSE/.test(error.output);
      if (fixedPort || !portTaken || attempt >= 3) throw error;
    }
  }
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

async function launch(host: string, port: number, location: string | undefined, timeoutInMs: number): Promise<RunningAzurite> {
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
  if (location === undefined) args.push('--inMemoryPersistence');
  else args.push('--location', location);

  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Azurite writes nothing to cwd in memory mode, but its default location is cwd: keep it somewhere harmless.
    cwd: location ?? dirname(azuriteTableBin()),
    windowsHide: true,
  });
  child.channel?.unref();

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Pipes must not keep the bot alive, and the child must not outlive it.
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  child.unref();

  const exited = exitPromise(child);
  const killOnExit = (): void => {
    if (isRunning(child)) child.kill('SIGINT');
  };
  process.on('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  try {
    await waitForPort(host, port, child, exited, timeoutInMs, () => output);
  } catch (error) {
    if (isRunning(child)) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    connectionString: azuriteConnectionString(port, host),
    port,
    pid: child.pid ?? 0,
    stop: () => (stopping ??= stopChild(child, exited)),
  };
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
