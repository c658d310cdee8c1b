/**
 * Names of catalog resources (groups, app roles) for the cards, looked up in the directory and cached.
 * A name is a nicety: a lookup that fails, is missing or is slow leaves the name undefined (the cards then
 * show the id) and never fails the caller.
 */
import type { Resource } from '../catalog/types';
import type { ResourceName } from '../domain/request';
import type { Clock, Directory, DirectoryGroup, DirectoryServicePrincipal, Logger } from './ports';

export type { ResourceName } from '../domain/request';

/** How long a looked-up name is trusted (directory names rarely change). */
export const RESOURCE_NAME_TTL_IN_MS = 3_600_000;
/** How long namesFor waits for the directory before answering without the missing names. */
export const RESOURCE_NAME_TIMEOUT_IN_MS = 3_000;
/** Above this many cache entries, expired ones are dropped (then the oldest) when a new one is added. */
const MAX_CACHE_ENTRIES = 2_000;

export interface ResourceNamerOptions {
  directory: Directory;
  clock: Clock;
  logger: Logger;
  /** Cache lifetime by the injected clock (default 1 hour). */
  ttlInMs?: number;
  /** Upper bound on how long namesFor waits for lookups, in real time (default 3 s); slower lookups still fill the cache. */
  timeoutInMs?: number;
}

type LookupKind = 'group' | 'servicePrincipal';
type Found = DirectoryGroup | DirectoryServicePrincipal;

interface CacheEntry {
  value: Found;
  fetchedAtInMs: number;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function keyOf(kind: LookupKind, id: string): string {
  return `${kind}:${id.toLowerCase()}`;
}

export class ResourceNamer {
  private readonly cache = new Map<string, CacheEntry>();
  /** Lookups under way, so concurrent callers (a submit during `warm`) share one directory call. */
  private readonly inFlight = new Map<string, Promise<Found | undefined>>();
  private readonly ttlInMs: number;
  private readonly timeoutInMs: number;

  constructor(private readonly options: ResourceNamerOptions) {
    this.ttlInMs = options.ttlInMs ?? RESOURCE_NAME_TTL_IN_MS;
    this.timeoutInMs = options.timeoutInMs ?? RESOURCE_NAME_TIMEOUT_IN_MS;
  }

  /** One name per resource, in the same order. Never rejects. */
  async namesFor(resources: readonly Resource[]): Promise<ResourceName[]> {
    const wanted = new Map<string, Promise<Found | undefined>>();
    for (const resource of resources) {
      const [kind, id] = resource.type === 'group' ? (['group', resource.groupId] as const) : (['servicePrincipal', resource.servicePrincipalId] as const);
      const key = keyOf(kind, id);
      if (!wanted.has(key)) wanted.set(key, this.lookup(kind, id));
    }
    const found = await this.settleWithin(wanted);
    return resources.map((resource) => this.nameOf(resource, found));
  }

  /** Fills the cache for these resources (e.g. the whole catalog at start-up). Never rejects. */
  async warm(resources: readonly Resource[]): Promise<void> {
    await this.namesFor(resources);
  }

  private nameOf(resource: Resource, found: Map<string, Found | undefined>): ResourceName {
    if (resource.type === 'group') {
      const group = found.get(keyOf('group', resource.groupId));
      return group ? { displayName: group.displayName } : {};
    }
    const sp = found.get(keyOf('servicePrincipal', resource.servicePrincipalId)) as DirectoryServicePrincipal | undefined;
    if (!sp) return {};
    const role = sp.appRoles.find((r) => r.id.toLowerCase() === resource.appRoleId.toLowerCase());
    if (!role) {
      this.options.logger.warn(
        { servicePrincipalId: resource.servicePrincipalId, appRoleId: resource.appRoleId },
        'app role not found on its service principal; the card shows its id',
      );
      return { appDisplayName: sp.displayName };
    }
    return { displayName: role.displayName, appDisplayName: sp.displayName };
  }

  /** The lookups' results; any not done within the timeout count as unknown (they go on filling the cache). */
  private async settleWithin(
    wanted: Map<string, Promise<Found | undefined>>,
  ): Promise<Map<string, Found | undefined>> {
    const found = new Map<string, Found | undefined>();
    const all = Promise.all([...wanted].map(async ([key, promise]) => found.set(key, await promise)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutInMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([all, timeout]);
      if (outcome === 'timeout') {
        this.options.logger.warn(
          { pending: [...wanted.keys()].filter((key) => !found.has(key)), timeoutInMs: this.timeoutInMs },
          'resource name lookup is slow; the card shows ids for now',
        );
      }
    } finally {
      clearTimeout(timer);
    }
    return new Map(found);
  }

  /** A cached value, or one directory call shared by everyone asking meanwhile. Resolves undefined on any failure. */
  private lookup(kind: LookupKind, id: string): Promise<Found | undefined> {
    const key = keyOf(kind, id);
    const cached = this.cache.get(key);
    if (cached && this.options.clock.now().getTime() - cached.fetchedAtInMs < this.ttlInMs) return Promise.resolve(cached.value);
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = this.fetch(kind, id).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async fetch(kind: LookupKind, id: string): Promise<Found | undefined> {
    const { directory, logger, clock } = this.options;
    const idField = kind === 'group' ? { groupId: id } : { servicePrincipalId: id };
    try {
      const value = kind === 'group' ? await directory.getGroup(id) : await directory.getServicePrincipal(id);
      if (!value) {
        logger.warn(idField, `${kind === 'group' ? 'group' : 'service principal'} not found in the directory; the card shows its id`);
        return undefined;
      }
      this.remember(keyOf(kind, id), { value, fetchedAtInMs: clock.now().getTime() });
      return value;
    } catch (err) {
      logger.warn({ ...idField, err: describe(err) }, 'resource name lookup failed; the card shows its id');
      return undefined;
    }
  }

  private remember(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size <= MAX_CACHE_ENTRIES) return;
    const now = this.options.clock.now().getTime();
    for (const [k, e] of this.cache) if (now - e.fetchedAtInMs >= this.ttlInMs) this.cache.delete(k);
    while (this.cache.size > MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
  }
}
