/**
 * `npm run docs:lifecycle`: writes the state machine of src/domain/stateMachine.ts into the docs, between
 * `<!-- lifecycle:start -->` and `<!-- lifecycle:end -->`: the full table in docs/design.md, a summary (which state
 * can become which, on what) in docs/lifecycle.md. `--check` only says which are out of date (exit 1).
 * test/unit/stateMachine.test.ts fails while they are.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUEST_STATES } from '../src/domain/request';
import { COMMIT_EFFECTS, MARKS, STATE_MACHINE, TRIGGERS, targetOf, type TransitionRow } from '../src/domain/stateMachine';

export const LIFECYCLE_START = '<!-- lifecycle:start -->';
export const LIFECYCLE_END = '<!-- lifecycle:end -->';
const GENERATED = '<!-- written by `npm run docs:lifecycle` from src/domain/stateMachine.ts: edit the table there -->';

const MARK_MEANINGS: Record<(typeof MARKS)[number], string> = {
  extensionPending: 'an extension of it waits for approval (`pendingExtension`)',
  removing: 'its removal has begun (`removalStartedAt`: it ended, was released or canceled) and something is still held',
  removalFailed: 'Graph refused to remove what is still held (`removalFailed` resources, retried daily)',
};

/** `delivered (removing)` → `` `delivered` *removing* ``; `same (removing)` → `same *removing*`. */
function situation(text: string): string {
  const match = /^(\w+) \((.*)\)$/.exec(text);
  const [state, mark] = match ? [match[1], match[2]] : [text, undefined];
  const shown = state === 'same' ? 'same' : `\`${state}\``;
  return mark ? `${shown} *${mark}*` : shown;
}

/** The full table, with what its triggers and marks mean (docs/design.md). */
export function renderStateMachine(rows: readonly TransitionRow[] = STATE_MACHINE): string {
  const lines = [
    '| # | from | trigger | to | effects | domain function | note |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row, i) => {
      const from = row.from.length === 0 ? '*(new)*' : row.from.map(situation).join(', ');
      const trigger = row.when ? `**${row.trigger}**: ${row.when}` : `**${row.trigger}**`;
      const effects = row.effects.map((kind) => `\`${kind}\``).join(', ');
      const via = row.via.map((name) => `\`${name}\``).join(' → ');
      return `| ${i + 1} | ${from} | ${trigger} | ${situation(row.to)} | ${effects} | ${via} | ${row.note} |`;
    }),
    '',
    'Triggers:',
    '',
    ...Object.entries(TRIGGERS).map(([name, meaning]) => `- **${name}**: ${meaning}`),
    '',
    'Marks (on `delivered` and `partiallyDelivered`, what the state alone does not say):',
    '',
    ...MARKS.map((mark) => `- *${mark}*: ${MARK_MEANINGS[mark]}`),
    '',
    `Added to every commit that changes the person's assignment, in no row: ${COMMIT_EFFECTS.map((kind) => `\`${kind}\``).join(', ')}. ` +
      'The assignment is `delivering` while its request is `approved` or `delivering`, then `delivered`, `partiallyDelivered` or ' +
      '`deliveryFailed` like it, and `expired` (the end date came) or `removed` (released, or a failed delivery canceled) once ' +
      'its request is over (src/domain/assignment.ts).',
  ];
  return lines.join('\n');
}

/**
 * Which situation can become which other, on what (docs/lifecycle.md): one line per situation, steps that leave it as it
 * is left out; the cases, effects and notes are in the full table.
 */
export function renderLifecycleSummary(rows: readonly TransitionRow[] = STATE_MACHINE): string {
  const NEW = '';
  const next = new Map<string, Map<string, string[]>>();
  for (const row of rows) {
    for (const from of row.from.length === 0 ? [undefined] : row.from) {
      const to = targetOf(row, from);
      if (to === from) continue;
      const targets = next.get(from ?? NEW) ?? new Map<string, string[]>();
      const triggers = targets.get(to) ?? [];
      if (!triggers.includes(row.trigger)) triggers.push(row.trigger);
      targets.set(to, triggers);
      next.set(from ?? NEW, targets);
    }
  }
  const order = [NEW, ...REQUEST_STATES.flatMap((state) => [state, ...MARKS.map((mark) => `${state} (${mark})`)])];
  const describe = (targets: Map<string, string[]>) =>
    [...targets].map(([to, triggers]) => `${situation(to)} (${triggers.join(', ')})`).join(', ');
  const ends = REQUEST_STATES.filter((state) => !next.has(state));
  return [
    '| from | can become (on) |',
    '|---|---|',
    ...order.flatMap((from) => {
      const targets = next.get(from);
      return targets ? [`| ${from === NEW ? '*(new)*' : situation(from)} | ${describe(targets)} |`] : [];
    }),
    `| ${ends.map((state) => `\`${state}\``).join(', ')} | nothing: they are final |`,
  ].join('\n');
}

/** The files that show the state machine, and what each shows. */
export const LIFECYCLE_DOCS: ReadonlyArray<{ path: string; render: () => string }> = [
  { path: 'docs/lifecycle.md', render: () => renderLifecycleSummary() },
  { path: 'docs/design.md', render: () => renderStateMachine() },
];

/** `text` with `body` between the lifecycle markers (which must be there, once each). */
export function withLifecycleSection(text: string, body: string, path: string): string {
  const start = text.indexOf(LIFECYCLE_START);
  const end = text.indexOf(LIFECYCLE_END);
  if (start < 0 || end < start || text.indexOf(LIFECYCLE_START, start + 1) >= 0) {
    throw new Error(`${path}: needs one ${LIFECYCLE_START} … ${LIFECYCLE_END} section`);
  }
  return `${text.slice(0, start)}${LIFECYCLE_START}\n${GENERATED}\n\n${body}\n\n${text.slice(end)}`;
}

/** The docs whose lifecycle section differs from the table, with the text they should have. */
export function staleLifecycleDocs(root: string): Array<{ path: string; expected: string }> {
  return LIFECYCLE_DOCS.flatMap(({ path, render }) => {
    const text = readFileSync(join(root, path), 'utf8');
    const expected = withLifecycleSection(text, render(), path);
    return expected === text ? [] : [{ path, expected }];
  });
}

function main(): void {
  const root = join(__dirname, '..');
  const stale = staleLifecycleDocs(root);
  if (process.argv.includes('--check')) {
    for (const { path } of stale) console.log(`${path}: lifecycle section out of date (npm run docs:lifecycle)`);
    process.exitCode = stale.length > 0 ? 1 : 0;
    return;
  }
  for (const { path, expected } of stale) writeFileSync(join(root, path), expected);
  console.log(stale.length > 0 ? `rewrote ${stale.map((s) => s.path).join(', ')}` : 'lifecycle sections up to date');
}

if (require.main === module) main();
