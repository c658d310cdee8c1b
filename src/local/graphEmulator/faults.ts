/** A failure or a delay the emulator applies instead of (or before) the real answer, to exercise throttling and outages. */
export interface FaultSpec {
  /** Only this method (default: any). */
  method?: string;
  /**
   * Only paths (after `/v1.0`, without the query) equal to this string or matching this pattern (default: any path
   * but the outer `/$batch` itself, so a fault reaches the requests inside a batch).
   */
  path?: string | RegExp;
  /** The error status to answer with; without it the fault only delays the real answer. */
  status?: number;
  /** Default per status: `TooManyRequests` (429), `Authorization_RequestDenied` (403), ... */
  code?: string;
  message?: string;
  /** Sent as `Retry-After`. */
  retryAfterInSeconds?: number;
  /** How many matching requests it applies to (default 1; `Infinity` until cleared). */
  times?: number;
  /** Probability that it applies to a matching request, in (0, 1] (default 1). */
  rate?: number;
  /** Makes `rate` deterministic: the same seed and the same requests give the same faults. */
  seed?: number;
  /** Answer this much later (the request itself is carried out at once, as a slow network would). */
  delayInMs?: number;
}

interface PendingFault {
  spec: FaultSpec;
  remaining: number;
  random: () => number;
}

/** mulberry32: a small seeded generator, good enough to pick which requests fail. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  private faults: PendingFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({
      spec,
      remaining: spec.times ?? 1,
      random: spec.seed !== undefined ? seededRandom(spec.seed) : Math.random,
    });
  }

  clear(): void {
    this.faults = [];
  }

  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec, times: f.remaining }));
  }

  /**
   * The first fault that applies to the request, used up by one. A fault with a rate draws once per matching
   * request; when the draw misses, the next matching fault gets its chance.
   */
  take(method: string, path: string, outerBatch = false): FaultSpec | undefined {
    const fault = this.faults.find((f) => matches(f.spec, method, path, outerBatch) && (f.spec.rate === undefined || f.random() < f.spec.rate));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.spec;
  }
}

function matches(spec: FaultSpec, method: string, path: string, outerBatch: boolean): boolean {
  if (spec.method && spec.method.toUpperCase() !== method) return false;
  if (spec.path === undefined) return !outerBatch;
  return typeof spec.path === 'string' ? spec.path.toLowerCase() === path.toLowerCase() : spec.path.test(path);
}
