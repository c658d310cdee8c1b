/**
 * RequestStore on Azure Table Storage. One partition per request (PartitionKey = request id):
 *
 *   request                         state, version, requesterId, packageId, submittedAt, updatedAt, data (JSON
 *                                   of the AccessRequest without stages and resources)
 *   stage|<nn>                      data: StageState JSON (with its decision)
 *   resource|<key>                  data: ResourceDelivery JSON
 *   card|<recipientId>|<cardKind>|<postedBy>   one PostedCard, as columns
 *   outbox|<effect id>              effect: Effect JSON; ids sort in creation order
 *   audit|<version>|<n>             the audit trail, append-only: one 'transition' row per write of the
 *                                   request row and one per CommitOptions.audit note (not read by `get`);
 *   audit|<version>|e<effect>|<n>   notes written by `record` (e.g. each notification's outcome)
 *
 * A read is one partition query; a write is one entity-group transaction guarded by the request row's ETag.
 * Two indexes live in other partitions, so they are written before the transaction (a stale index
 * row is harmless, a missing one is not): `work` partition `outbox` (requests with pending effects)
 * and `requesterIndex` (requests by requester, newest first).
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableEntity, type TableTransactionResponse, type TransactionAction } from '@azure/data-tables';
import type { AuditEntry, AuditNote, CommitOptions, LoadedRequest, PendingEffect, PostedCard, RecordOptions, RequestStore } from '../app/ports';
import { summarizeTransition } from '../domain/audit';
import type { CardKind, Effect } from '../domain/effects';
import { ConcurrencyError, ConflictError } from '../domain/errors';
import type { AccessRequest, ResourceDelivery, StageState } from '../domain/request';
import {
  decodeKey,
  encodeKey,
  jsonColumns,
  optionalStringColumn,
  readJsonColumns,
  readJsonText,
  splitJsonColumns,
  restStatus,
  stringColumn,
  tableErrorCode,
  type Tables,
} from './tables';

/** The most operations one entity-group transaction may hold. */
export const MAX_TRANSACTION_OPERATIONS = 100;

const REQUEST_ROW = 'request';
const STAGE_PREFIX = 'stage|';
const RESOURCE_PREFIX = 'resource|';
const CARD_PREFIX = 'card|';
const OUTBOX_PREFIX = 'outbox|';
/** '}' follows '|' in code point order: RowKey ge 'outbox|' and lt 'outbox}' is every outbox row. */
const OUTBOX_END = 'outbox}';
const AUDIT_PREFIX = 'audit|';
const AUDIT_END = 'audit}';
/** 'audit|' < 'b' < 'card|' < 'outbox|' < 'request' < 'resource|' < 'stage|': `get` reads from here on. */
const FIRST_NON_AUDIT_ROW = 'b';
/** Audit text is for people; a Graph error is shown by its start. */
const MAX_AUDIT_TEXT = 4_000;
const OUTBOX_INDEX_PARTITION = 'outbox';
/** An outbox index row whose commit never landed is dropped after this long (wall time, see releaseIfIdle). */
const ABANDONED_INDEX_AFTER_IN_MS = 10 * 60_000;
/** Inverted timestamps count down from the last millisecond of year 9999. */
const MAX_TIME_IN_MS = 253_402_300_799_999;

type Row = Record<string, unknown>;
/** JSON of each stage/resource row as stored, by RowKey: what a commit compares `next` against. */
type RowSnapshot = Map<string, string>;

export interface TableRequestStoreOptions {
  tables: Tables;
}

export class TableRequestStore implements RequestStore {
  private readonly requests: TableClient;
  private readonly work: TableClient;
  private readonly requesterIndex: TableClient;
  /** What each LoadedRequest handed out looked like in storage, so in-place edits of it cannot hide a change. */
  private readonly snapshots = new WeakMap<LoadedRequest, RowSnapshot>();

  constructor(options: TableRequestStoreOptions) {
    this.requests = options.tables.client('requests');
    this.work = options.tables.client('work');
    this.requesterIndex = options.tables.client('requesterIndex');
  }

