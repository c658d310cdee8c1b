/**
 * `npm run doctor`: checks the configuration, storage, Microsoft Graph (reachability, the application
 * permissions the bot needs, by harmless reads) and every directory object the catalog names; prints a table
 * and exits 1 when anything is a problem. Reads `.env` like `npm start`.
 */
import { existsSync } from 'node:fs';
import { formatTable, runDoctor, summaryOf } from '../src/doctor';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { rows, exitCode } = await runDoctor(process.env);
  console.log(formatTable(rows, { width: process.stdout.isTTY ? process.stdout.columns : undefined }));
  console.log(`\n${summaryOf(rows)}`);
  process.exitCode = exitCode;
}

main().catch((err: unknown) => {
  console.error(`doctor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
