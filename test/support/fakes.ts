/**
 * In-memory fakes of the ports in src/app/ports.ts, faithful to their doc comments, for fast unit tests
 * of the use-cases and the effect runner. Every fake hands out copies, so a caller cannot change what
 * it stored by editing an object it got back (or passed in).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppContext } from '../../src/app/context';
import type {
  ApprovalIndex,
  AssignmentStore,
  PackageIndex,
  AuditEntry,
  AuditNote,
  Clock,
  CommitOptions,
  ConversationRecord,
  ConversationStore,
  Directory,
  FailedRequestsIndex,
  PackageClaim,
  PackageClaims,
  DirectoryGroup,
  DirectoryServicePrincipal,
  DirectoryUser,
  GrantOutcome,
  RevokeOutcome,
  Lease,
  LoadedRequest,
  Logger,
  Notifier,
  PendingEffect,
  PostedCard,
  Provisioner,
  RecordOptions,
  RequesterPage,
  RequesterPageQuery,
  RequestStore,
  ScheduleIndex,
  StoredAssignment,
  MadeDecision,
  WaitingApproval,
  SendOutcome,
  UpdateOutcome,
} from '../../src/app/ports';
import type { ApprovalEntry } from '../../src/domain/approvalInbox';
import type { Assignment } from '../../src/domain/assignment';
import type { PackageRequestRow } from '../../src/domain/packageIndex';
import { ResourceNamer } from '../../src/app/resourceNames';
import { parseCatalog, type CatalogIndex } from '../../src/catalog/loader';
import type { Resource } from '../../src/catalog/types';
import type { CardKind, Effect } from '../../src/domain/effects';
import { ConcurrencyError, ConflictError } from '../../src/domain/errors';
import { summarizeTransition } from '../../src/domain/audit';
import type { AccessRequest } from '../../src/domain/request';
import { comparePositions, isOver, positionOf } from '../../src/domain/requesterOverview';
import { dueItemKey, type DueItem } from '../../src/domain/schedule';
import { normalizeDueItem } from '../../src/storage/scheduleIndex';

const REPO_ROOT = join(__dirname, '..', '..');

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Lets other pending work run first, the way a real I/O call would (so concurrent callers interleave). */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// The demo tenant (directory.sample.json) and catalog (catalog.sample.json)

/** Object ids of the demo tenant, by first name. */
export const demo = {
  users: {
    adele: '11111111-0000-4000-8000-000000000001', // Sales, manager Diego
    diego: '11111111-0000-4000-8000-000000000002', // Sales manager, in CRM Approvers; manager Patti
    patti: '11111111-0000-4000-8000-000000000003', // VP, catalog owner, no manager
    lee: '11111111-0000-4000-8000-000000000004', // IT, fallback approver of crm-users and the administrator
    megan: '11111111-0000-4000-8000-000000000005', // Marketing, in Sales Leads (nested in CRM Approvers)
    isaiah: '11111111-0000-4000-8000-000000000006', // Sales, manager Diego
    grady: '11111111-0000-4000-8000-000000000007', // Guest
  },
  groups: {
    crmUsers: '22222222-0000-4000-8000-000000000001',
    salesTeam: '22222222-0000-4000-8000-000000000002',
    crmApprovers: '22222222-0000-4000-8000-000000000003', // Diego + nested Sales Leads (Megan)
    salesLeads: '22222222-0000-4000-8000-000000000004',
    marketingTeam: '22222222-0000-4000-8000-000000000005',
  },
  servicePrincipals: { crm: '33333333-0000-4000-8000-000000000001' },
  appRoles: { crmReader: '44444444-0000-4000-8000-000000000001' },
} as const;

export function readJsonFile(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(REPO_ROOT, relativePath), 'utf8'));
}

/** catalog.sample.json as plain JSON (a fresh copy each call, to edit in a test). */
export function sampleCatalogJson(): { catalogs: Array<Record<string, unknown>>; administrators: string[] } {
  return readJsonFile('catalog.sample.json') as { catalogs: Array<Record<string, unknown>>; administrators: string[] };
}

/** The validated sample catalog. */
export function sampleCatalog(): CatalogIndex {
  return parseCatalog(sampleCatalogJson(), 'catalog.sample.json');
}

export type JsonPath = ReadonlyArray<string | number>;
type JsonContainer = Record<string | number, unknown>;

/** The object or array at `path` inside parsed JSON (throws when there is none). */
export function jsonAt(json: unknown, path: JsonPath): JsonContainer {
  let node = json;
  for (const part of path) {
    if (node === null || typeof node !== 'object') throw new Error(`test setup: nothing at ${path.join('.')}`);
    node = (node as JsonContainer)[part];
  }
  if (node === null || typeof node !== 'object') throw new Error(`test setup: ${path.join('.')} is not an object or array`);
  return node as JsonContainer;
}

