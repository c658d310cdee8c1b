import { z } from 'zod';
import type { GraphEmulatorCore } from './emulator';
import { badRequest, GraphHttpError } from './errors';
import type { FaultSpec } from './faults';
import { handlePermissionControl } from './permissionRoutes';
import type { EmulatorResponse } from './router';

/** Test-only paths next to `/v1.0`; Graph has nothing like them. */
export const CONTROL_PREFIX = '/_emulator';

const FAULT_STATUSES = [403, 404, 429, 500, 502, 503, 504] as const;

/**
 * `POST /_emulator/faults`. Unlike in-process `failNext`, a fault set over HTTP is a switch: it stays on until
 * cleared unless `times` is given. `path` matches any request path containing it (case-insensitive).
 */
const faultBodySchema = z
  .object({
    status: z
      .number()
      .int()
      .refine((s) => (FAULT_STATUSES as readonly number[]).includes(s), `must be one of ${FAULT_STATUSES.join(', ')}`)
      .optional(),
    retryAfterInSeconds: z.number().int().min(0).max(3600).optional(),
    rate: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
    path: z.string().min(1).optional(),
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(['GET', 'POST', 'DELETE']))
      .optional(),
    times: z.number().int().min(1).optional(),
    delayInMs: z.number().int().min(0).max(120_000).optional(),
    code: z.string().min(1).optional(),
    message: z.string().min(1).optional(),
  })
  .strict()
  .refine((f) => f.status !== undefined || (f.delayInMs ?? 0) > 0, { message: 'needs a status or a delayInMs' });

type FaultBody = z.output<typeof faultBodySchema>;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function toFaultSpec(body: FaultBody): FaultSpec {
  const { path, times, ...rest } = body;
  return {
    ...rest,
    ...(path !== undefined ? { path: new RegExp(escapeRegExp(path), 'i') } : {}),
    times: times ?? Number.POSITIVE_INFINITY,
  };
}

/** A fault as JSON (the path pattern as its text; `times: null` = until cleared). */
function describeFault(spec: FaultSpec): Record<string, unknown> {
  const { path, times, ...rest } = spec;
  return {
    ...rest,
    ...(path !== undefined ? { path: typeof path === 'string' ? path : path.source.replace(/\\(.)/g, '$1') } : {}),
    times: times === undefined || Number.isFinite(times) ? (times ?? 1) : null,
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`Invalid segment '${segment}'.`, 'BadRequest');
  }
}

const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });

/** Answers `/_emulator/...` (path without the prefix): fault switches, application permissions, the logs and state for assertions. */
export function handleControl(core: GraphEmulatorCore, method: string, path: string, body: unknown): EmulatorResponse {
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  if (segments[0] === 'permissions') return handlePermissionControl(core.permissions, method, segments.slice(1));
  const route = `${method} ${segments.map((s, i) => (segments[0] === 'state' && i === 2 ? ':id' : s)).join('/')}`;
  switch (route) {
    case 'POST faults': {
      const parsed = faultBodySchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw badRequest(`Invalid fault: ${issue.path.join('.') || 'body'} ${issue.message}.`, 'BadRequest');
      }
      const spec = toFaultSpec(parsed.data);
      core.failNext(spec);
      return ok(describeFault(spec));
    }
    case 'GET faults':
      return ok({ value: core.faultsArmed().map(describeFault) });
    case 'DELETE faults':
      core.clearFaults();
      return { status: 204 };
    case 'GET writes':
      return ok({ value: core.writes() });
    case 'GET requests':
      return ok({ value: core.requests() });
    case 'GET state/groups/:id/members':
    case 'GET state/groups/:id/owners': {
      const relation = segments[3] === 'owners' ? 'owners' : 'members';
      return ok({ value: core.store.listReferences(segments[2], relation).map((o) => (o.kind === 'user' ? o.user.id : o.group.id)) });
    }
    case 'GET state/servicePrincipals/:id/appRoleAssignedTo':
      return ok({ value: core.store.listAssignments(segments[2]) });
    default:
      throw new GraphHttpError(404, 'NotFound', `No emulator control endpoint ${method} ${CONTROL_PREFIX}${path}.`);
  }
}