  async create(request: AccessRequest, options: CommitOptions = {}): Promise<LoadedRequest> {
    if (!request.id) throw new Error('a request needs an id');
    const partition = encodeKey(request.id);
    const effects = newEffects(request.version, options.effects);
    const cards = uniqueCards(options.cards ?? []);
    const rows = detailRows(request);

    const actions: TransactionAction[] = [['create', requestRow(partition, request)]];
    for (const [rowKey, json] of rows) actions.push(['create', { partitionKey: partition, rowKey, ...splitJsonColumns('data', json) }]);
    for (const card of cards) actions.push(['create', cardRow(partition, card)]);
    for (const pending of effects) actions.push(['create', outboxRow(partition, pending)]);
    actions.push(...auditActions(partition, undefined, request, options, actions.length));
    checkTransactionSize(request.id, actions);

    await Promise.all([
      this.requesterIndex.upsertEntity(
        {
          partitionKey: encodeKey(request.requester.id),
          rowKey: requesterIndexRowKey(request),
          requestId: request.id,
          packageId: request.packageId,
          submittedAt: request.submittedAt,
        },
        'Replace',
      ),
      effects.length ? this.upsertOutboxIndex(request.id, request.version) : undefined,
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
    const partition = encodeKey(requestId);
    let head: Row | undefined;
    let etag = '';
    const stages: StageState[] = [];
    const resources: ResourceDelivery[] = [];
    const cards: PostedCard[] = [];
    const effects: PendingEffect[] = [];
    const snapshot: RowSnapshot = new Map();

    // Rows come in RowKey order: stages, resources and effects are already sorted. The audit rows sort first
    // and are skipped: they grow with every write and nothing but listAudit needs them.
    const rows = this.requests.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey ge ${FIRST_NON_AUDIT_ROW}` },
    });
    for await (const row of rows) {
      const rowKey = row.rowKey ?? '';
      if (rowKey === REQUEST_ROW) {
        head = row;
        etag = row.etag;
      } else if (rowKey.startsWith(STAGE_PREFIX)) {
        const json = readJsonText(row, 'data');
        stages.push(JSON.parse(json) as StageState);
        snapshot.set(rowKey, json);
      } else if (rowKey.startsWith(RESOURCE_PREFIX)) {
        const json = readJsonText(row, 'data');
        resources.push(JSON.parse(json) as ResourceDelivery);
        snapshot.set(rowKey, json);
      } else if (rowKey.startsWith(CARD_PREFIX)) {
        cards.push(readCard(row));
      } else if (rowKey.startsWith(OUTBOX_PREFIX)) {
        effects.push({ id: decodeKey(rowKey.slice(OUTBOX_PREFIX.length)), effect: readJsonColumns(row, 'effect') as Effect });
      }
    }
    if (!head) return undefined;

    const base = readJsonColumns(head, 'data') as Omit<AccessRequest, 'stages' | 'resources'>;
    return this.loaded({ ...base, stages, resources }, etag, cards, effects, snapshot);
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
    const effects = newEffects(next.version, options.effects);
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
    if (effects.length) await this.upsertOutboxIndex(next.id, next.version);
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

    const done = new Set(options.completedEffectIds ?? []);
    const pending = [...loaded.effects.filter((e) => !done.has(e.id)), ...effects];
    return this.loaded(next, requestRowEtag(response, actions.length), mergeCards(loaded.cards, cards), pending, rows);
  }

  async record(requestId: string, options: RecordOptions): Promise<void> {
    const partition = encodeKey(requestId);
    const cards = uniqueCards(options.cards ?? []);
    let completed = [...new Set(options.completedEffectIds ?? [])];
    const audit = options.audit?.length ? await this.recordedAuditRows(partition, options) : [];
    for (;;) {
      const actions: TransactionAction[] = [
        ...cards.map((card): TransactionAction => ['upsert', cardRow(partition, card), 'Replace']),
        ...completed.map((id): TransactionAction => ['delete', { partitionKey: partition, rowKey: outboxRowKey(id) }]),
        ...audit.map((row): TransactionAction => ['create', row]),
      ];
      if (!actions.length) return;
      checkTransactionSize(requestId, actions);
      try {
        await this.requests.submitTransaction(actions);
        return;
      } catch (error) {
        completed = await this.dropMissingOutboxRows(partition, completed, error);
      }
    }
  }

  /**
   * Audit rows of a `record`: under the version of the commit that wrote the first completed effect (so they
   * sort right after that commit's own rows), else the request's current version; `e<effect id>` or a random
   * tag keeps them apart from the commit's numbered rows and from each other.
   */
  private async recordedAuditRows(partition: string, options: RecordOptions): Promise<TableEntity[]> {
    const effectId = options.completedEffectIds?.[0];
    const effectVersion = effectId ? Number(/^(\d+)-/.exec(effectId)?.[1]) : NaN;
    const version = Number.isSafeInteger(effectVersion) ? effectVersion : await this.currentVersion(partition);
    const tag = effectId ? `e${encodeKey(effectId)}` : `r${randomUUID()}`;
    const at = options.at ?? new Date().toISOString();
    return (options.audit ?? []).map((note, n) => ({
      partitionKey: partition,
      rowKey: `${AUDIT_PREFIX}${String(version).padStart(10, '0')}|${tag}|${String(n).padStart(4, '0')}`,
      version,
      at,
      action: note.action,
      ...(options.actorId ? { actorId: options.actorId } : {}),
      ...(note.detail ? { detail: note.detail.slice(0, MAX_AUDIT_TEXT) } : {}),
      ...(note.outcome ? { outcome: note.outcome.slice(0, MAX_AUDIT_TEXT) } : {}),
    }));
  }

  private async currentVersion(partition: string): Promise<number> {
    const { version } = await this.outboxState(partition);
    return version ?? 0;
  }

  async listRequestsWithPendingEffects(limit: number, writtenBefore?: Date): Promise<string[]> {
    const ids: string[] = [];
    if (limit <= 0) return ids;
    const filter = writtenBefore
      ? odata`PartitionKey eq ${OUTBOX_INDEX_PARTITION} and Timestamp le ${writtenBefore}`
      : odata`PartitionKey eq ${OUTBOX_INDEX_PARTITION}`;
    const rows = this.work.listEntities<Row>({ queryOptions: { filter, select: ['RowKey'] } });
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, 1000) })) {
      for (const row of page) {
        ids.push(decodeKey(row.rowKey ?? ''));
        if (ids.length >= limit) return ids;
      }
    }
    return ids;
  }

  /**
   * The index row carries the version of the commit that wrote it. It is dropped only when the partition has
   * no outbox rows AND the request has reached that version (so that commit's transaction has landed and its
   * effects, if any, are visible), and only if nobody rewrote it meanwhile (its ETag). A row whose commit never
   * landed (a lost race, a crash) is dropped once it is old, by wall time, whatever the bot's clock says.
   */
  async releaseIfIdle(requestId: string): Promise<void> {
    const partition = encodeKey(requestId);
    const [index, state] = await Promise.all([
      this.getOutboxIndex(requestId),
      this.outboxState(partition),
    ]);
    if (!index || state.outboxRows.length) return;
    const indexVersion = typeof index.version === 'number' ? index.version : 0;
    const landed = state.version !== undefined && state.version >= indexVersion;
    const writtenAt = index.timestamp ? Date.parse(String(index.timestamp)) : NaN;
    const abandoned = Number.isFinite(writtenAt) && Date.now() - writtenAt > ABANDONED_INDEX_AFTER_IN_MS;
    if (!landed && !abandoned) return;
    try {
      await this.work.deleteEntity(OUTBOX_INDEX_PARTITION, encodeKey(requestId), { etag: index.etag });
    } catch (error) {
      // 412: a commit added effects meanwhile; 404: someone else released it. Either way the row is right.
      if (restStatus(error) === 412 || restStatus(error) === 404) return;
      throw error;
    }
  }

  async listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    const found: AccessRequest[] = [];
    if (limit <= 0) return found;
    const rows = this.requesterIndex.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${encodeKey(requesterId)}`, select: ['RowKey', 'requestId'] },
    });
    for await (const page of rows.byPage({ maxPageSize: Math.min(limit, 1000) })) {
      const entries = page.map((row) => ({ rowKey: row.rowKey, requestId: stringColumn(row, 'requestId') }));
      const loaded = await Promise.all(entries.map((entry) => this.get(entry.requestId)));
      entries.forEach((entry, i) => {
        const request = loaded[i]?.request;
        // Index rows of creates that failed (no such request, or a duplicate id with another submit time) are skipped.
        if (request && found.length < limit && requesterIndexRowKey(request) === entry.rowKey) found.push(request);
      });
      if (found.length >= limit) break;
    }
    return found;
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