/** Sets (or, for `undefined`, removes) the value at each path, in place; returns `json`. */
export function editJson<T>(json: T, ...edits: Array<[JsonPath, unknown]>): T {
  for (const [path, value] of edits) {
    const parent = jsonAt(json, path.slice(0, -1));
    const key = path[path.length - 1];
    if (value === undefined) delete parent[key];
    else parent[key] = value;
  }
  return json;
}

/** catalog.sample.json as JSON with some values changed. */
export function sampleCatalogJsonWith(...edits: Array<[JsonPath, unknown]>): unknown {
  return editJson(sampleCatalogJson(), ...edits);
}

/** The sample catalog, validated, with some values changed. */
export function sampleCatalogWith(...edits: Array<[JsonPath, unknown]>): CatalogIndex {
  return parseCatalog(sampleCatalogJsonWith(...edits), 'catalog.sample.json');
}

// ---------------------------------------------------------------------------------------------
// Clock and logger

export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-03-02T09:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }

  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }

  advanceDays(days: number): Date {
    return this.advance(days * 86_400_000);
  }
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** A logger that keeps what it was told, for tests that check a warning was given. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  at(level: LogEntry['level']): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }
}

// ---------------------------------------------------------------------------------------------
// RequestStore

interface Partition {
  request: AccessRequest;
  etag: string;
  cards: PostedCard[];
  effects: PendingEffect[];
  /** Insertion order, to sort listByRequester's ties. */
  createdSeq: number;
  /** The audit trail, append-only, oldest first. */
  audit: AuditEntry[];
}

/** The 'transition' row and the notes of one write, like the Table store's audit rows. */
function auditEntries(previous: AccessRequest | undefined, next: AccessRequest, options: CommitOptions): AuditEntry[] {
  const { states, detail } = summarizeTransition(previous, next);
  const notes: AuditNote[] = [{ action: 'transition', outcome: states, ...(detail ? { detail } : {}) }, ...(options.audit ?? [])];
  return notes.map((note) => ({ ...note, version: next.version, at: next.updatedAt, ...(options.actorId ? { actorId: options.actorId } : {}) }));
}

/**
 * Effect ids `<version>-<index>`, zero-padded like the Table store's: they sort in creation order, because
 * every commit that adds effects raises the version.
 */
function newEffects(version: number, origin: string, effects: Effect[] = []): PendingEffect[] {
  const prefix = String(version).padStart(10, '0');
  return effects.map((effect, i) => ({ id: `${prefix}-${String(i).padStart(4, '0')}`, effect: copy(effect), origin }));
}

function upsertCards(existing: PostedCard[], cards: PostedCard[]): PostedCard[] {
  const out = [...existing];
  for (const card of cards) {
    const at = out.findIndex((c) => c.recipientId === card.recipientId && c.card === card.card && c.postedBy === card.postedBy);
    if (at >= 0) out[at] = copy(card);
    else out.push(copy(card));
  }
  return out;
}

/**
 * RequestStore in memory, with the Table store's semantics: every write of the request row changes the
 * ETag; `commit` with a stale ETag throws ConcurrencyError and changes nothing; `create` of an existing id
 * throws ConflictError('error.requestExists').
 */
export class InMemoryRequestStore implements RequestStore {
  readonly origin = 'in-memory';
  private readonly partitions = new Map<string, Partition>();
  /** The outbox index: request id → order in which it was (first) indexed. */
  private readonly outboxIndex = new Map<string, number>();
  private etagSeq = 0;
  private seq = 0;
  /** How many times each method was called (for tests that check nothing was written). */
  readonly calls = { create: 0, get: 0, commit: 0, record: 0 };

  private nextEtag(): string {
    return `W/"etag-${++this.etagSeq}"`;
  }

  private index(requestId: string): void {
    if (!this.outboxIndex.has(requestId)) this.outboxIndex.set(requestId, ++this.seq);
  }

  private loaded(p: Partition): LoadedRequest {
    return copy({ request: p.request, etag: p.etag, cards: p.cards, effects: [...p.effects].sort((a, b) => a.id.localeCompare(b.id)) });
  }

  async create(request: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
    this.calls.create++;
    const snapshot = copy({ request, options });
    await tick();
    if (this.partitions.has(request.id)) throw new ConflictError('error.requestExists', { requestId: request.id });
    const partition: Partition = {
      request: snapshot.request,
      etag: this.nextEtag(),
      cards: upsertCards([], snapshot.options.cards ?? []),
      effects: newEffects(request.version, this.origin, snapshot.options.effects),
      createdSeq: ++this.seq,
      audit: auditEntries(undefined, snapshot.request, snapshot.options),
    };
    this.partitions.set(request.id, partition);
    if (partition.effects.length) this.index(request.id);
    return this.loaded(partition);
  }

  async get(requestId: string): Promise<LoadedRequest | undefined> {
    this.calls.get++;
    await tick();
    const p = this.partitions.get(requestId);
    return p ? this.loaded(p) : undefined;
  }

