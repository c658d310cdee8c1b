/**
 * The HTTP edge (issue 10): bodies the bot cannot safely read are refused before authentication and before a byte
 * is parsed: compressed bodies (a broken gzip stream used to crash restify 11, a gzip bomb to inflate past every
 * limit), multipart uploads (written to the temp folder and never deleted), other content types, bodies over
 * 512 KiB, JSON nested too deep, and bodies the client never finishes. The bot runs as `npm start` runs it, in its
 * own process, so a crash, its memory and its temp folder can be observed; afterwards it still answers Teams.
 */
import { strict as assert } from 'node:assert';
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { startFakeConnector, type FakeConnector } from '../support/fakeConnector';
import { personalConversationId, TeamsClient } from '../support/teamsClient';
import { sleep, startBotProcess, stopBotProcess, until, type BotProcess } from '../reliability/support';
import { PEOPLE } from './support';

const MiB = 1024 * 1024;

interface Answer {
  status?: number;
  body?: string;
  /** The connection failed before an answer arrived (e.g. ECONNRESET). */
  error?: string;
}

/**
 * Sends one request over a fresh keep-alive connection, as Teams and browsers do (a client that says
 * `Connection: close` gets its connection closed under the upload it is still sending); the body is written chunk
 * by chunk, stopping once an answer arrives.
 */
function send(url: string, path: string, headers: OutgoingHttpHeaders, body: Iterable<Buffer> | Buffer): Promise<Answer> {
  const agent = new Agent({ keepAlive: true });
  return new Promise<Answer>((resolve) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ host: hostname, port, path, method: 'POST', headers, agent });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered) resolve({ error: err.code ?? err.message });
    });
    const chunks = Buffer.isBuffer(body) ? [body] : body;
    void (async () => {
      for (const chunk of chunks) {
        if (answered || req.destroyed) return;
        if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained).once('close', drained));
      }
      req.end();
    })();
  }).finally(() => agent.destroy());
}

/** Sends the headers with `Expect: 100-continue`, and the body only if the bot says to go on. */
function askingToContinue(url: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<{ status?: number; continued: boolean; error?: string }> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ host: hostname, port, path, method: 'POST', headers: { ...headers, expect: '100-continue' } });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      if (body) req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode, continued });
      req.destroy();
    });
    req.on('error', (err) => resolve({ error: err.message, continued }));
    req.flushHeaders();
  });
}

function* repeat(chunk: Buffer, bytes: number): Iterable<Buffer> {
  for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
}

/** 300 MiB of zeros, gzipped (about 300 KB). */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < 300; i++) if (!gzip.write(zeros)) await new Promise((drained) => gzip.once('drain', drained));
  await new Promise((done) => gzip.end(done));
  return Buffer.concat(out);
}

/** The bot process's resident memory, in MB (Linux). */
async function residentMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function errorOf(answer: Answer): string {
  assert.ok(answer.body, `an answer body (${JSON.stringify(answer)})`);
  const parsed = JSON.parse(answer.body) as { error?: unknown };
  assert.equal(typeof parsed.error, 'string', answer.body);
  assert.ok(!answer.body.includes('\n'), 'a one-line JSON error');
  return String(parsed.error);
}

