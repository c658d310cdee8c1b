import { z } from 'zod';

/** Graph answered 2xx with a body we cannot use: a bug or an API change, not a Graph error to classify. */
export class UnexpectedGraphResponseError extends Error {
  constructor(what: string, detail: string) {
    super(`Graph answered ${what} with an unexpected body: ${detail}`);
    this.name = 'UnexpectedGraphResponseError';
  }
}

export function parseGraphResponse<S extends z.ZodTypeAny>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UnexpectedGraphResponseError(what, `${issue.path.join('.') || '(body)'} ${issue.message}`);
  }
  return result.data;
}

/** A page of a Graph collection. */
export function pageSchema<S extends z.ZodTypeAny>(item: S) {
  return z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });
}

const optionalText = z.string().nullish();

export const userSchema = z.object({
  '@odata.type': z.string().optional(),
  id: z.string(),
  displayName: optionalText,
  mail: optionalText,
  department: optionalText,
  jobTitle: optionalText,
  companyName: optionalText,
  userType: optionalText,
  accountEnabled: z.boolean().nullish(),
});

export const groupSchema = z.object({ id: z.string(), displayName: optionalText });

export const servicePrincipalSchema = z.object({
  id: z.string(),
  displayName: optionalText,
  appRoles: z
    .array(z.object({ id: z.string(), displayName: optionalText, value: optionalText }))
    .nullish(),
});

export const directoryObjectSchema = z.object({ '@odata.type': z.string().optional(), id: z.string() });

export const stringListSchema = z.object({ value: z.array(z.string()) });

export const appRoleAssignmentSchema = z.object({
  id: z.string(),
  principalId: z.string(),
  resourceId: z.string(),
  appRoleId: z.string(),
});