  async commit(loaded: LoadedRequest, next: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
    this.calls.commit++;
    const current = loaded.request;
    if (next.id !== current.id) throw new Error(`commit of request ${current.id} was given request ${next.id}`);
    if (next.version !== current.version + 1) {
      throw new Error(`commit of request ${next.id}: version must be ${current.version + 1}, not ${next.version}`);
    }
    const snapshot = copy({ next, options, etag: loaded.etag });
    await tick();
    const p = this.partitions.get(next.id);
    if (!p || p.etag !== snapshot.etag) throw new ConcurrencyError(`request ${next.id}`);
    const done = new Set(snapshot.options.completedEffectIds ?? []);
    const added = newEffects(next.version, this.origin, snapshot.options.effects);
    p.audit.push(...auditEntries(p.request, snapshot.next, snapshot.options));
    p.request = snapshot.next;
    p.etag = this.nextEtag();
    p.effects = [...p.effects.filter((e) => !done.has(e.id)), ...added];
    p.cards = upsertCards(p.cards, snapshot.options.cards ?? []);
    if (added.length) this.index(next.id);
    return this.loaded(p);
  }

  async record(loaded: LoadedRequest, options: RecordOptions): Promise<LoadedRequest> {
    this.calls.record++;
    const requestId = loaded.request.id;
    const snapshot = copy(options);
    await tick();
    const p = this.partitions.get(requestId);
    if (!p) throw new Error(`record for unknown request ${requestId}`);
    const done = new Set(snapshot.completedEffectIds ?? []);
    p.effects = p.effects.filter((e) => !done.has(e.id));
    p.cards = upsertCards(p.cards, snapshot.cards ?? []);
    // Like the Table store: under the version of the commit that wrote the first completed effect.
    const effectVersion = Number(/^(\d+)-/.exec(snapshot.completedEffectIds?.[0] ?? '')?.[1]);
    const version = Number.isSafeInteger(effectVersion) ? effectVersion : loaded.request.version;
    const at = snapshot.at ?? new Date().toISOString();
    p.audit.push(...(snapshot.audit ?? []).map((note) => ({ ...note, version, at, ...(snapshot.actorId ? { actorId: snapshot.actorId } : {}) })));
    return copy({ ...loaded, cards: upsertCards(loaded.cards, snapshot.cards ?? []), effects: loaded.effects.filter((e) => !done.has(e.id)) });
  }

  async listRequestsWithPendingEffects(limit: number): Promise<string[]> {
    await tick();
    return [...this.outboxIndex.entries()]
      .sort((a, b) => a[1] - b[1])
      .slice(0, Math.max(0, limit))
      .map(([id]) => id);
  }

  async releaseIfIdle(requestId: string): Promise<void> {
    await tick();
    const p = this.partitions.get(requestId);
    if (!p || p.effects.length === 0) this.outboxIndex.delete(requestId);
  }

  async listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    await tick();
    return [...this.partitions.values()]
      .filter((p) => p.request.requester.id === requesterId)
      .sort((a, b) => b.request.submittedAt.localeCompare(a.request.submittedAt) || b.createdSeq - a.createdSeq)
      .slice(0, Math.max(0, limit))
      .map((p) => copy(p.request));
  }

  /** As the Table store pages it (newest first by submit time, then id), without its index: read from the requests. */
  async pageOfRequester(requesterId: string, query: RequesterPageQuery): Promise<RequesterPage> {
    await tick();
    const all = [...this.partitions.values()]
      .map((p) => p.request)
      .filter((r) => r.requester.id === requesterId)
      .sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
    const after = (from?: { time: number; requestId: string }) => (r: AccessRequest) => !from || comparePositions(positionOf(r), from) > 0;
    const page: RequesterPage = { current: [], currentNotShown: 0, finished: [] };
    if (query.current) {
      const following = all.filter((r) => !isOver(r)).filter(after(query.current.after));
      page.current = following.slice(0, Math.max(0, query.current.limit)).map(copy);
      page.currentNotShown = following.length - page.current.length;
      if (page.currentNotShown > 0) page.currentNext = page.current.length ? positionOf(page.current[page.current.length - 1]) : query.current.after;
    }
    if (query.history) {
      const following = all.filter(after(query.history.after));
      const read = following.slice(0, Math.max(0, query.history.limit));
      page.finished = read.filter(isOver).map(copy);
      if (following.length > read.length && read.length) page.historyNext = positionOf(read[read.length - 1]);
    }
    return page;
  }

  async listAudit(requestId: string): Promise<AuditEntry[]> {
    await tick();
    return copy(this.partitions.get(requestId)?.audit ?? []);
  }

  // Test helpers (synchronous, no I/O semantics) ---------------------------------------------

  /** The stored partition as a LoadedRequest, or undefined. */
  peek(requestId: string): LoadedRequest | undefined {
    const p = this.partitions.get(requestId);
    return p ? this.loaded(p) : undefined;
  }

  /** The same storage as another bot process sees it: the effects it commits carry `origin`. */
  asProcess(origin: string): InMemoryRequestStore {
    return Object.create(this, { origin: { value: origin } }) as InMemoryRequestStore;
  }

  /** Ids of every stored request. */
  ids(): string[] {
    return [...this.partitions.keys()];
  }

  /** Whether the request is in the outbox index. */
  isIndexed(requestId: string): boolean {
    return this.outboxIndex.has(requestId);
  }
}

