import { z } from 'zod';
import { badRequest, GraphHttpError } from './errors';
import type { EmulatorRequest, EmulatorResponse } from './router';

export const BATCH_LIMIT = 20;

const batchBodySchema = z.object({
  requests: z
    .array(
      z.object({
        id: z.string().min(1),
        method: z.string().min(1),
        url: z.string().min(1),
        body: z.unknown().optional(),
        headers: z.record(z.string()).optional(),
        dependsOn: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

/** Answers one inner request as if it came alone. */
export type InnerDispatch = (request: EmulatorRequest) => EmulatorResponse;

const isSuccess = (status: number) => status >= 200 && status < 300;

/** `POST /$batch`: each inner request is answered independently, in request order. */
export function handleBatch(request: EmulatorRequest, dispatch: InnerDispatch): EmulatorResponse {
  const parsed = batchBodySchema.safeParse(request.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`Invalid batch payload: ${issue.path.join('.') || 'body'} ${issue.message}.`, 'BadRequest');
  }
  const { requests } = parsed.data;
  if (requests.length > BATCH_LIMIT) {
    throw badRequest(`The number of requests in the batch (${requests.length}) exceeds the limit of ${BATCH_LIMIT}.`, 'BadRequest');
  }
  const ids = new Set<string>();
  for (const inner of requests) {
    if (ids.has(inner.id)) throw badRequest(`Duplicate request id '${inner.id}' in the batch.`, 'BadRequest');
    ids.add(inner.id);
  }

  const statuses = new Map<string, number>();
  let delayInMs = 0;
  const responses = requests.map((inner) => {
    const failedDependency = (inner.dependsOn ?? []).find((id) => !isSuccess(statuses.get(id) ?? 424));
    const answer = failedDependency
      ? errorAnswer(new GraphHttpError(424, 'FailedDependency', `Request '${failedDependency}' this one depends on failed.`))
      : dispatchInner(inner, request, dispatch);
    statuses.set(inner.id, answer.status);
    // Graph runs independent inner requests in parallel: the batch is as late as its slowest one.
    delayInMs = Math.max(delayInMs, answer.delayInMs ?? 0);
    return {
      id: inner.id,
      status: answer.status,
      headers: { 'Content-Type': 'application/json', ...(answer.headers ?? {}) },
      ...(answer.body !== undefined ? { body: answer.body } : {}),
    };
  });
  return { status: 200, body: { responses }, ...(delayInMs > 0 ? { delayInMs } : {}) };
}

function dispatchInner(
  inner: { method: string; url: string; body?: unknown },
  outer: EmulatorRequest,
  dispatch: InnerDispatch,
): EmulatorResponse {
  const url = new URL(inner.url.startsWith('/') ? inner.url : `/${inner.url}`, 'http://batch.invalid');
  return dispatch({
    method: inner.method.toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    body: inner.body,
    baseUrl: outer.baseUrl,
    now: outer.now,
  });
}

function errorAnswer(err: GraphHttpError): EmulatorResponse {
  return { status: err.status, body: { error: { code: err.code, message: err.message } } };
}
