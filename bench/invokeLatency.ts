/**
 * Invoke latency of Approve over HTTP against the running bot, as `npm start` runs it: its own process
 * (restify, teams-ai, Table Storage on Azurite, Graph on the emulator, a fake Bot Connector; the last two live
 * in this process), timed by the client from request sent to answer received.
 *
 * Headline: 50 approvers click Approve at the same moment, each on a different pending request (each is the
 * requester's manager, the only approver), so every click is a full decision: read, checks, directory lookup
 * of the approver, ETag-guarded commit, the card rendered; delivery runs after each answer, concurrently
 * with the clicks still in flight. A warm-up round of 10 runs first and is not counted.
 * Also: 50 approvers of the same request clicking at once (one decision wins, 49 are answered 409).
 */
import { cardActions, cardOf, cardText } from '../test/support/fakeConnector';
import type { TeamsUser } from '../test/support/teamsClient';
import {
  BENCH,
  benchCatalogFile,
  benchSeed,
  GROUP_PACKAGE,
  MANAGER_PACKAGE,
  percentile,
  pool,
  processCpuSeconds,
  round,
  startBotProcess,
  teamsUser,
  verdict,
  waitFor,
  type BenchEnv,
  type BotProcess,
  type Measured,
} from './support';

const WARMUP = 10;
const CLICKERS = 50;
/** How many requesters submit at once while the pending requests are prepared. */
const SUBMIT_CONCURRENCY = 5;
const WAIT_IN_MS = 120_000;

export interface InvokeLatencyResult {
  p50: number;
  p99: number;
  max: number;
  clicks: number;
  /** 50 approvers of one request clicking at once: one 200, the rest 409. */
  sameRequest: { p50: number; p99: number; max: number; decided: number; conflicts: number };
  /** CPU seconds the bot process and Azurite used while the 50 clicks were answered (wall: the slowest click). */
  cpuSecondsDuringClicks: { bot?: number; azurite?: number; wall: number };
}

async function submit(bot: BotProcess, requester: TeamsUser, packageId: string): Promise<void> {
  await bot.teams.install(requester);
  await bot.teams.say(requester, 'request');
  const form = bot.connector.inConversation(`a:personal-${requester.aadObjectId}`).filter((a) => cardOf(a)).at(-1);
  if (!form) throw new Error(`no request form was sent to ${requester.name}`);
  const answer = await bot.teams.click(requester, 'request.submit', { packageId, justification: 'Latency benchmark' }, form.activityId);
  if (answer.statusCode !== 200) throw new Error(`submit by ${requester.name} answered ${answer.statusCode}: ${answer.message}`);
}

/** The approver's latest approval card: its Approve action and the card's activity id. */
function findApproveButton(bot: BotProcess, approver: TeamsUser): { data: Record<string, unknown>; activityId: string } | undefined {
  const cards = bot.connector.inConversation(`a:personal-${approver.aadObjectId}`).filter((a) => a.kind === 'send' && cardOf(a));
  for (const card of cards.reverse()) {
    const approve = cardActions(cardOf(card)).find((a) => a.verb === 'request.approve');
    if (approve?.data) return { data: approve.data, activityId: card.activityId };
  }
  return undefined;
}

function approveButton(bot: BotProcess, approver: TeamsUser): { data: Record<string, unknown>; activityId: string } {
  const button = findApproveButton(bot, approver);
  if (!button) throw new Error(`${approver.name} got no approval card`);
  return button;
}

/** Waits until every approver has an approval card, then until the connector has heard nothing for a second (the bot is idle). */
async function approvalCardsSent(bot: BotProcess, approvers: TeamsUser[]): Promise<void> {
  await waitFor(() => approvers.every((a) => findApproveButton(bot, a)), WAIT_IN_MS, `${approvers.length} approval cards`);
  await quiet(bot);
}

async function quiet(bot: BotProcess): Promise<void> {
  let last = -1;
  await waitFor(() => {
    const calls = bot.connector.calls();
    const latest = calls.at(-1)?.at ?? 0;
    const still = calls.length === last && Date.now() - latest >= 1_000;
    last = calls.length;
    return still;
  }, WAIT_IN_MS, 'the bot to go quiet');
}

function toldTheyHaveAccess(bot: BotProcess, requester: TeamsUser): boolean {
  return bot.connector.inConversation(`a:personal-${requester.aadObjectId}`).some((a) => /You now have access/.test(cardText(cardOf(a))));
}

/** Everyone clicks Approve at once; the latency of each HTTP invoke, in ms, and its status. */
async function clickAtOnce(bot: BotProcess, approvers: TeamsUser[]): Promise<Array<{ ms: number; status?: number }>> {
  const buttons = approvers.map((a) => approveButton(bot, a));
  return Promise.all(
    approvers.map(async (approver, i) => {
      const t0 = performance.now();
      const answer = await bot.teams.click(approver, 'request.approve', { ...buttons[i].data, approverJustification: 'ok' }, buttons[i].activityId);
      return { ms: performance.now() - t0, status: answer.statusCode };
    }),
  );
}