// ---------------------------------------------------------------------------------------------
// Schedule index and lease

/** ScheduleIndex in memory, keyed like the Table index: dueAt normalised with toISOString, items in key order. */
export class InMemoryScheduleIndex implements ScheduleIndex {
  private readonly rows = new Map<string, DueItem>();
  readonly calls = { add: 0, listDue: 0, remove: 0 };

  async add(items: DueItem[]): Promise<void> {
    this.calls.add++;
    const normalized = items.map(normalizeDueItem);
    await tick();
    for (const item of normalized) this.rows.set(dueItemKey(item), item);
  }

  async listDue(now: Date, limit: number): Promise<DueItem[]> {
    this.calls.listDue++;
    const at = now.getTime();
    await tick();
    return this.items()
      .filter((item) => Date.parse(item.dueAt) <= at)
      .slice(0, Math.max(0, limit));
  }

  async remove(item: DueItem): Promise<void> {
    this.calls.remove++;
    const key = dueItemKey(normalizeDueItem(item));
    await tick();
    this.rows.delete(key);
  }

  // Test helpers --------------------------------------------------------------------------------

  /** Every stored item, earliest first. */
  items(): DueItem[] {
    return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => copy(item));
  }
}

/** FailedRequestsIndex in memory: request ids per catalog, in id order like the Table index's RowKeys. */
/** PackageClaims in memory: a version per record stands in for the ETag. */
export class InMemoryPackageClaims implements PackageClaims {
  private readonly records = new Map<string, { requestId: string; claimedAt: string; version: number }>();

  private static key(personId: string, packageId: string): string {
    return `${personId.toLowerCase()}|${packageId}`;
  }

  async latest(personId: string, packageId: string): Promise<PackageClaim | undefined> {
    const record = this.records.get(InMemoryPackageClaims.key(personId, packageId));
    return record && { requestId: record.requestId, claimedAt: record.claimedAt, etag: String(record.version) };
  }

  async listForPerson(personId: string): Promise<Array<{ packageId: string; requestId: string }>> {
    const prefix = `${personId.toLowerCase()}|`;
    return [...this.records].filter(([key]) => key.startsWith(prefix)).map(([key, r]) => ({ packageId: key.slice(prefix.length), requestId: r.requestId }));
  }

  async claim(personId: string, packageId: string, requestId: string, claimedAt: string, previous: PackageClaim | undefined): Promise<boolean> {
    const key = InMemoryPackageClaims.key(personId, packageId);
    const current = this.records.get(key);
    if (previous ? current?.version !== Number(previous.etag) : current !== undefined) return false;
    this.records.set(key, { requestId, claimedAt, version: (current?.version ?? 0) + 1 });
    return true;
  }
}

export class InMemoryApprovalIndex implements ApprovalIndex {
  private readonly waiting = new Map<string, Map<string, WaitingApproval>>();
  private readonly decided = new Map<string, Map<string, MadeDecision>>();

  private static of<T>(map: Map<string, Map<string, T>>, approverId: string): Map<string, T> {
    const key = approverId.toLowerCase();
    const found = map.get(key) ?? new Map<string, T>();
    map.set(key, found);
    return found;
  }

  async set(approverId: string, requestId: string, entry: ApprovalEntry | undefined): Promise<void> {
    await tick();
    const waiting = InMemoryApprovalIndex.of(this.waiting, approverId);
    if (entry?.kind === 'waiting') {
      waiting.set(requestId, { requestId, dueAt: entry.dueAt });
      return;
    }
    waiting.delete(requestId);
    if (entry) InMemoryApprovalIndex.of(this.decided, approverId).set(requestId, { requestId, at: entry.at, outcome: entry.outcome });
  }

  async waitingFor(approverId: string): Promise<WaitingApproval[]> {
    return [...InMemoryApprovalIndex.of(this.waiting, approverId).values()];
  }

  async decidedBy(approverId: string, limit: number): Promise<MadeDecision[]> {
    return [...InMemoryApprovalIndex.of(this.decided, approverId).values()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
  }
}

export class InMemoryPackageIndex implements PackageIndex {
  private readonly rows = new Map<string, Map<string, PackageRequestRow>>();
  private readonly held = new Map<string, Map<string, Assignment>>();

  private static of<T>(map: Map<string, Map<string, T>>, packageId: string): Map<string, T> {
    const found = map.get(packageId) ?? new Map<string, T>();
    map.set(packageId, found);
    return found;
  }

  async setRequest(packageId: string, requestId: string, row: PackageRequestRow | undefined): Promise<void> {
    await tick();
    const rows = InMemoryPackageIndex.of(this.rows, packageId);
    if (row) rows.set(requestId, structuredClone(row));
    else rows.delete(requestId);
  }

