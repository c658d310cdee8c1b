/**
 * Runs the Graph emulator on its own: `npx tsx src/local/graphEmulator/main.ts [seedFile] [port]`
 * (defaults: directory.sample.json, 5050). Stop with Ctrl+C.
 */
import { startGraphEmulator } from './server';

async function main(): Promise<void> {
  const [seedFile = 'directory.sample.json', portText = '5050'] = process.argv.slice(2);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port "${portText}" is not a port number`);
  const emulator = await startGraphEmulator({ seedFile, port });
  process.stdout.write(`Graph emulator for ${seedFile} listening: GRAPH_BASE_URL=${emulator.url}\n`);
  const stop = () => {
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
