/** A failure the emulator answers instead of the real handler, to exercise throttling and outages. */
export interface FaultSpec {
  /** Only this method (default: any). */
  method?: string;
  /** Only paths (after `/v1.0`, without the query) equal to this string or matching this pattern (default: any). */
  path?: string | RegExp;
  status: number;
  /** Default `TooManyRequests` for 429, `ServiceUnavailable` otherwise. */
  code?: string;
  message?: string;
  /** Sent as `Retry-After`. */
  retryAfterInSeconds?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
}

interface PendingFault {
  spec: FaultSpec;
  remaining: number;
}

export class FaultPlan {
  private faults: PendingFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching the request, used up by one. */
  take(method: string, path: string): FaultSpec | undefined {
    const fault = this.faults.find((f) => matches(f.spec, method, path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.spec;
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method) return false;
  if (spec.path === undefined) return true;
  return typeof spec.path === 'string' ? spec.path.toLowerCase() === path.toLowerCase() : spec.path.test(path);
}
