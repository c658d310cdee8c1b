/** Debian's chromium, headless, through its command line: no browser download, no driver. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const CHROMIUM = '/usr/bin/chromium';

const run = promisify(execFile);

/** The flags that make Debian's chromium run headless, offline and quietly in a container (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const FLAGS = [
  ...CHROMIUM_ARGS,
  '--hide-scrollbars',
  '--force-device-scale-factor=1',
  '--allow-file-access-from-files',
];

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

/** The page's DOM after its scripts ran. */
export async function dumpDom(url: string): Promise<string> {
  return withProfile(async (profile) => (await run(CHROMIUM, [...FLAGS, profile, '--dump-dom', url], { maxBuffer: 16 * 1024 * 1024 })).stdout);
}

export async function screenshot(url: string, file: string, width: number, height: number): Promise<void> {
  await withProfile((profile) => run(CHROMIUM, [...FLAGS, profile, `--screenshot=${file}`, `--window-size=${width},${height}`, url]));
  if (!existsSync(file)) throw new Error(`chromium wrote no screenshot for ${url}`);
}

/** Each run gets its own profile, so that runs in parallel do not fight over one. */
async function withProfile<T>(work: (profileFlag: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cards-gallery-chromium-'));
  try {
    return await work(`--user-data-dir=${dir}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
