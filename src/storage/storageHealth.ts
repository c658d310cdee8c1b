/**
 * Is Table Storage answering? What /healthz reports: one cheap read (an entity that does not exist; 404 is a
 * healthy answer), made at most once every few seconds however often /healthz is asked, with no retries and a
 * short timeout. The reason names the failure without host names or keys (/healthz may be public); the log gets
 * the detail once, when storage goes from answering to not answering.
 */
import type { Logger } from '../app/ports';
import { describe } from '../app/describe';
import { restStatus, tableErrorCode, type Tables } from './tables';

const PROBE = { partitionKey: 'healthz', rowKey: 'probe' };
const DEFAULT_MAX_AGE_IN_MS = 3_000;
const PROBE_TIMEOUT_IN_MS = 2_000;

export class StorageHealth {
  private last?: { at: number; problem?: string };
  private probing?: Promise<string | undefined>;

  /** `tables` should be built without retries (see `probeTables` in index.ts): a probe must answer fast. */
  constructor(
    private readonly tables: Tables,
    private readonly logger: Logger,
    private readonly maxAgeInMs = DEFAULT_MAX_AGE_IN_MS,
  ) {}

  /** Why storage is not usable now, or undefined; from a probe at most `maxAgeInMs` old. */
  problem(): Promise<string | undefined> {
    if (this.last && Date.now() - this.last.at < this.maxAgeInMs) return Promise.resolve(this.last.problem);
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async probe(): Promise<string | undefined> {
    let problem: string | undefined;
    try {
      await this.tables.client('work').getEntity(PROBE.partitionKey, PROBE.rowKey, { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_IN_MS) });
    } catch (err) {
      // 404 for the entity is a healthy answer; for the table, it is not.
      if (restStatus(err) !== 404 || tableErrorCode(err) === 'TableNotFound') {
        problem = reasonOf(err);
        if (!this.last?.problem) this.logger.warn({ err: describe(err) }, 'Table Storage is not answering');
      }
    }
    if (this.last?.problem && !problem) this.logger.info({}, 'Table Storage answers again');
    this.last = { at: Date.now(), problem };
    return problem;
  }
}

function reasonOf(err: unknown): string {
  const status = restStatus(err);
  if (status !== undefined) {
    const code = tableErrorCode(err);
    return `Table Storage answered ${status}${code ? ` ${code}` : ''}`;
  }
  const { name, code } = (err ?? {}) as { name?: string; code?: unknown };
  if (name === 'AbortError' || name === 'TimeoutError') return `Table Storage did not answer within ${PROBE_TIMEOUT_IN_MS / 1000} s`;
  return `Table Storage is unreachable${typeof code === 'string' ? ` (${code})` : ''}`;
}