export async function measureInvokeLatency({ connectionString, azuritePid }: BenchEnv): Promise<Measured<InvokeLatencyResult>> {
  const requesterCount = WARMUP + CLICKERS + 1;
  const bot = await startBotProcess(connectionString, benchSeed({ requesters: requesterCount, managers: requesterCount, groupApprovers: CLICKERS }), {
    CATALOG_FILE: benchCatalogFile(),
  });
  try {
    const requester = (n: number) => teamsUser(BENCH.requester(n), `Requester ${n + 1}`);
    const manager = (n: number) => teamsUser(BENCH.manager(n), `Manager ${n + 1}`);

    // Warm-up round (not counted): the same path, 10 at once.
    const warmers = Array.from({ length: WARMUP }, (_, n) => manager(n));
    await pool(WARMUP, SUBMIT_CONCURRENCY, (n) => submit(bot, requester(n), MANAGER_PACKAGE));
    await approvalCardsSent(bot, warmers);
    const warm = await clickAtOnce(bot, warmers);
    if (warm.some((c) => c.status !== 200)) throw new Error(`warm-up clicks answered ${warm.map((c) => c.status).join(',')}`);
    await waitFor(() => Array.from({ length: WARMUP }, (_, n) => requester(n)).every((r) => toldTheyHaveAccess(bot, r)), WAIT_IN_MS, 'the warm-up deliveries');
    await quiet(bot);

    // The measured round: 50 pending requests, each with its own approver.
    const clickers = Array.from({ length: CLICKERS }, (_, i) => manager(WARMUP + i));
    await pool(CLICKERS, SUBMIT_CONCURRENCY, (i) => submit(bot, requester(WARMUP + i), MANAGER_PACKAGE));
    await approvalCardsSent(bot, clickers);
    const cpuBefore = { bot: processCpuSeconds(bot.pid), azurite: processCpuSeconds(azuritePid) };
    const clicksStarted = performance.now();
    const clicks = await clickAtOnce(bot, clickers);
    const clicksWall = (performance.now() - clicksStarted) / 1000;
    const cpuAfter = { bot: processCpuSeconds(bot.pid), azurite: processCpuSeconds(azuritePid) };
    const cpuDelta = (key: 'bot' | 'azurite') => {
      const [a, b] = [cpuBefore[key], cpuAfter[key]];
      return a !== undefined && b !== undefined ? round(b - a, 2) : undefined;
    };
    const refused = clicks.filter((c) => c.status !== 200);
    if (refused.length) throw new Error(`${refused.length} approvals were not answered 200: ${refused.map((c) => c.status).join(',')}`);
    const requesters = Array.from({ length: CLICKERS }, (_, i) => requester(WARMUP + i));
    await waitFor(() => requesters.every((r) => toldTheyHaveAccess(bot, r)), WAIT_IN_MS, `${CLICKERS} requesters told they have access`);
    await quiet(bot);

    // The same request, 50 approvers at once.
    const groupApprovers = Array.from({ length: CLICKERS }, (_, n) => teamsUser(BENCH.groupApprover(n), `Approver ${n + 1}`));
    await submit(bot, requester(WARMUP + CLICKERS), GROUP_PACKAGE);
    await approvalCardsSent(bot, groupApprovers);
    const race = await clickAtOnce(bot, groupApprovers);
    const decided = race.filter((c) => c.status === 200).length;
    const conflicts = race.filter((c) => c.status === 409).length;
    if (decided !== 1 || conflicts !== CLICKERS - 1) throw new Error(`same-request race answered ${race.map((c) => c.status).join(',')}`);

    const ms = clicks.map((c) => c.ms);
    const raceMs = race.map((c) => c.ms);
    const result: InvokeLatencyResult = {
      p50: round(percentile(ms, 50)),
      p99: round(percentile(ms, 99)),
      max: round(Math.max(...ms)),
      clicks: ms.length,
      sameRequest: { p50: round(percentile(raceMs, 50)), p99: round(percentile(raceMs, 99)), max: round(Math.max(...raceMs)), decided, conflicts },
      cpuSecondsDuringClicks: { bot: cpuDelta('bot'), azurite: cpuDelta('azurite'), wall: round(clicksWall, 2) },
    };
    const cpu = result.cpuSecondsDuringClicks;
    return {
      result,
      rows: [
        { measure: `invoke latency, ${CLICKERS} approvers approving at once (p50 / p99)`, figure: `${result.p50} / ${result.p99} ms`, target: 'p99 < 250 ms', verdict: verdict(result.p99 < 250) },
        {
          measure: `  same request, ${CLICKERS} approvers at once (p50 / p99)`,
          figure: `${result.sameRequest.p50} / ${result.sameRequest.p99} ms`,
          target: 'p99 < 250 ms',
          verdict: verdict(result.sameRequest.p99 < 250),
        },
      ],
      notes: [
        `invoke latency: HTTP invokes to the bot in its own process (node src/index.ts), timed by the client; ${CLICKERS} approvers each approving their own pending request at the same moment (all 200, all ${CLICKERS} delivered afterwards; delivery runs after each answer, beside the clicks in flight), after an uncounted warm-up of ${WARMUP}; p99 is nearest-rank (of 50 samples: the slowest), max ${result.max} ms`,
        `  while the 50 clicks were answered (${cpu.wall} s): bot process ${cpu.bot ?? '?'} CPU s, Azurite ${cpu.azurite ?? '?'} CPU s`,
        `  same request: ${CLICKERS} approvers of one request at once: ${decided} decided, ${conflicts} answered 409 "already decided"; max ${result.sameRequest.max} ms`,
      ],
    };
  } finally {
    await bot.stop();
  }
}
