/**
 * Card action data is untrusted input: parsed here with a schema before any use-case sees it.
 * Anything malformed becomes a ValidationError ('error.badAction'), answered with 400.
 */
import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { MAX_REPROCESS_BATCH } from '../domain/reprocess';
import { LATEST_TIME_IN_MS, type RequesterPosition } from '../domain/requesterOverview';
import type { StatusCursor } from '../app/statusPage';

/** Loose bounds: the use-cases give the precise, friendly limits (e.g. 1000 characters of justification). */
const text = (max: number) => z.string().max(max).optional();

const submitSchema = z.object({
  packageId: text(100),
  justification: text(5000),
  startDate: text(40),
  endDate: text(40),
});

/** Card data: ids only. */
const requestRefSchema = z.object({
  requestId: z.string().uuid(),
  version: z.number().int().min(1).max(1_000_000),
});

/** `inbox`: clicked on the `approvals` card, whose rows each have their own justification field (by request id). */
const decisionSchema = requestRefSchema.extend({ approverJustification: text(5000), inbox: z.literal(true).optional() });

/**
 * Reprocess: one request from the alert card (`requestId`), or the `requestIds` multi-select of the `failed`
 * card (Teams sends the selected values comma-separated).
 */
const reprocessSchema = z.object({
  requestId: z.string().uuid().optional(),
  requestIds: z.string().max(MAX_REPROCESS_BATCH * 40).optional(),
  version: z.number().int().min(1).max(1_000_000).optional(),
});

export type SubmitPayload = z.infer<typeof submitSchema>;
export type DecisionPayload = z.infer<typeof decisionSchema>;

function parse<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new ValidationError('error.badAction');
  return result.data;
}

export const parseSubmitPayload = (data: unknown): SubmitPayload => parse(submitSchema, data);
export function parseDecisionPayload(data: unknown): DecisionPayload {
  const payload = parse(decisionSchema, data);
  if (!payload.inbox) return payload;
  const field = inboxJustificationInput(payload.requestId);
  const { [field]: approverJustification } = parse(z.object({ [field]: text(5000) }), data);
  return { ...payload, approverJustification };
}

/** Each row of the `approvals` card has its own justification field: one card holds several, Teams sends them by id. */
export function inboxJustificationInput(requestId: string): string {
  return `approverJustification-${requestId}`;
}
/** The request ids of a Reprocess click, at most MAX_REPROCESS_BATCH, each a GUID. */
export function parseReprocessPayload(data: unknown): string[] {
  const payload = parse(reprocessSchema, data);
  const selected = (payload.requestIds ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  const ids = [...new Set(payload.requestId ? [payload.requestId, ...selected] : selected)];
  if (ids.length === 0) throw new ValidationError('error.nothingSelected');
  if (ids.length > MAX_REPROCESS_BATCH) throw new ValidationError('error.tooManySelected', { max: MAX_REPROCESS_BATCH });
  if (!ids.every((id) => z.string().uuid().safeParse(id).success)) throw new ValidationError('error.badAction');
  return ids;
}

/** A button that carries nothing (its verb says it all): no data, or an object (Teams adds the card's inputs). */
export function parseNoData(data: unknown): void {
  parse(z.union([z.undefined(), z.null(), z.record(z.string(), z.unknown())]), data);
}

export const parseRequestRef = (data: unknown): z.infer<typeof requestRefSchema> => parse(requestRefSchema, data);

/**
 * The "more" button of `status` carries one opaque cursor: base64url of `{"c":[time,id],"h":[time,id]}` (where the
 * requests not over and the history go on). Decoded with a schema like any card data; it only ever pages through
 * the clicker's own requests, so a forged one shows nothing a genuine one would not.
 */
const MAX_CURSOR_LENGTH = 400;
const positionSchema = z.tuple([z.number().int().min(0).max(LATEST_TIME_IN_MS), z.string().uuid()]);
const cursorSchema = z
  .object({ c: positionSchema.optional(), h: positionSchema.optional() })
  .strict()
  .refine((cursor) => cursor.c !== undefined || cursor.h !== undefined);
const morePayloadSchema = z.object({ cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).regex(/^[A-Za-z0-9_-]+$/) });

export function statusCursorToken(cursor: StatusCursor): string {
  const pair = (position: RequesterPosition | undefined) => (position ? [position.time, position.requestId] : undefined);
  return Buffer.from(JSON.stringify({ c: pair(cursor.current), h: pair(cursor.history) }), 'utf8').toString('base64url');
}

export function parseStatusMorePayload(data: unknown): StatusCursor {
  const { cursor } = parse(morePayloadSchema, data);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('error.badAction');
  }
  const { c, h } = parse(cursorSchema, decoded);
  return {
    ...(c ? { current: { time: c[0], requestId: c[1] } } : {}),
    ...(h ? { history: { time: h[0], requestId: h[1] } } : {}),
  };
}
