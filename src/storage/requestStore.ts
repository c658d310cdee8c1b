/**
 * RequestStore on Azure Table Storage. One partition per request (PartitionKey = request id); its rows and
 * their mapping to the model are in requestRows.ts, the audit trail's rows in auditRows.ts.
 *
 * A read is one partition query; a write is one entity-group transaction guarded by the request row's ETag.
 * Two indexes live in other partitions (requestIndexes.ts), so they are written before the transaction (a
 * stale index row is harmless, a missing one is not): `work` partition `outbox` (requests with pending
 * effects) and `requesterIndex` (requests by requester, newest first, and those not over yet: `live|` rows,
 * deleted after the commit that ends the request).
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableTransactionResponse, type TransactionAction } from '@azure/data-tables';
import type {
  AuditEntry,
  CommitOptions,
  LoadedRequest,
  PendingEffect,
  PostedCard,
  RecordOptions,
  RequesterPage,
  RequesterPageQuery,
  RequestStore,
} from '../app/ports';
import { ConcurrencyError, ConflictError } from '../domain/errors';
import type { AccessRequest } from '../domain/request';
import { comparePositions, isOver } from '../domain/requesterOverview';
import { auditActions, readAuditRow, recordedAuditRows, versionOfEffect } from './auditRows';
import { indexes, isAbandoned, OutboxIndex, RequesterIndex, type CurrentEntry } from './requestIndexes';
import {
  AUDIT_END,
  AUDIT_PREFIX,
  cardRow,
  checkTransactionSize,
  detailRows,
  FIRST_NON_AUDIT_ROW,
  mergeCards,
  newEffects,
  OUTBOX_END,
  OUTBOX_PREFIX,
  outboxRow,
  outboxRowKey,
  readRequestPartition,
  REQUEST_ROW,
  requestRow,
  requestRowEtag,
  uniqueCards,
  type Row,
  type RowSnapshot,
} from './requestRows';
import { encodeKey, restStatus, splitJsonColumns, tableErrorCode, type Tables } from './tables';

export { MAX_TRANSACTION_OPERATIONS } from './requestRows';

export interface TableRequestStoreOptions {
  tables: Tables;
  /** The origin written on the effects this store commits (default: a new random id, one per process). */
  origin?: string;
}

export class TableRequestStore implements RequestStore {
  readonly origin: string;
  private readonly requests: TableClient;
  private readonly outboxIndex: OutboxIndex;
  private readonly requesterIndex: RequesterIndex;
  /** What each LoadedRequest handed out looked like in storage, so in-place edits of it cannot hide a change. */
  private readonly snapshots = new WeakMap<LoadedRequest, RowSnapshot>();

  constructor(options: TableRequestStoreOptions) {
    this.origin = options.origin ?? randomUUID();
    this.requests = options.tables.client('requests');
    this.outboxIndex = new OutboxIndex(options.tables.client('work'));
    this.requesterIndex = new RequesterIndex(options.tables.client('requesterIndex'));
  }

  async create(request: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
    if (!request.id) throw new Error('a request needs an id');
    const partition = encodeKey(request.id);
    const effects = newEffects(request.version, this.origin, options.effects);
    const cards = uniqueCards(options.cards ?? []);
    const rows = detailRows(request);

    const actions: TransactionAction[] = [['create', requestRow(partition, request)]];
    for (const [rowKey, json] of rows) actions.push(['create', { partitionKey: partition, rowKey, ...splitJsonColumns('data', json) }]);
    for (const card of cards) actions.push(['create', cardRow(partition, card)]);
    for (const pending of effects) actions.push(['create', outboxRow(partition, pending)]);
    actions.push(...auditActions(partition, undefined, request, options, actions.length));
    checkTransactionSize(request.id, actions);

    await Promise.all([
      this.requesterIndex.write(request),
      effects.length ? this.outboxIndex.upsert(request.id, request.version) : undefined,
    ]);

    let response: TableTransactionResponse;
    try {
      response = await this.requests.submitTransaction(actions);
    } catch (error) {
      if (restStatus(error) === 409) throw new ConflictError('error.requestExists', { requestId: request.id });
      throw error;
    }
    return this.loaded(request, requestRowEtag(response, actions.length), cards, effects, rows);
  }