  private async upsertOutboxIndex(requestId: string, version: number): Promise<void> {
    await this.work.upsertEntity(
      { partitionKey: OUTBOX_INDEX_PARTITION, rowKey: encodeKey(requestId), requestId, version },
      'Replace',
    );
  }

  private async getOutboxIndex(requestId: string): Promise<(Row & { etag: string }) | undefined> {
    try {
      return await this.work.getEntity<Row>(OUTBOX_INDEX_PARTITION, encodeKey(requestId));
    } catch (error) {
      if (restStatus(error) === 404) return undefined;
      throw error;
    }
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

// ---------------------------------------------------------------------------------------------
// Rows

function requestRow(partition: string, request: AccessRequest): TableEntity {
  const base: Partial<AccessRequest> = { ...request };
  delete base.stages;
  delete base.resources;
  return {
    partitionKey: partition,
    rowKey: REQUEST_ROW,
    state: request.state,
    version: request.version,
    requesterId: request.requester.id,
    packageId: request.packageId,
    submittedAt: request.submittedAt,
    updatedAt: request.updatedAt,
    ...jsonColumns('data', base),
  };
}

/** The stage and resource rows of a request: RowKey → JSON of the row's `data`. */
function detailRows(request: AccessRequest): RowSnapshot {
  const rows: RowSnapshot = new Map();
  for (const stage of request.stages) rows.set(stageRowKey(stage.index), JSON.stringify(stage));
  for (const resource of request.resources) rows.set(`${RESOURCE_PREFIX}${encodeKey(resource.key)}`, JSON.stringify(resource));
  return rows;
}

function stageRowKey(index: number): string {
  return `${STAGE_PREFIX}${String(index).padStart(2, '0')}`;
}

function cardRow(partition: string, card: PostedCard): TableEntity {
  return {
    partitionKey: partition,
    rowKey: cardRowKey(card),
    recipientId: card.recipientId,
    card: card.card,
    postedBy: card.postedBy,
    conversationId: card.conversationId,
    activityId: card.activityId,
    serviceUrl: card.serviceUrl,
    postedAt: card.postedAt,
  };
}

function cardRowKey(card: PostedCard): string {
  return `${CARD_PREFIX}${encodeKey(card.recipientId)}|${card.card}|${encodeKey(card.postedBy)}`;
}

function readCard(row: Row): PostedCard {
  return {
    recipientId: stringColumn(row, 'recipientId'),
    card: stringColumn(row, 'card') as CardKind,
    postedBy: stringColumn(row, 'postedBy'),
    conversationId: stringColumn(row, 'conversationId'),
    activityId: stringColumn(row, 'activityId'),
    serviceUrl: stringColumn(row, 'serviceUrl'),
    postedAt: optionalStringColumn(row, 'postedAt') ?? '',
  };
}

function uniqueCards(cards: PostedCard[]): PostedCard[] {
  // One transaction may touch an entity only once: the last of the same card wins.
  const byKey = new Map<string, PostedCard>();
  for (const card of cards) byKey.set(cardRowKey(card), card);
  return [...byKey.values()];
}

function mergeCards(existing: PostedCard[], added: PostedCard[]): PostedCard[] {
  const byKey = new Map<string, PostedCard>();
  for (const card of [...existing, ...added]) byKey.set(cardRowKey(card), card);
  return [...byKey.values()];
}

function outboxRowKey(effectId: string): string {
  return `${OUTBOX_PREFIX}${encodeKey(effectId)}`;
}

function outboxRow(partition: string, pending: PendingEffect): TableEntity {
  return { partitionKey: partition, rowKey: outboxRowKey(pending.id), ...jsonColumns('effect', pending.effect) };
}

/** Effect ids `<version>-<index>`, zero-padded: they sort in creation order across commits. */
function newEffects(version: number, effects: Effect[] = []): PendingEffect[] {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid request version ${version}`);
  const prefix = String(version).padStart(10, '0');
  return effects.map((effect, index) => ({ id: `${prefix}-${String(index).padStart(4, '0')}`, effect }));
}

/** Newest first: the time counts down, and the request id keeps equal times apart. */
function requesterIndexRowKey(request: AccessRequest): string {
  const submittedAt = Date.parse(request.submittedAt);
  const time = Number.isFinite(submittedAt) ? Math.min(Math.max(submittedAt, 0), MAX_TIME_IN_MS) : MAX_TIME_IN_MS;
  return `${String(MAX_TIME_IN_MS - time).padStart(15, '0')}|${encodeKey(request.id)}`;
}

// ---------------------------------------------------------------------------------------------
// Audit rows

/**
 * The 'transition' row and one row per note, created (never updated) in the write's own transaction, so a
 * write that fails leaves no trace and one that lands always has its row. Notes that would push the
 * transaction past 100 operations are folded into one row rather than lost.
 */
function auditActions(
  partition: string,
  previous: AccessRequest | undefined,
  next: AccessRequest,
  options: CommitOptions,
  operationsSoFar: number,
): TransactionAction[] {
  const { states, detail } = summarizeTransition(previous, next);
  const notes: AuditNote[] = [{ action: 'transition', outcome: states, ...(detail ? { detail } : {}) }, ...(options.audit ?? [])];
  const room = Math.max(1, MAX_TRANSACTION_OPERATIONS - operationsSoFar);
  const rows = notes.length <= room ? notes : [...notes.slice(0, room - 1), foldNotes(notes.slice(room - 1))];
  return rows.map((note, n): TransactionAction => [
    'create',
    {
      partitionKey: partition,
      rowKey: `${AUDIT_PREFIX}${String(next.version).padStart(10, '0')}|${String(n).padStart(4, '0')}`,
      version: next.version,
      at: next.updatedAt,
      action: note.action,
      ...(options.actorId ? { actorId: options.actorId } : {}),
      ...(note.detail ? { detail: note.detail.slice(0, MAX_AUDIT_TEXT) } : {}),
      ...(note.outcome ? { outcome: note.outcome.slice(0, MAX_AUDIT_TEXT) } : {}),
    },
  ]);
}

function foldNotes(notes: AuditNote[]): AuditNote {
  const actions = [...new Set(notes.map((n) => n.action))];
  return {
    action: actions.length === 1 ? actions[0] : 'several',
    detail: notes.map((n) => [n.detail, n.outcome].filter(Boolean).join(': ')).join(' | ').slice(0, MAX_AUDIT_TEXT),
    outcome: `${notes.length} entries folded into one`,
  };
}

function readAuditRow(row: Row): AuditEntry {
  const detail = optionalStringColumn(row, 'detail');
  const outcome = optionalStringColumn(row, 'outcome');
  const actorId = optionalStringColumn(row, 'actorId');
  return {
    version: typeof row.version === 'number' ? row.version : 0,
    at: stringColumn(row, 'at'),
    action: stringColumn(row, 'action'),
    ...(actorId ? { actorId } : {}),
    ...(detail ? { detail } : {}),
    ...(outcome ? { outcome } : {}),
  };
}

function checkTransactionSize(requestId: string, actions: TransactionAction[]): void {
  if (actions.length > MAX_TRANSACTION_OPERATIONS) {
    throw new Error(
      `request ${requestId}: this write needs ${actions.length} table operations, more than the ` +
        `${MAX_TRANSACTION_OPERATIONS} one transaction can hold`,
    );
  }
}

/** The request row is always the first operation; its sub-response carries its new ETag. */
function requestRowEtag(response: TableTransactionResponse, operations: number): string {
  const etag = response.subResponses[0]?.etag;
  if (response.subResponses.length !== operations || !etag) {
    throw new Error(`unexpected transaction response: ${response.subResponses.length} sub-responses for ${operations} operations`);
  }
  return etag;
}
