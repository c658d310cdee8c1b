/**
 * One shared in-memory Azurite per mocha run, started by the first test that asks for it and stopped by a
 * root `after` hook (and, failing that, when the process exits). Each test file takes its own table prefix.
 */
import { randomBytes } from 'node:crypto';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createTables, type Tables, type TablesOptions } from '../../src/storage/tables';

export interface TestStorage {
  connectionString: string;
}

let shared: Promise<RunningAzurite> | undefined;

/** Starts the shared Azurite on first use. `TEST_TABLES_CONNECTION_STRING` points the tests at other storage. */
export async function useAzurite(): Promise<TestStorage> {
  const external = process.env.TEST_TABLES_CONNECTION_STRING;
  if (external) return { connectionString: external };
  shared ??= startAzurite();
  try {
    const azurite = await shared;
    return { connectionString: azurite.connectionString };
  } catch (error) {
    shared = undefined;
    throw error;
  }
}

export async function stopSharedAzurite(): Promise<void> {
  const running = shared;
  shared = undefined;
  if (running) await (await running).stop();
}

/** A fresh table prefix ("t" + 12 lowercase letters/digits), so tests never see each other's tables. */
export function uniquePrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return 't' + [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Tables with a fresh prefix on the shared Azurite, created. */
export async function useTables(options: Partial<Pick<TablesOptions, 'clientOptions'>> = {}): Promise<Tables> {
  const { connectionString } = await useAzurite();
  const tables = createTables({ connectionString, prefix: uniquePrefix(), ...options });
  await tables.ensureTables();
  return tables;
}

// Loaded while mocha loads the test files, so this `after` lands on the root suite: it runs once, at the very end.
if (typeof after === 'function') after(stopSharedAzurite);
