import type { RequestRecord, WriteRecord } from './emulator';

/** A fault as `POST /_emulator/faults` takes it; a switch that stays on until cleared unless `times` is given. */
export interface HttpFault {
  status?: 403 | 404 | 429 | 500 | 502 | 503 | 504;
  retryAfterInSeconds?: number;
  /** Probability per matching request, in (0, 1]. */
  rate?: number;
  /** Makes `rate` deterministic. */
  seed?: number;
  /** Matches request paths (after `/v1.0`) containing this text; `/$batch` targets whole batches. */
  path?: string;
  method?: 'GET' | 'POST' | 'DELETE';
  times?: number;
  delayInMs?: number;
  code?: string;
  message?: string;
}

export class EmulatorControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorControlError';
  }
}

/**
 * Drives a Graph emulator running in another process, over its `/_emulator` endpoints. Build it from the
 * emulator's `controlUrl`, or from GRAPH_BASE_URL with `fromGraphBaseUrl`.
 */
export class GraphEmulatorControl {
  constructor(private readonly controlUrl: string) {}

  /** `http://127.0.0.1:PORT/v1.0` → the control client of that emulator. */
  static fromGraphBaseUrl(graphBaseUrl: string): GraphEmulatorControl {
    return new GraphEmulatorControl(new URL('/_emulator', graphBaseUrl).toString());
  }

  async setFault(fault: HttpFault): Promise<void> {
    await this.call('POST', '/faults', fault);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async writes(): Promise<WriteRecord[]> {
    return ((await this.call('GET', '/writes')) as { value: WriteRecord[] }).value;
  }

  /** Successful writes (2xx) whose path contains `pathContains`: "membership written once" is a count of 1. */
  async successfulWrites(pathContains: string): Promise<WriteRecord[]> {
    const needle = pathContains.toLowerCase();
    return (await this.writes()).filter((w) => w.status >= 200 && w.status < 300 && w.path.toLowerCase().includes(needle));
  }

  async requests(): Promise<RequestRecord[]> {
    return ((await this.call('GET', '/requests')) as { value: RequestRecord[] }).value;
  }

  /** Withdraws a Microsoft Graph application permission from the emulator's caller (calls only it allowed answer 403). */
  async withdrawPermission(permission: string): Promise<void> {
    await this.call('DELETE', `/permissions/${encodeURIComponent(permission)}`);
  }

  async grantPermission(permission: string): Promise<void> {
    await this.call('PUT', `/permissions/${encodeURIComponent(permission)}`);
  }

  /** The application permissions granted to the emulator's caller now. */
  async grantedPermissions(): Promise<string[]> {
    return ((await this.call('GET', '/permissions')) as { granted: string[] }).granted;
  }

  async groupMembers(groupId: string): Promise<string[]> {
    return ((await this.call('GET', `/state/groups/${encodeURIComponent(groupId)}/members`)) as { value: string[] }).value;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.controlUrl}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new EmulatorControlError(res.status, `${method} ${this.controlUrl}${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
