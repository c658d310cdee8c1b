/**
 * The audit trail of a request's partition, append-only:
 *
 *   audit|<version>|<n>             one 'transition' row per write of the request row and one per
 *                                   CommitOptions.audit note
 *   audit|<version>|e<effect>|<n>   notes written by `record` (e.g. each notification's outcome)
 *
 * Rows are created (never updated) in the write's own transaction, so a write that fails leaves no trace and
 * one that lands always has its rows.
 */
import { randomUUID } from 'node:crypto';
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import type { AuditEntry, AuditNote, CommitOptions, RecordOptions } from '../app/ports';
import { summarizeTransition } from '../domain/audit';
import type { AccessRequest } from '../domain/request';
import { AUDIT_PREFIX, MAX_TRANSACTION_OPERATIONS, type Row } from './requestRows';
import { encodeKey, optionalStringColumn, stringColumn } from './tables';

/** Audit text is for people; a Graph error is shown by its start. */
const MAX_AUDIT_TEXT = 4_000;

/**
 * The 'transition' row and one row per note of a commit. Notes that would push the transaction past 100
 * operations are folded into one row rather than lost.
 */
export function auditActions(
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
    auditRow(partition, `${versionKey(next.version)}|${String(n).padStart(4, '0')}`, next.version, next.updatedAt, note, options.actorId),
  ]);
}

/** The version a `record` files its notes under: that of the commit that wrote its first completed effect. */
export function versionOfEffect(effectId: string | undefined): number | undefined {
  const effectVersion = effectId ? Number(/^(\d+)-/.exec(effectId)?.[1]) : NaN;
  return Number.isSafeInteger(effectVersion) ? effectVersion : undefined;
}

/**
 * Audit rows of a `record`, under `version` (so they sort right after that commit's own rows);
 * `e<effect id>` or a random tag keeps them apart from the commit's numbered rows and from each other.
 */
export function recordedAuditRows(partition: string, version: number, options: RecordOptions): TableEntity[] {
  const effectId = options.completedEffectIds?.[0];
  const tag = effectId ? `e${encodeKey(effectId)}` : `r${randomUUID()}`;
  const at = options.at ?? new Date().toISOString();
  return (options.audit ?? []).map((note, n) =>
    auditRow(partition, `${versionKey(version)}|${tag}|${String(n).padStart(4, '0')}`, version, at, note, options.actorId),
  );
}

export function readAuditRow(row: Row): AuditEntry {
  const detail = optionalStringColumn(row, 'detail');
  const outcome = optionalStringColumn(row, 'outcome');
  const actorId = optionalStringColumn(row, 'actorId');
  const subjectId = optionalStringColumn(row, 'subjectId');
  return {
    version: typeof row.version === 'number' ? row.version : 0,
    at: stringColumn(row, 'at'),
    action: stringColumn(row, 'action'),
    ...(actorId ? { actorId } : {}),
    ...(detail ? { detail } : {}),
    ...(outcome ? { outcome } : {}),
    ...(subjectId ? { subjectId } : {}),
  };
}

function versionKey(version: number): string {
  return `${AUDIT_PREFIX}${String(version).padStart(10, '0')}`;
}

function auditRow(partition: string, rowKey: string, version: number, at: string, note: AuditNote, actorId: string | undefined): TableEntity {
  return {
    partitionKey: partition,
    rowKey,
    version,
    at,
    action: note.action,
    ...(actorId ? { actorId } : {}),
    ...(note.detail ? { detail: note.detail.slice(0, MAX_AUDIT_TEXT) } : {}),
    ...(note.outcome ? { outcome: note.outcome.slice(0, MAX_AUDIT_TEXT) } : {}),
    ...(note.subjectId ? { subjectId: note.subjectId } : {}),
  };
}

function foldNotes(notes: AuditNote[]): AuditNote {
  const actions = [...new Set(notes.map((n) => n.action))];
  return {
    action: actions.length === 1 ? actions[0] : 'several',
    detail: notes.map((n) => [n.detail, n.outcome].filter(Boolean).join(': ')).join(' | ').slice(0, MAX_AUDIT_TEXT),
    outcome: `${notes.length} entries folded into one`,
  };
}
