/**
 * A real Teams-like client for end-to-end tests: the Microsoft 365 Agents Playground (a child process,
 * offline) and Debian's headless chromium driven by playwright-core. No browser is downloaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { CHROMIUM as CHROMIUM_PATH, CHROMIUM_ARGS } from '../../scripts/gallery/chromium';

export { CHROMIUM_PATH, CHROMIUM_ARGS };

/** Fails with what to do when Debian's chromium is not installed (the test must not be skipped). */
export function requireChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  throw new Error(
    `Debian's chromium is missing (${CHROMIUM_PATH}); this test drives the Agents Playground with it. ` +
      'Install it with `apt-get update && apt-get install -y chromium fonts-noto-cjk` (as root; .ci/run does this). ' +
      'Do not run `npx playwright install`: no browser is downloaded.',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface Playground {
  /** The web page, e.g. http://127.0.0.1:56150 */
  url: string;
  /** What it printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
// Last resort if the test process ends without running its after hooks: no Playground is left behind.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `agentsplayground` pointed at the bot, with the repo's mock tenant; resolves once it listens. */
export async function startPlayground(options: { botUrl: string; configPath: string; timeoutInMs?: number }): Promise<Playground> {
  const cli = join(dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
  const port = await freePort();
  const cwd = await mkdtemp(join(tmpdir(), 'playground-'));
  const child = spawn(
    process.execPath,
    [cli, '-e', `${options.botUrl}/api/messages`, '-c', 'msteams', '-p', String(port), '--dt'],
    {
      cwd,
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_CONFIG_PATH: options.configPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
    await rm(cwd, { recursive: true, force: true });
  };

  try {
    // It falls back to a random port when the one asked for is taken, so the port is read from its output.
    const listening = await new Promise<number>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the Agents Playground did not start within ${options.timeoutInMs ?? 60_000} ms`)), options.timeoutInMs ?? 60_000);
      const check = () => {
        const match = /Listening on (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`the Agents Playground exited (code ${code}, signal ${signal}) before listening`));
      });
      check();
    });
    return { url: `http://127.0.0.1:${listening}`, output: () => output, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}. Its output:\n${output}`);
  }
}

export interface Browser {
  page: Page;
  stop(): Promise<void>;
}

/**
 * Debian's chromium through playwright-core, headless, with a fresh profile. Every request that is not
 * to this machine (the Playground's CDN fonts and animations) is refused at once, so the page never waits on DNS.
 */
export async function startBrowser(): Promise<Browser> {
  requireChromium();
  const userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname),
    (route) => route.abort('blockedbyclient'),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    stop: async () => {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Types a message into the Playground's compose box and sends it, as a person would. */
export async function say(page: Page, text: string): Promise<void> {
  const compose = page.locator('[data-lexical-editor="true"][contenteditable="true"]');
  await compose.click();
  await page.keyboard.type(text);
  await page.getByRole('button', { name: 'Send Message' }).click();
}

/** The last Adaptive Card on the page whose text contains `text`. */
export function card(page: Page, text: string | RegExp) {
  return page.locator('.ac-adaptiveCard').filter({ hasText: text }).last();
}
