/**
 * The rows of one request's partition (PartitionKey = request id) and their mapping to the model:
 *
 *   request                         state, version, requesterId, packageId, submittedAt, updatedAt, data (JSON
 *                                   of the AccessRequest without stages and resources)
 *   stage|<nn>                      data: StageState JSON (with its decision)
 *   resource|<key>                  data: ResourceDelivery JSON
 *   card|<recipientId>|<cardKind>|<postedBy>   one PostedCard, as columns
 *   outbox|<effect id>              effect: Effect JSON; ids sort in creation order
 *   audit|…                         the audit trail (see auditRows.ts; not read by `get`)
 *
 * A write of the partition is one entity-group transaction: at most MAX_TRANSACTION_OPERATIONS operations,
 * the request row first.
 */
import type { TableEntity, TableEntityResult, TableTransactionResponse, TransactionAction } from '@azure/data-tables';
import type { PendingEffect, PostedCard } from '../app/ports';
import type { CardKind, Effect } from '../domain/effects';
import type { AccessRequest, ResourceDelivery, StageState } from '../domain/request';
import { decodeKey, encodeKey, jsonColumns, optionalStringColumn, readJsonColumns, readJsonText, stringColumn } from './tables';

/** The most operations one entity-group transaction may hold. */
export const MAX_TRANSACTION_OPERATIONS = 100;

export const REQUEST_ROW = 'request';
const STAGE_PREFIX = 'stage|';
const RESOURCE_PREFIX = 'resource|';
const CARD_PREFIX = 'card|';
export const OUTBOX_PREFIX = 'outbox|';
/** '}' follows '|' in code point order: RowKey ge 'outbox|' and lt 'outbox}' is every outbox row. */
export const OUTBOX_END = 'outbox}';
export const AUDIT_PREFIX = 'audit|';
export const AUDIT_END = 'audit}';
/** 'audit|' < 'b' < 'card|' < 'outbox|' < 'request' < 'resource|' < 'stage|': `get` reads from here on. */
export const FIRST_NON_AUDIT_ROW = 'b';

export type Row = Record<string, unknown>;
/** JSON of each stage/resource row as stored, by RowKey: what a commit compares `next` against. */
export type RowSnapshot = Map<string, string>;

/** A request's partition as read (audit rows aside). */
export interface RequestPartition {
  request: AccessRequest;
  etag: string;
  cards: PostedCard[];
  effects: PendingEffect[];
  snapshot: RowSnapshot;
}

/**
 * Rebuilds the request from its rows, which come in RowKey order: stages, resources and effects are already
 * sorted. Undefined when there is no request row.
 */
export async function readRequestPartition(rows: AsyncIterable<TableEntityResult<Row>>): Promise<RequestPartition | undefined> {
  let head: Row | undefined;
  let etag = '';
  const stages: StageState[] = [];
  const resources: ResourceDelivery[] = [];
  const cards: PostedCard[] = [];
  const effects: PendingEffect[] = [];
  const snapshot: RowSnapshot = new Map();

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
      const origin = typeof row.origin === 'string' ? row.origin : undefined;
      effects.push({ id: decodeKey(rowKey.slice(OUTBOX_PREFIX.length)), effect: readJsonColumns(row, 'effect') as Effect, origin });
    }
  }
  if (!head) return undefined;

  const base = readJsonColumns(head, 'data') as Omit<AccessRequest, 'stages' | 'resources'>;
  return { request: { ...base, stages, resources }, etag, cards, effects, snapshot };
}

export function requestRow(partition: string, request: AccessRequest): TableEntity {
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
export function detailRows(request: AccessRequest): RowSnapshot {
  const rows: RowSnapshot = new Map();
  for (const stage of request.stages) rows.set(stageRowKey(stage.index), JSON.stringify(stage));
  for (const resource of request.resources) rows.set(`${RESOURCE_PREFIX}${encodeKey(resource.key)}`, JSON.stringify(resource));
  return rows;
}

function stageRowKey(index: number): string {
  return `${STAGE_PREFIX}${String(index).padStart(2, '0')}`;
}

export function cardRow(partition: string, card: PostedCard): TableEntity {
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

export function uniqueCards(cards: PostedCard[]): PostedCard[] {
  // One transaction may touch an entity only once: the last of the same card wins.
  const byKey = new Map<string, PostedCard>();
  for (const card of cards) byKey.set(cardRowKey(card), card);
  return [...byKey.values()];
}

export function mergeCards(existing: PostedCard[], added: PostedCard[]): PostedCard[] {
  const byKey = new Map<string, PostedCard>();
  for (const card of [...existing, ...added]) byKey.set(cardRowKey(card), card);
  return [...byKey.values()];
}

export function outboxRowKey(effectId: string): string {
  return `${OUTBOX_PREFIX}${encodeKey(effectId)}`;
}

export function outboxRow(partition: string, pending: PendingEffect): TableEntity {
  return { partitionKey: partition, rowKey: outboxRowKey(pending.id), origin: pending.origin, ...jsonColumns('effect', pending.effect) };
}

/** Effect ids `<version>-<index>`, zero-padded: they sort in creation order across commits. */
export function newEffects(version: number, origin: string, effects: Effect[] = []): PendingEffect[] {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid request version ${version}`);
  const prefix = String(version).padStart(10, '0');
  return effects.map((effect, index) => ({ id: `${prefix}-${String(index).padStart(4, '0')}`, effect, origin }));
}

export function checkTransactionSize(requestId: string, actions: TransactionAction[]): void {
  if (actions.length > MAX_TRANSACTION_OPERATIONS) {
    throw new Error(
      `request ${requestId}: this write needs ${actions.length} table operations, more than the ` +
        `${MAX_TRANSACTION_OPERATIONS} one transaction can hold`,
    );
  }
}

/** The request row is always the first operation; its sub-response carries its new ETag. */
export function requestRowEtag(response: TableTransactionResponse, operations: number): string {
  const etag = response.subResponses[0]?.etag;
  if (response.subResponses.length !== operations || !etag) {
    throw new Error(`unexpected transaction response: ${response.subResponses.length} sub-responses for ${operations} operations`);
  }
  return etag;
}
