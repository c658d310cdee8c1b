import { BATCH_LIMIT, type GraphAnswer, type GraphRequest } from './batch';
import { GraphCallError } from './errors';
import { UnexpectedGraphResponseError } from './responses';
import { RetryBudget, type RetryEnvironment, type RetryOptions } from './retry';

export type FailedOutcome = { status: 'failed'; transient: boolean; error: string };

/** One resource's work as a chain of Graph calls: each answer ends it or names the next call. */
export interface Step<O> {
  request: GraphRequest;
  /** Reads an answer that is not transient (transient ones are retried by the runner). May throw UnexpectedGraphResponseError. */
  settle(answer: GraphAnswer): Settled<O>;
}

export type Settled<O> = { done: O | FailedOutcome } | { then: Step<O> };

/** Sends 1 to 20 requests in one HTTP round trip; throws a GraphCallError when the round trip itself fails. */
export type SendBatch = (requests: readonly GraphRequest[]) => Promise<GraphAnswer[]>;

export function failedWith(error: GraphCallError): FailedOutcome {
  return { status: 'failed', transient: error.transient, error: error.message };
}

interface Pending<O> {
  index: number;
  step: Step<O>;
  /** Attempts of the current step's request. */
  attempts: number;
}

interface Transient<O> {
  item: Pending<O>;
  error: GraphCallError;
}

/**
 * Runs many resources' steps in rounds: each round sends every pending request in `$batch`es of at most 20 (one
 * round trip each), settles each inner answer on its own, and retries the transient ones in the next round after
 * the longest Retry-After asked (or a jittered backoff), within the retry budget of this run.
 */
export class BatchRunner {
  constructor(
    private readonly sendBatch: SendBatch,
    private readonly retry: RetryOptions,
    private readonly env: RetryEnvironment,
  ) {}

  async run<O>(steps: readonly Step<O>[]): Promise<Array<O | FailedOutcome>> {
    const budget = new RetryBudget(this.retry, this.env);
    const outcomes = new Array<O | FailedOutcome>(steps.length);
    let pending: Pending<O>[] = steps.map((step, index) => ({ index, step, attempts: 0 }));

    while (pending.length > 0) {
      const answers = await this.sendAll(pending.map((p) => p.step.request));
      const next: Pending<O>[] = [];
      const transient: Transient<O>[] = [];
      pending.forEach((item, i) => {
        const answer = answers[i];
        item.attempts += 1;
        if (answer instanceof UnexpectedGraphResponseError) {
          outcomes[item.index] = { status: 'failed', transient: false, error: answer.message };
        } else if (!answer.ok && answer.error.transient) {
          transient.push({ item, error: answer.error });
        } else {
          const settled = settle(item.step, answer);
          if ('done' in settled) outcomes[item.index] = settled.done;
          else next.push({ index: item.index, step: settled.then, attempts: 0 });
        }
      });

      const { retrying, delay } = planRetry(budget, transient);
      for (const t of transient) {
        if (!retrying.includes(t.item)) outcomes[t.item.index] = failedWith(t.error);
      }
      if (retrying.length > 0) {
        await budget.sleep(delay);
        next.push(...retrying);
      }
      pending = next.sort((a, b) => a.index - b.index);
    }
    return outcomes;
  }

  /** One answer per request, in order; a failed round trip answers each of its requests with its error. */
  private async sendAll(requests: GraphRequest[]): Promise<Array<GraphAnswer | UnexpectedGraphResponseError>> {
    const answers: Array<GraphAnswer | UnexpectedGraphResponseError> = [];
    // One batch after another: parallel batches would only add to the throttling they can cause.
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
      const chunk = requests.slice(i, i + BATCH_LIMIT);
      try {
        answers.push(...(await this.sendBatch(chunk)));
      } catch (err) {
        if (err instanceof GraphCallError) answers.push(...chunk.map((): GraphAnswer => ({ ok: false, error: err })));
        else if (err instanceof UnexpectedGraphResponseError) answers.push(...chunk.map(() => err));
        else throw err;
      }
    }
    return answers;
  }
}

function settle<O>(step: Step<O>, answer: GraphAnswer): Settled<O> {
  try {
    return step.settle(answer);
  } catch (err) {
    if (!(err instanceof UnexpectedGraphResponseError)) throw err;
    return { done: { status: 'failed', transient: false, error: err.message } };
  }
}

/**
 * Which transient requests get another attempt, and the wait before it: the longest Retry-After asked among them,
 * or one jittered backoff when none asked. A request out of attempts, or whose Retry-After the budget cannot
 * afford, is left to the caller.
 */
function planRetry<O>(budget: RetryBudget, transient: Transient<O>[]): { retrying: Pending<O>[]; delay: number } {
  const candidates = transient.filter((t) => budget.allowsAnotherAttempt(t.item.attempts));
  const unasked = candidates.filter((t) => t.error.retryAfterInMs === undefined);
  const backoff = unasked.length > 0 ? budget.delayBefore(Math.max(...unasked.map((t) => t.item.attempts)), undefined) : undefined;
  const retrying: Pending<O>[] = [];
  let delay = 0;
  for (const t of candidates) {
    const wait = t.error.retryAfterInMs === undefined ? backoff : budget.delayBefore(t.item.attempts, t.error.retryAfterInMs);
    if (wait === undefined) continue;
    retrying.push(t.item);
    delay = Math.max(delay, wait);
  }
  return { retrying, delay };
}