  async setAssignment(assignment: Assignment): Promise<void> {
    await tick();
    InMemoryPackageIndex.of(this.held, assignment.packageId).set(assignment.personId, structuredClone(assignment));
  }

  async requests(packageId: string): Promise<PackageRequestRow[]> {
    return [...InMemoryPackageIndex.of(this.rows, packageId).values()].map((row) => structuredClone(row));
  }

  async assignments(packageId: string): Promise<Assignment[]> {
    return [...InMemoryPackageIndex.of(this.held, packageId).values()].map((a) => structuredClone(a));
  }
}

export class InMemoryAssignmentStore implements AssignmentStore {
  private readonly records = new Map<string, { assignment: Assignment; version: number }>();

  private static key(personId: string, packageId: string): string {
    return `${personId.toLowerCase()}|${packageId}`;
  }

  async get(personId: string, packageId: string): Promise<StoredAssignment | undefined> {
    await tick();
    const record = this.records.get(InMemoryAssignmentStore.key(personId, packageId));
    return record && { assignment: structuredClone(record.assignment), etag: String(record.version) };
  }

  async put(assignment: Assignment, previous: StoredAssignment | undefined): Promise<boolean> {
    await tick();
    const key = InMemoryAssignmentStore.key(assignment.personId, assignment.packageId);
    const current = this.records.get(key);
    if (previous ? current?.version !== Number(previous.etag) : current !== undefined) return false;
    this.records.set(key, { assignment: structuredClone(assignment), version: (current?.version ?? 0) + 1 });
    return true;
  }

  async listForPerson(personId: string): Promise<Assignment[]> {
    const prefix = `${personId.toLowerCase()}|`;
    return [...this.records].filter(([key]) => key.startsWith(prefix)).map(([, r]) => structuredClone(r.assignment));
  }
}

export class InMemoryFailedRequestsIndex implements FailedRequestsIndex {
  private readonly byCatalog = new Map<string, Set<string>>();

  async add(catalogId: string, requestId: string): Promise<void> {
    await tick();
    const ids = this.byCatalog.get(catalogId) ?? new Set<string>();
    ids.add(requestId);
    this.byCatalog.set(catalogId, ids);
  }

  async remove(catalogId: string, requestId: string): Promise<void> {
    await tick();
    this.byCatalog.get(catalogId)?.delete(requestId);
  }

  async list(catalogId: string, limit: number): Promise<string[]> {
    await tick();
    return [...(this.byCatalog.get(catalogId) ?? [])].sort().slice(0, Math.max(0, limit));
  }
}

/** Lease in memory: one holder per name until its expiry (by the `now` each caller passes). */
/** ConversationStore in memory: records by kind and key, replaced whole on upsert. */
export class InMemoryConversationStore implements ConversationStore {
  readonly records = new Map<string, ConversationRecord>();

  async upsert(record: ConversationRecord): Promise<void> {
    await tick();
    this.records.set(`${record.kind}|${record.key}`, copy(record));
  }

  async get(kind: ConversationRecord['kind'], key: string): Promise<ConversationRecord | undefined> {
    await tick();
    const record = this.records.get(`${kind}|${key}`);
    return record && copy(record);
  }

  async delete(kind: ConversationRecord['kind'], key: string, conversationId?: string): Promise<void> {
    await tick();
    const record = this.records.get(`${kind}|${key}`);
    if (record && (conversationId === undefined || record.conversationId === conversationId)) this.records.delete(`${kind}|${key}`);
  }
}

export class InMemoryLease implements Lease {
  private readonly leases = new Map<string, { holder: string; expiresAtInMs: number }>();

  async acquire(name: string, holder: string, ttlInMs: number, now: Date): Promise<boolean> {
    await tick();
    const current = this.leases.get(name);
    if (current && current.holder !== holder && current.expiresAtInMs > now.getTime()) return false;
    this.leases.set(name, { holder, expiresAtInMs: now.getTime() + ttlInMs });
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    await tick();
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  /** Who holds the lease now (expired or not), for assertions. */
  holderOf(name: string): string | undefined {
    return this.leases.get(name)?.holder;
  }
}

// ---------------------------------------------------------------------------------------------
// Directory

/** A directory user as a test seeds it: a member with an enabled account unless it says otherwise. */
export interface DirectorySeedUser extends Omit<DirectoryUser, 'userType' | 'accountEnabled'>, Partial<Pick<DirectoryUser, 'userType' | 'accountEnabled'>> {
  managerId?: string;
  userPrincipalName?: string;
}

export interface DirectorySeedGroup {
  id: string;
  displayName?: string;
  description?: string;
  /** User or group ids (nested groups are expanded by listTransitiveMemberUserIds). */
  members?: string[];
  owners?: string[];
}

export interface DirectorySeedServicePrincipal {
  id: string;
  appId?: string;
  displayName: string;
  appRoles?: Array<{ id: string; displayName: string; value?: string; description?: string }>;
}

/** The directory.sample.json format (other sections are ignored). */
export interface DirectorySeed {
  users?: DirectorySeedUser[];
  groups?: DirectorySeedGroup[];
  servicePrincipals?: DirectorySeedServicePrincipal[];
}

export function sampleDirectorySeed(): DirectorySeed {
  return readJsonFile('directory.sample.json') as DirectorySeed;
}

/** Directory over a seed: users, managers, groups with nested groups. */
export class FakeDirectory implements Directory {
  private readonly users = new Map<string, DirectorySeedUser>();
  private readonly groups = new Map<string, DirectorySeedGroup>();
  private readonly servicePrincipals = new Map<string, DirectorySeedServicePrincipal>();
  readonly calls = {
    getUser: 0,
    getManager: 0,
    listTransitiveMemberUserIds: 0,
    checkMemberGroups: 0,
    getGroup: 0,
    getServicePrincipal: 0,
  };