describe('e2e: the HTTP edge refuses what it cannot safely read', function () {
  this.timeout(180_000);
  let bot: BotProcess;
  let connector: FakeConnector;
  let teams: TeamsClient;
  let dataDir: string;
  let tempDir: string;
  let memoryBeforeMb: number;
  const json = { 'content-type': 'application/json' };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edge-data-'));
    tempDir = await mkdtemp(join(tmpdir(), 'edge-tmp-'));
    connector = await startFakeConnector();
    bot = await startBotProcess({ DATA_DIR: dataDir, TMPDIR: tempDir });
    teams = new TeamsClient(bot.url, connector.url);
    assert.equal((await teams.say(PEOPLE.adele, 'help')).status, 200);
    memoryBeforeMb = await residentMb(bot.process.pid!);
  });

  after(async () => {
    if (bot) await stopBotProcess(bot, 'SIGTERM');
    await connector?.close();
    await Promise.all([dataDir, tempDir].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  it('a body that claims to be gzip but is not: 415, and the process lives', async () => {
    const answer = await send(bot.url, '/api/messages', { ...json, 'content-encoding': 'gzip' }, Buffer.from('notgzipnotgzip!!'));
    assert.equal(answer.status, 415, JSON.stringify(answer));
    assert.match(errorOf(answer), /Content-Encoding "gzip" is not accepted/);
  });

  it('a gzip bomb (300 KB inflating to 300 MiB): 415 before anything is inflated', async () => {
    const bomb = await gzipBomb();
    assert.ok(bomb.length < 400_000, `${bomb.length} bytes`);
    const answer = await send(bot.url, '/api/messages', { ...json, 'content-encoding': 'gzip', 'content-length': bomb.length }, bomb);
    assert.equal(answer.status, 415, JSON.stringify(answer));
  });

  it('a 150 MiB multipart upload: 415 at its headers, nothing written to the temp folder', async () => {
    const boundary = 'xxBOUNDARYxx';
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 150 * MiB };
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`);
    const answer = await send(bot.url, '/api/messages', headers, [head, ...repeat(Buffer.alloc(MiB, 0x61), 150 * MiB - head.length)]);
    assert.equal(answer.status, 415, JSON.stringify(answer));
    assert.match(errorOf(answer), /multipart\/form-data/);
  });

  it('a client that asks before uploading (Expect: 100-continue) is refused before it sends the body', async () => {
    const refused = await askingToContinue(bot.url, '/api/messages', { 'content-type': 'multipart/form-data; boundary=x', 'content-length': 150 * MiB });
    assert.deepEqual(refused, { status: 415, continued: false });
    const admitted = await askingToContinue(bot.url, '/api/dev/clock', json, Buffer.from('{"advance":"PT0S"}'));
    assert.deepEqual(admitted, { status: 200, continued: true }, 'an admitted request is told to go on');
  });

  const refusedTypes: Array<[string, OutgoingHttpHeaders, number, RegExp]> = [
    ['text/plain', { 'content-type': 'text/plain' }, 415, /Content-Type "text\/plain" is not accepted/],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 415, /not accepted/],
    ['no content type', {}, 415, /no Content-Type/],
    ['JSON in UTF-16', { 'content-type': 'application/json; charset=utf-16' }, 415, /Charset "utf-16"/],
    ['a malformed content type', { 'content-type': 'application/json; =x' }, 415, /malformed/],
  ];
  for (const [what, headers, status, error] of refusedTypes) {
    it(`${what}: ${status} with a sentence`, async () => {
      const answer = await send(bot.url, '/api/messages', headers, Buffer.from('{"type":"message"}'));
      assert.equal(answer.status, status, JSON.stringify(answer));
      assert.match(errorOf(answer), error);
    });
  }

  it('10 MB of JSON: 413, whether Content-Length announces it or not (chunked)', async () => {
    const body = [Buffer.from('{"text":"'), ...repeat(Buffer.alloc(MiB, 0x61), 10 * MiB), Buffer.from('"}')];
    const announced = await send(bot.url, '/api/messages', { ...json, 'content-length': 10 * MiB + 11 }, body);
    assert.equal(announced.status, 413, JSON.stringify(announced));
    assert.match(errorOf(announced), /larger than the 512 KiB/);
    const chunked = await send(bot.url, '/api/messages', { ...json, 'transfer-encoding': 'chunked' }, body);
    assert.equal(chunked.status, 413, JSON.stringify(chunked));
  });

  it('JSON nested 100,000 deep (within the size limit): 400', async () => {
    const answer = await send(bot.url, '/api/messages', json, Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)));
    assert.equal(answer.status, 400, JSON.stringify(answer));
    assert.match(errorOf(answer), /nested more than 64 levels/);
  });

  it('broken JSON: 400', async () => {
    const answer = await send(bot.url, '/api/messages', json, Buffer.from('{"type":'));
    assert.equal(answer.status, 400, JSON.stringify(answer));
    assert.match(errorOf(answer), /not valid JSON/);
  });

  it('a body sent slowly, then abandoned half-way: the process lives', async () => {
    const { hostname, port } = new URL(bot.url);
    const socket = connect(Number(port), hostname);
    await new Promise((connected) => socket.once('connect', connected));
    socket.write(`POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"type":"mess`);
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      socket.write('aaaa');
    }
    socket.destroy();
    await sleep(200);
    assert.equal(bot.process.exitCode, null, 'the bot is still running');
  });

  it('in local mode, a request addressed to another host name (DNS rebinding) is refused with 403', async () => {
    for (const path of ['/api/messages', '/api/dev/tick', '/api/dev/clock']) {
      const answer = await send(bot.url, path, { ...json, host: 'attacker.example:3978' }, Buffer.from('{"advance":"P3D"}'));
      assert.equal(answer.status, 403, `${path}: ${JSON.stringify(answer)}`);
      assert.match(errorOf(answer), /only requests addressed to 127\.0\.0\.1, localhost or \[::1\]/);
    }
    const health = await fetch(`${bot.url}/healthz`, { headers: { host: 'localhost' } });
    assert.equal(health.status, 200, 'localhost is loopback');
  });

  it('in local mode, what a web page can send without a preflight moves nothing (a form post, a bodyless no-cors fetch)', async () => {
    const clockBefore = await (await fetch(`${bot.url}/api/dev/clock`, { method: 'POST', headers: json, body: '{"advance":"PT0S"}' })).json();
    const form = await send(bot.url, '/api/dev/clock', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('advance=P30D'));
    assert.equal(form.status, 415, JSON.stringify(form));
    const textPlain = await send(bot.url, '/api/dev/clock', { 'content-type': 'text/plain' }, Buffer.from('{"advance":"P30D"}'));
    assert.equal(textPlain.status, 415, JSON.stringify(textPlain));
    const bodyless = await send(bot.url, '/api/dev/tick', {}, Buffer.alloc(0));
    assert.equal(bodyless.status, 415, JSON.stringify(bodyless));
    const clockAfter = (await (await fetch(`${bot.url}/api/dev/clock`, { method: 'POST', headers: json, body: '{"advance":"PT0S"}' })).json()) as { now: string };
    assert.ok(Date.parse(clockAfter.now) - Date.parse((clockBefore as { now: string }).now) < 60_000, 'the clock did not move 30 days');
  });

  it('afterwards: still serving, memory within +100 MB, and no file left in the temp folder', async () => {
    const before = connector.inConversation(personalConversationId(PEOPLE.adele)).length;
    assert.equal((await teams.say(PEOPLE.adele, 'help')).status, 200);
    await until('the help card', () => connector.inConversation(personalConversationId(PEOPLE.adele)).length > before);
    assert.equal(bot.process.exitCode, null);
    const memoryAfterMb = await residentMb(bot.process.pid!);
    assert.ok(memoryAfterMb - memoryBeforeMb < 100, `memory grew from ${memoryBeforeMb.toFixed(0)} to ${memoryAfterMb.toFixed(0)} MB`);
    // tsx, which runs the bot from TypeScript here, keeps its compile cache there; nothing else may appear.
    assert.deepEqual((await readdir(tempDir)).filter((name) => !name.startsWith('tsx-')), []);
  });
});
