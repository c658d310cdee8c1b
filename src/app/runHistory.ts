/**
 * When each request's effect runs last started or ended in this process, as a count of run starts and ends
 * (a moment). It tells whether a state read after some moment can still be trusted: no run of the request
 * started or ended since, so none did effects that state still lists or posted cards it lacks.
 */

/** A moment in a runner's history (see EffectRunner.mark and runFrom). */
export type RunMark = number;

/** How many requests' latest moments are remembered; older ones are forgotten, conservatively. */
const MAX_REMEMBERED = 10_000;

export class RunHistory {
  private moment = 0;
  private readonly last = new Map<string, RunMark>();
  /** The latest moment among the requests forgotten. */
  private forgottenUpTo = 0;

  now(): RunMark {
    return this.moment;
  }

  /** A run of the request starts or ends now. */
  note(requestId: string): void {
    this.last.delete(requestId);
    this.last.set(requestId, ++this.moment);
    if (this.last.size <= MAX_REMEMBERED) return;
    const [oldest, at] = this.last.entries().next().value as [string, RunMark];
    this.last.delete(oldest);
    this.forgottenUpTo = Math.max(this.forgottenUpTo, at);
  }

  /** No run of the request started or ended after `mark` (a forgotten request counts as touched when in doubt). */
  untouchedSince(requestId: string, mark: RunMark): boolean {
    const last = this.last.get(requestId);
    return last === undefined ? this.forgottenUpTo <= mark : last <= mark;
  }
}