  constructor(seed: DirectorySeed = sampleDirectorySeed()) {
    for (const user of seed.users ?? []) this.users.set(user.id, copy(user));
    for (const group of seed.groups ?? []) this.groups.set(group.id, copy(group));
    for (const sp of seed.servicePrincipals ?? []) this.servicePrincipals.set(sp.id, copy(sp));
  }

  static sample(): FakeDirectory {
    return new FakeDirectory(sampleDirectorySeed());
  }

  private toUser(seed: DirectorySeedUser): DirectoryUser {
    return {
      id: seed.id,
      displayName: seed.displayName,
      mail: seed.mail,
      department: seed.department,
      jobTitle: seed.jobTitle,
      companyName: seed.companyName,
      userType: seed.userType ?? 'Member',
      accountEnabled: seed.accountEnabled ?? true,
    };
  }

  async getUser(userId: string): Promise<DirectoryUser | undefined> {
    this.calls.getUser++;
    await tick();
    const user = this.users.get(userId);
    return user ? this.toUser(user) : undefined;
  }

  async getManager(userId: string): Promise<DirectoryUser | undefined> {
    this.calls.getManager++;
    await tick();
    const managerId = this.users.get(userId)?.managerId;
    const manager = managerId ? this.users.get(managerId) : undefined;
    return manager ? this.toUser(manager) : undefined;
  }

  async listTransitiveMemberUserIds(groupId: string): Promise<string[]> {
    this.calls.listTransitiveMemberUserIds++;
    await tick();
    if (!this.groups.has(groupId)) throw new Error(`Request_ResourceNotFound: group ${groupId} does not exist`);
    return this.transitiveUsers(groupId);
  }

  async checkMemberGroups(userId: string, groupIds: string[]): Promise<string[]> {
    this.calls.checkMemberGroups++;
    await tick();
    return groupIds.filter((g) => this.groups.has(g) && this.transitiveUsers(g).includes(userId));
  }

  async getGroup(groupId: string): Promise<DirectoryGroup | undefined> {
    this.calls.getGroup++;
    await tick();
    const group = this.groups.get(groupId);
    return group ? { id: group.id, displayName: group.displayName ?? group.id } : undefined;
  }

  async getServicePrincipal(servicePrincipalId: string): Promise<DirectoryServicePrincipal | undefined> {
    this.calls.getServicePrincipal++;
    await tick();
    const sp = this.servicePrincipals.get(servicePrincipalId);
    if (!sp) return undefined;
    return {
      id: sp.id,
      displayName: sp.displayName,
      appRoles: (sp.appRoles ?? []).map((r) => ({ id: r.id, displayName: r.displayName, ...(r.value ? { value: r.value } : {}) })),
    };
  }

  private transitiveUsers(groupId: string): string[] {
    const users = new Set<string>();
    const seen = new Set<string>();
    const visit = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const member of this.groups.get(id)?.members ?? []) {
        if (this.groups.has(member)) visit(member);
        else if (this.users.has(member)) users.add(member);
      }
    };
    visit(groupId);
    return [...users];
  }

  // Test helpers ------------------------------------------------------------------------------

  addUser(user: DirectorySeedUser): void {
    this.users.set(user.id, copy(user));
  }

  updateUser(userId: string, changes: Partial<DirectorySeedUser>): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    this.users.set(userId, { ...user, ...copy(changes) });
  }

  renameGroup(groupId: string, displayName: string): void {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`no group ${groupId}`);
    this.groups.set(groupId, { ...group, displayName });
  }

  setGroupMembers(groupId: string, members: string[]): void {
    const group = this.groups.get(groupId) ?? { id: groupId };
    this.groups.set(groupId, { ...group, members: [...members] });
  }
}

// ---------------------------------------------------------------------------------------------
// Provisioner

/** How the fake provisioner names a resource: the group id, or the app role id. */
export function resourceId(resource: Resource): string {
  return resource.type === 'group' ? resource.groupId : resource.appRoleId;
}

export interface GrantRecord {
  userId: string;
  resource: Resource;
  assignmentId?: string;
}

/**
 * Records grants. A resource can be told to fail transiently (a number of times, or always) or permanently;
 * a grant that already exists is delivered again (Graph's "already exists" counts as success).
 */
