/** The doctor's rows and the table it prints. */

/** `warning` is shown but does not fail the run; `problem` makes the exit code 1. */
export type CheckResult = 'ok' | 'problem' | 'warning' | 'skipped';

export interface CheckRow {
  check: string;
  result: CheckResult;
  detail: string;
}

export const row = (check: string, result: CheckResult, detail: string): CheckRow => ({ check, result, detail });

export function exitCodeOf(rows: readonly CheckRow[]): 0 | 1 {
  return rows.some((r) => r.result === 'problem') ? 1 : 0;
}

export function summaryOf(rows: readonly CheckRow[]): string {
  const count = (result: CheckResult) => rows.filter((r) => r.result === result).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const problems = count('problem');
  const parts = [plural(count('ok'), 'check') + ' ok', plural(problems, 'problem'), plural(count('warning'), 'warning'), `${count('skipped')} skipped`];
  return `${problems > 0 ? 'Problems found' : 'All checks passed'}: ${parts.join(', ')}.`;
}

export interface TableOptions {
  /** Wrap the detail column so each line fits this many characters (default: no wrapping). */
  width?: number;
}

/** A plain-text table: `check | result | detail`, the detail wrapped onto continuation lines when `width` is given. */
export function formatTable(rows: readonly CheckRow[], options: TableOptions = {}): string {
  const headers = { check: 'check', result: 'result', detail: 'detail' };
  const checkWidth = Math.max(headers.check.length, ...rows.map((r) => r.check.length));
  const resultWidth = Math.max(headers.result.length, ...rows.map((r) => r.result.length));
  const indent = checkWidth + resultWidth + 6;
  const detailWidth = options.width ? Math.max(30, options.width - indent) : Infinity;
  const line = (check: string, result: string, detail: string) => `${check.padEnd(checkWidth)} | ${result.padEnd(resultWidth)} | ${detail}`.trimEnd();
  const out = [line(headers.check, headers.result, headers.detail), `${'-'.repeat(checkWidth)}-+-${'-'.repeat(resultWidth)}-+-${'-'.repeat(6)}`];
  for (const r of rows) {
    const [first, ...rest] = wrap(r.detail, detailWidth);
    out.push(line(r.check, r.result, first ?? ''));
    for (const more of rest) out.push(line('', '', more));
  }
  return out.join('\n');
}

function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) lines.push(current);
  return lines;
}
