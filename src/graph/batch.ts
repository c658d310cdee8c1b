import { RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { callGraph, GraphCallError, parseRetryAfter } from './errors';
import { parseGraphResponse, UnexpectedGraphResponseError } from './responses';

/** Graph's limit of requests in one `POST /$batch`. */
export const BATCH_LIMIT = 20;

/** One Graph call, relative to the version (`/groups/{id}/members/$ref`). */
export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
}

/** A call's answer: 2xx with its body, or the error (its status, Graph code and message, Retry-After). */
export type GraphAnswer = { ok: true; status: number; body: unknown } | { ok: false; error: GraphCallError };

const batchResponseSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

const errorBodySchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

/** The `$batch` payload; inner ids are the positions, from "1". */
export function toBatchBody(requests: readonly GraphRequest[]): { requests: Array<Record<string, unknown>> } {
  if (requests.length === 0 || requests.length > BATCH_LIMIT) {
    throw new RangeError(`a $batch takes 1 to ${BATCH_LIMIT} requests, not ${requests.length}`);
  }
  return {
    requests: requests.map((request, i) => ({
      id: String(i + 1),
      method: request.method,
      url: request.path,
      ...(request.body !== undefined ? { body: request.body, headers: { 'Content-Type': 'application/json' } } : {}),
    })),
  };
}

/** Splits a `$batch` answer back into one answer per request, in request order (Graph may reorder them). */
export function readBatchBody(body: unknown, count: number): GraphAnswer[] {
  const { responses } = parseGraphResponse(batchResponseSchema, body, 'POST /$batch');
  const byId = new Map(responses.map((r) => [r.id, r]));
  return Array.from({ length: count }, (_, i): GraphAnswer => {
    const inner = byId.get(String(i + 1));
    if (!inner) throw new UnexpectedGraphResponseError('POST /$batch', `no answer for request ${i + 1}`);
    if (inner.status >= 200 && inner.status < 300) return { ok: true, status: inner.status, body: inner.body };
    const parsed = errorBodySchema.safeParse(inner.body);
    const retryAfter = Object.entries(inner.headers ?? {}).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
    return {
      ok: false,
      error: new GraphCallError(
        inner.status,
        (parsed.success ? parsed.data.error.code : undefined) ?? 'UnknownError',
        (parsed.success ? parsed.data.error.message : undefined) ?? '',
        parseRetryAfter(retryAfter),
      ),
    };
  });
}

/**
 * Sends up to 20 requests in one round trip. The SDK's own retry is switched off for it: the caller retries per
 * inner answer within its budget. Throws a GraphCallError when the batch as a whole fails.
 */
export async function sendBatch(client: Client, requests: readonly GraphRequest[]): Promise<GraphAnswer[]> {
  const payload = toBatchBody(requests);
  const body: unknown = await callGraph(() =>
    client.api('/$batch').middlewareOptions([new RetryHandlerOptions(0, 0)]).post(payload),
  );
  return readBatchBody(body, requests.length);
}
