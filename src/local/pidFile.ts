/**
 * A pid file beside the data a child process owns, so the next owner can tell whether the previous one is still
 * running (and wait for it to finish) or gone (a stale file, ignored).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** Whether a running process is the one the pid file is about, from its command line. */
export type CommandLineTest = (argv: string[]) => boolean;

const POLL_INTERVAL_IN_MS = 100;

export function writePidFile(file: string, pid: number): Promise<void> {
  return writeFile(file, `${pid}\n`);
}

export function removePidFile(file: string): Promise<void> {
  return rm(file, { force: true });
}

/** The pid in `file` if that process is still running and passes `test`; undefined for no file or a stale one. */
export async function livePid(file: string, test: CommandLineTest): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && isRunning(pid, test) ? pid : undefined;
}

/** Waits until `pid` is no longer that process; false if it still is after `timeoutInMs`. */
export async function waitForExit(pid: number, test: CommandLineTest, timeoutInMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutInMs;
  while (isRunning(pid, test)) {
    if (Date.now() >= deadline) return false;
    await delay(POLL_INTERVAL_IN_MS);
  }
  return true;
}

function isRunning(pid: number, test: CommandLineTest): boolean {
  // Without /proc (macOS, Windows) a live pid has to do.
  if (!existsSync('/proc/self/cmdline')) return isAlive(pid);
  try {
    // A reused pid fails the test, and so does a zombie (exited, not reaped yet): its command line is empty.
    return test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