  async get(requestId: string): Promise<LoadedRequest | undefined> {
    // The audit rows sort first and are skipped: they grow with every write and nothing but listAudit needs them.
    const rows = this.requests.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${encodeKey(requestId)} and RowKey ge ${FIRST_NON_AUDIT_ROW}` },
    });
    const read = await readRequestPartition(rows);
    if (!read) return undefined;
    return this.loaded(read.request, read.etag, read.cards, read.effects, read.snapshot);
  }

  async commit(loaded: LoadedRequest, next: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
    const current = loaded.request;
    if (next.id !== current.id) throw new Error(`commit of request ${current.id} was given request ${next.id}`);
    if (next.version !== current.version + 1) {
      throw new Error(`commit of request ${next.id}: version must be ${current.version + 1}, not ${next.version}`);
    }
    const partition = encodeKey(next.id);
    const before = this.snapshots.get(loaded) ?? detailRows(current);
    const rows = detailRows(next);
    const effects = newEffects(next.version, this.origin, options.effects);
    const cards = uniqueCards(options.cards ?? []);
    let completed = [...new Set(options.completedEffectIds ?? [])];

    const build = (): TransactionAction[] => {
      // The request row comes first: its sub-response carries the new ETag, and a stale ETag fails there.
      const actions: TransactionAction[] = [['update', requestRow(partition, next), 'Replace', { etag: loaded.etag }]];
      for (const [rowKey, json] of rows) {
        if (before.get(rowKey) !== json) {
          actions.push(['upsert', { partitionKey: partition, rowKey, ...splitJsonColumns('data', json) }, 'Replace']);
        }
      }
      for (const rowKey of before.keys()) {
        if (!rows.has(rowKey)) actions.push(['delete', { partitionKey: partition, rowKey }]);
      }
      for (const pending of effects) actions.push(['create', outboxRow(partition, pending)]);
      for (const id of completed) actions.push(['delete', { partitionKey: partition, rowKey: outboxRowKey(id) }]);
      for (const card of cards) actions.push(['upsert', cardRow(partition, card), 'Replace']);
      actions.push(...auditActions(partition, current, next, options, actions.length));
      checkTransactionSize(next.id, actions);
      return actions;
    };

    let actions = build();
    if (effects.length) await this.outboxIndex.upsert(next.id, next.version);
    let response: TableTransactionResponse;
    for (;;) {
      try {
        response = await this.requests.submitTransaction(actions);
        break;
      } catch (error) {
        if (restStatus(error) === 412 || tableErrorCode(error) === 'UpdateConditionNotSatisfied') {
          throw new ConcurrencyError(`request ${next.id}`);
        }
        // An effect was completed elsewhere (record) since `loaded` was read: drop its delete and try
        // again, still guarded by the same ETag.
        completed = await this.dropMissingOutboxRows(partition, completed, error);
        actions = build();
      }
    }

    if (isOver(next) && !isOver(current)) await this.forgetCurrent(next);

    const done = new Set(options.completedEffectIds ?? []);
    const pending = [...loaded.effects.filter((e) => !done.has(e.id)), ...effects];
    return this.loaded(next, requestRowEtag(response, actions.length), mergeCards(loaded.cards, cards), pending, rows);
  }

  async record(loaded: LoadedRequest, options: RecordOptions): Promise<LoadedRequest> {
    const partition = encodeKey(loaded.request.id);
    const cards = uniqueCards(options.cards ?? []);
    const done = new Set(options.completedEffectIds ?? []);
    let completed = [...done];
    const version = versionOfEffect(options.completedEffectIds?.[0]) ?? loaded.request.version;
    const audit = options.audit?.length ? recordedAuditRows(partition, version, options) : [];
    for (;;) {
      const actions: TransactionAction[] = [
        ...cards.map((card): TransactionAction => ['upsert', cardRow(partition, card), 'Replace']),
        ...completed.map((id): TransactionAction => ['delete', { partitionKey: partition, rowKey: outboxRowKey(id) }]),
        ...audit.map((row): TransactionAction => ['create', row]),
      ];
      if (!actions.length) break;
      checkTransactionSize(loaded.request.id, actions);
      try {
        await this.requests.submitTransaction(actions);
        break;
      } catch (error) {
        completed = await this.dropMissingOutboxRows(partition, completed, error);
      }
    }
    const snapshot = this.snapshots.get(loaded) ?? detailRows(loaded.request);
    const effects = loaded.effects.filter((e) => !done.has(e.id));
    return this.loaded(loaded.request, loaded.etag, mergeCards(loaded.cards, cards), effects, snapshot);
  }

  async listRequestsWithPendingEffects(limit: number, writtenBefore?: Date): Promise<string[]> {
    return this.outboxIndex.list(limit, writtenBefore);
  }

  /**
   * The index row carries the version of the commit that wrote it. It is dropped only when the partition has
   * no outbox rows AND the request has reached that version (so that commit's transaction has landed and its
   * effects, if any, are visible), and only if nobody rewrote it meanwhile (its ETag). A row whose commit never
   * landed (a lost race, a crash) is dropped once it is old, by wall time, whatever the bot's clock says.
   * Given `known` (the runner's own view) and a row this process wrote, it is one guarded delete, no read.
   */
  async releaseIfIdle(requestId: string, known?: LoadedRequest): Promise<void> {
    if (known?.effects.length) return;
    const [index, state] = await Promise.all([
      (known && this.outboxIndex.lastWritten(requestId)) ?? this.outboxIndex.get(requestId),
      known ? { version: known.request.version, outboxRows: [] } : this.outboxState(encodeKey(requestId)),
    ]);
    if (!index || state.outboxRows.length) return;
    const landed = state.version !== undefined && state.version >= index.version;
    if (!landed && !isAbandoned(index)) return;
    await this.outboxIndex.delete(index);
  }

  async listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    const found: AccessRequest[] = [];
    if (limit <= 0) return found;
    for await (const entries of this.requesterIndex.pages(requesterId, Math.min(limit, 1000))) {
      const loaded = await Promise.all(entries.map((entry) => this.get(entry.requestId)));
      entries.forEach((entry, i) => {
        const request = loaded[i]?.request;
        // Index rows of creates that failed (no such request, or a duplicate id with another submit time) are skipped.
        if (request && found.length < limit && indexes(entry, request)) found.push(request);
      });
      if (found.length >= limit) break;
    }
    return found;
  }

  /**
   * Table round trips of one page: the `live|` rows and a history page, read at once (2 queries; 1000 `live|`
   * rows a page), then every request shown read at once (at most current.limit + history.limit point reads,
   * fewer when both name one), and a delete per `live|` row found stale (rare: a crash after a commit that
   * ended a request). So `status` costs 2 sequential waves and at most 2 + current.limit + history.limit calls.
   * Once per requester, the first page also indexes the requests stored before `live|` rows existed (their
   * history is read once: a query and a point read per request, a transaction per 100 rows written).
   */
  async pageOfRequester(requesterId: string, query: RequesterPageQuery): Promise<RequesterPage> {
    const page: RequesterPage = { current: [], currentNotShown: 0, finished: [] };
    const [current, history] = await Promise.all([
      query.current ? this.currentEntries(requesterId) : [],
      query.history ? this.requesterIndex.history(requesterId, query.history.limit + 1, query.history.after) : [],
    ]);

    // The current requests after the position. A row of a create that failed (a duplicate id) is read and dropped below.
    const after = query.current?.after;
    const following = after ? current.filter((entry) => comparePositions(entry.position, after) > 0) : current;
    const shown = following.slice(0, Math.max(0, query.current?.limit ?? 0));
    page.currentNotShown = following.length - shown.length;
    if (page.currentNotShown > 0) page.currentNext = shown.at(-1)?.position ?? after;
    const historyShown = history.slice(0, query.history?.limit ?? 0);
    if (history.length > historyShown.length) page.historyNext = historyShown.at(-1)?.position;

    const ids = [...new Set([...shown, ...historyShown].map((entry) => entry.requestId))];
    const loaded = new Map((await Promise.all(ids.map((id) => this.get(id)))).flatMap((l) => (l ? [[l.request.id, l.request] as const] : [])));

    const stale: CurrentEntry[] = [];
    for (const entry of shown) {
      const request = loaded.get(entry.requestId);
      if (request && indexes(entry, request) && !isOver(request)) page.current.push(request);
      // Over (its delete was lost), a failed create's row, or a create that never landed: dropped.
      else if (request || isAbandoned(entry)) stale.push(entry);
    }
    for (const entry of historyShown) {
      const request = loaded.get(entry.requestId);
      if (request && indexes(entry, request) && isOver(request)) page.finished.push(request);
    }
    // Reading must not fail for want of tidying: a row that stays is dropped by a later read.
    await Promise.all(stale.map((entry) => this.requesterIndex.forgetCurrent(requesterId, entry.rowKey ?? '').catch(() => undefined)));
    return page;
  }

  async listAudit(requestId: string): Promise<AuditEntry[]> {
    const partition = encodeKey(requestId);
    const entries: AuditEntry[] = [];
    const rows = this.requests.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey ge ${AUDIT_PREFIX} and RowKey lt ${AUDIT_END}` },
    });
    for await (const row of rows) entries.push(readAuditRow(row));
    return entries;
  }

  private loaded(
    request: AccessRequest,
    etag: string,
    cards: PostedCard[],
    effects: PendingEffect[],
    snapshot: RowSnapshot,
  ): LoadedRequest {
    const result: LoadedRequest = { request, etag, cards, effects };
    this.snapshots.set(result, snapshot);
    return result;
  }

  /** The requester's `live|` rows, newest first; the first time, after indexing the requests stored before them. */
  private async currentEntries(requesterId: string): Promise<CurrentEntry[]> {
    const read = await this.requesterIndex.current(requesterId);
    if (read.complete) return read.entries;
    for await (const entries of this.requesterIndex.pages(requesterId, 100)) {
      const requests = await Promise.all(entries.map((entry) => this.get(entry.requestId)));
      await this.requesterIndex.addCurrent(
        entries.flatMap((entry, i) => {
          const request = requests[i]?.request;
          return request && indexes(entry, request) && !isOver(request) ? [request] : [];
        }),
      );
    }
    await this.requesterIndex.markCurrentComplete(requesterId);
    return (await this.requesterIndex.current(requesterId)).entries;
  }

  /**
   * After the commit that ended a request: its `live|` row goes. The commit has landed, so a failure here must
   * not look like a failed commit; the row left behind is dropped by the next `status` that reads it.
   */
  private async forgetCurrent(request: AccessRequest): Promise<void> {
    await this.requesterIndex.forgetCurrent(request.requester.id, this.requesterIndex.currentRowKey(request)).catch(() => undefined);
  }

  /** The request row's version (undefined if there is no request) and the RowKeys of its outbox rows. */
  private async outboxState(partition: string): Promise<{ version?: number; outboxRows: string[] }> {
    const state: { version?: number; outboxRows: string[] } = { outboxRows: [] };
    const rows = this.requests.listEntities<Row>({
      queryOptions: {
        filter: odata`PartitionKey eq ${partition} and (RowKey eq ${REQUEST_ROW} or (RowKey ge ${OUTBOX_PREFIX} and RowKey lt ${OUTBOX_END}))`,
        select: ['RowKey', 'version'],
      },
    });
    for await (const row of rows) {
      if (row.rowKey === REQUEST_ROW) state.version = typeof row.version === 'number' ? row.version : undefined;
      else if (row.rowKey) state.outboxRows.push(row.rowKey);
    }
    return state;
  }

  /**
   * After a failed transaction that deletes outbox rows: the ids among `completed` whose rows still exist.
   * Rethrows `error` unless it was a 404 and some of the rows are indeed gone (so retrying can succeed).
   */
  private async dropMissingOutboxRows(partition: string, completed: string[], error: unknown): Promise<string[]> {
    if (restStatus(error) !== 404 || !completed.length) throw error;
    const { outboxRows } = await this.outboxState(partition);
    const existing = new Set(outboxRows);
    const remaining = completed.filter((id) => existing.has(outboxRowKey(id)));
    if (remaining.length === completed.length) throw error;
    return remaining;
  }
}