export class FakeProvisioner implements Provisioner {
  /** Every grant() call, in order. */
  readonly calls: Array<{ userId: string; resources: Resource[] }> = [];
  /** Grants in effect (one per user + resource). */
  readonly grants: GrantRecord[] = [];
  private readonly failures = new Map<string, { transient: boolean; remaining: number; error: string }>();
  private assignmentSeq = 0;

  failTransiently(id: string, times = Number.POSITIVE_INFINITY, error = 'HTTP 503 ServiceUnavailable'): void {
    this.failures.set(id, { transient: true, remaining: times, error });
  }

  failPermanently(id: string, error = 'HTTP 403 Authorization_RequestDenied'): void {
    this.failures.set(id, { transient: false, remaining: Number.POSITIVE_INFINITY, error });
  }

  heal(id: string): void {
    this.failures.delete(id);
  }

  /** How many times grant() was asked for this resource. */
  attemptsFor(id: string): number {
    return this.calls.flatMap((c) => c.resources).filter((r) => resourceId(r) === id).length;
  }

  async grant(userId: string, resources: Resource[]): Promise<GrantOutcome[]> {
    this.calls.push(copy({ userId, resources }));
    await tick();
    return resources.map((resource): GrantOutcome => {
      const id = resourceId(resource);
      const failure = this.failures.get(id);
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        return { status: 'failed', transient: failure.transient, error: failure.error };
      }
      const existing = this.grants.find((g) => g.userId === userId && resourceId(g.resource) === id);
      if (existing) return { status: 'delivered', assignmentId: existing.assignmentId };
      const assignmentId = resource.type === 'appRole' ? `assignment-${++this.assignmentSeq}` : undefined;
      this.grants.push({ userId, resource: copy(resource), assignmentId });
      return assignmentId ? { status: 'delivered', assignmentId } : { status: 'delivered' };
    });
  }

  /** Every revoke() call, in order. */
  readonly revokeCalls: Array<{ userId: string; deliveries: Array<{ resource: Resource; assignmentId?: string }> }> = [];
  /** Grants taken away by revoke(), in order. */
  readonly removals: GrantRecord[] = [];
  private readonly removalFailures = new Map<string, { transient: boolean; remaining: number; error: string }>();

  failRemovalTransiently(id: string, times = Number.POSITIVE_INFINITY, error = 'HTTP 503 ServiceUnavailable'): void {
    this.removalFailures.set(id, { transient: true, remaining: times, error });
  }

  failRemovalPermanently(id: string, error = 'HTTP 403 Authorization_RequestDenied'): void {
    this.removalFailures.set(id, { transient: false, remaining: Number.POSITIVE_INFINITY, error });
  }

  healRemoval(id: string): void {
    this.removalFailures.delete(id);
  }

  /** Removes grants; one that does not exist counts as removed (Graph's 404 on removal). */
  async revoke(userId: string, deliveries: Array<{ resource: Resource; assignmentId?: string }>): Promise<RevokeOutcome[]> {
    this.revokeCalls.push(copy({ userId, deliveries: deliveries.map((d) => ({ resource: d.resource, ...(d.assignmentId ? { assignmentId: d.assignmentId } : {}) })) }));
    await tick();
    return deliveries.map(({ resource, assignmentId }): RevokeOutcome => {
      const id = resourceId(resource);
      const failure = this.removalFailures.get(id);
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        return { status: 'failed', transient: failure.transient, error: failure.error };
      }
      const index = this.grants.findIndex(
        (g) => g.userId === userId && resourceId(g.resource) === id && (resource.type !== 'appRole' || g.assignmentId === assignmentId),
      );
      if (index >= 0) this.removals.push(...this.grants.splice(index, 1));
      return { status: 'removed' };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Notifier

export interface PostRecord {
  recipientId: string;
  card: CardKind;
  request: AccessRequest;
  posted: Omit<PostedCard, 'postedBy'>;
}

export interface ChannelPostRecord {
  channel: { teamId: string; channelId: string };
  card: CardKind;
  request: AccessRequest;
  posted: Omit<PostedCard, 'postedBy'>;
}

export interface UpdateRecord {
  posted: PostedCard;
  request: AccessRequest;
}

/** Records posts and updates; returns PostedCards with generated activity ids; people can be unreachable. */
export class RecordingNotifier implements Notifier {
  readonly posts: PostRecord[] = [];
  readonly channelPosts: ChannelPostRecord[] = [];
  readonly updates: UpdateRecord[] = [];
  private readonly unreachable = new Map<string, { status: 'blocked' | 'notInstalled' | 'failed'; reason: string }>();
  private postFailures: Error[] = [];
  private updateFailures: Error[] = [];
  private activitySeq = 0;

  constructor(private readonly clock: Clock = { now: () => new Date() }) {}

  /** Posts to this person (or `channel:<channelId>`) answer with this outcome (default: blocked by the user). */
  markUnreachable(recipientId: string, reason = 'ConversationBlockedByUser', status: 'blocked' | 'notInstalled' | 'failed' = 'blocked'): void {
    this.unreachable.set(recipientId, { status, reason });
  }

  /** The next `times` post() calls throw (after which posts work again). */
  failPosts(times = 1, error = new Error('Bot Connector 502')): void {
    this.postFailures.push(...Array.from({ length: times }, () => error));
  }

  /** The next `times` update() calls throw. */
  failUpdates(times = 1, error = new Error('Bot Connector 502')): void {
    this.updateFailures.push(...Array.from({ length: times }, () => error));
  }

  async post(recipientId: string, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    await tick();
    const failure = this.postFailures.shift();
    if (failure) throw failure;
    const refused = this.unreachable.get(recipientId);
    if (refused) return { ...refused };
    const posted: Omit<PostedCard, 'postedBy'> = {
      recipientId,
      card,
      conversationId: `a:conversation-${recipientId}`,
      activityId: `activity-${++this.activitySeq}`,
      serviceUrl: 'https://smba.trafficmanager.net/test/',
      postedAt: this.clock.now().toISOString(),
    };
    this.posts.push(copy({ recipientId, card, request, posted }));
    return { status: 'sent', card: copy(posted) };
  }

  /** A channel is unreachable when marked so under `channel:<channelId>`. */
  async postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, request: AccessRequest): Promise<SendOutcome> {
    await tick();
    const failure = this.postFailures.shift();
    if (failure) throw failure;
    const recipientId = `channel:${channel.channelId}`;
    const refused = this.unreachable.get(recipientId);
    if (refused) return { ...refused };
    const activityId = `activity-${++this.activitySeq}`;
    const posted: Omit<PostedCard, 'postedBy'> = {
      recipientId,
      card,
      conversationId: `${channel.channelId};messageid=${activityId}`,
      activityId,
      serviceUrl: 'https://smba.trafficmanager.net/test/',
      postedAt: this.clock.now().toISOString(),
    };
    this.channelPosts.push(copy({ channel, card, request, posted }));
    return { status: 'sent', card: copy(posted) };
  }

  async update(posted: PostedCard, request: AccessRequest): Promise<UpdateOutcome> {
    await tick();
    const failure = this.updateFailures.shift();
    if (failure) throw failure;
    this.updates.push(copy({ posted, request }));
    return { status: 'updated' };
  }

  /** Posts to one person, optionally of one card kind. */
  postsTo(recipientId: string, card?: CardKind): PostRecord[] {
    return this.posts.filter((p) => p.recipientId === recipientId && (!card || p.card === card));
  }
}

// ---------------------------------------------------------------------------------------------
// AppContext

export interface TestContext extends AppContext {
  store: InMemoryRequestStore;
  schedule: InMemoryScheduleIndex;
  failedRequests: InMemoryFailedRequestsIndex;
  claims: InMemoryPackageClaims;
  assignments: InMemoryAssignmentStore;
  approvals: InMemoryApprovalIndex;
  packages: InMemoryPackageIndex;
  directory: FakeDirectory;
  provisioner: FakeProvisioner;
  notifier: RecordingNotifier;
  clock: ManualClock;
}

export type TestContextOverrides = Partial<Omit<TestContext, 'newRequestId'>> & { newRequestId?: () => string };

/** An AppContext over the sample catalog, the demo tenant and fresh fakes; override any part. */
export function createTestContext(overrides: TestContextOverrides = {}): TestContext {
  const clock = overrides.clock ?? new ManualClock();
  const directory = overrides.directory ?? FakeDirectory.sample();
  const logger = overrides.logger ?? silentLogger;
  let requestSeq = 0;
  return {
    catalog: overrides.catalog ?? sampleCatalog(),
    store: overrides.store ?? new InMemoryRequestStore(),
    schedule: overrides.schedule ?? new InMemoryScheduleIndex(),
    failedRequests: overrides.failedRequests ?? new InMemoryFailedRequestsIndex(),
    claims: overrides.claims ?? new InMemoryPackageClaims(),
    assignments: overrides.assignments ?? new InMemoryAssignmentStore(),
    approvals: overrides.approvals ?? new InMemoryApprovalIndex(),
    packages: overrides.packages ?? new InMemoryPackageIndex(),
    directory,
    resourceNames: overrides.resourceNames ?? new ResourceNamer({ directory, clock, logger }),
    provisioner: overrides.provisioner ?? new FakeProvisioner(),
    notifier: overrides.notifier ?? new RecordingNotifier(clock),
    clock,
    logger,
    newRequestId: overrides.newRequestId ?? (() => `request-${String(++requestSeq).padStart(4, '0')}`),
  };
}

/** The request form a requester submits from, as the Teams layer hands it to submitRequest. */
export function formCard(recipientId: string): Omit<PostedCard, 'card' | 'postedBy'> {
  return {
    recipientId,
    conversationId: `a:conversation-${recipientId}`,
    activityId: `form-activity-${recipientId}`,
    serviceUrl: 'https://smba.trafficmanager.net/test/',
    postedAt: '2026-03-02T08:59:00.000Z',
  };
}
