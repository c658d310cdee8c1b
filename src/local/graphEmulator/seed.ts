import { z } from 'zod';
import { parseJson, readJsonFile } from '../../jsonFile';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const objectId = z.string().regex(GUID, 'must be an object id (a GUID)');

const userSeedSchema = z
  .object({
    id: objectId,
    displayName: z.string().min(1),
    userPrincipalName: z.string().min(1).optional(),
    mail: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    jobTitle: z.string().min(1).optional(),
    companyName: z.string().min(1).optional(),
    userType: z.enum(['Member', 'Guest']).default('Member'),
    accountEnabled: z.boolean().default(true),
    managerId: objectId.optional(),
  })
  .strict();

const groupSeedSchema = z
  .object({
    id: objectId,
    displayName: z.string().min(1),
    description: z.string().optional(),
    members: z.array(objectId).default([]),
    owners: z.array(objectId).default([]),
  })
  .strict();

const appRoleSeedSchema = z
  .object({
    id: objectId,
    value: z.string().min(1),
    displayName: z.string().min(1),
    description: z.string().optional(),
    /** Who can be assigned the role: users and groups (default), or apps (`Application`: an application permission). */
    allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1).optional(),
  })
  .strict();

const servicePrincipalSeedSchema = z
  .object({
    id: objectId,
    appId: objectId,
    displayName: z.string().min(1),
    appRoles: z.array(appRoleSeedSchema).default([]),
  })
  .strict();

const appRoleAssignmentSeedSchema = z
  .object({ id: z.string().min(1).optional(), principalId: objectId, resourceId: objectId, appRoleId: objectId })
  .strict();

function addDuplicateIssues(ctx: z.RefinementCtx, ids: string[], path: (i: number) => (string | number)[], what: string): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    const key = id.toLowerCase();
    if (seen.has(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: path(i), message: `duplicate ${what} "${id}"` });
    seen.add(key);
  });
}

export const graphSeedSchema = z
  .object({
    users: z.array(userSeedSchema).default([]),
    groups: z.array(groupSeedSchema).default([]),
    servicePrincipals: z.array(servicePrincipalSeedSchema).default([]),
    appRoleAssignments: z.array(appRoleAssignmentSeedSchema).default([]),
    /**
     * The tenant's Teams app catalog (`/appCatalogs/teamsApps`): only these apps can be installed for a user. `id` is
     * the catalog id (TEAMS_APP_ID), `botId` the app's bot (named in the id of a user's chat with the app).
     */
    teamsApps: z
      .array(z.object({ id: z.string().min(1), displayName: z.string().min(1).default('Teams app'), botId: z.string().min(1).optional() }).strict())
      .default([]),
  })
  .strict()
  .superRefine((seed, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    const all = [...seed.users, ...seed.groups, ...seed.servicePrincipals].map((o) => o.id);
    addDuplicateIssues(ctx, all, (i) => objectPath(seed, i), 'object id');
    const users = new Set(seed.users.map((u) => u.id.toLowerCase()));
    const groups = new Set(seed.groups.map((g) => g.id.toLowerCase()));
    seed.users.forEach((user, u) => {
      if (user.managerId && !users.has(user.managerId.toLowerCase())) {
        issue(['users', u, 'managerId'], `"${user.managerId}" is not a user in users`);
      }
    });
    seed.groups.forEach((group, g) => {
      group.members.forEach((id, m) => {
        if (!users.has(id.toLowerCase()) && !groups.has(id.toLowerCase())) {
          issue(['groups', g, 'members', m], `"${id}" is not a user or group of this seed`);
        } else if (id.toLowerCase() === group.id.toLowerCase()) {
          issue(['groups', g, 'members', m], 'a group cannot be a member of itself');
        }
      });
      group.owners.forEach((id, o) => {
        if (!users.has(id.toLowerCase())) issue(['groups', g, 'owners', o], `"${id}" is not a user in users`);
      });
    });
    seed.servicePrincipals.forEach((sp, s) =>
      addDuplicateIssues(ctx, sp.appRoles.map((r) => r.id), (r) => ['servicePrincipals', s, 'appRoles', r, 'id'], 'app role id'),
    );
    seed.appRoleAssignments.forEach((a, i) => {
      const sp = seed.servicePrincipals.find((s) => s.id.toLowerCase() === a.resourceId.toLowerCase());
      if (!sp) issue(['appRoleAssignments', i, 'resourceId'], `"${a.resourceId}" is not a service principal of this seed`);
      else if (!sp.appRoles.some((r) => r.id.toLowerCase() === a.appRoleId.toLowerCase())) {
        issue(['appRoleAssignments', i, 'appRoleId'], `"${a.appRoleId}" is not an app role of ${sp.displayName}`);
      }
      if (!users.has(a.principalId.toLowerCase()) && !groups.has(a.principalId.toLowerCase())) {
        issue(['appRoleAssignments', i, 'principalId'], `"${a.principalId}" is not a user or group of this seed`);
      }
    });
  });

/** Path of the i-th id in users ++ groups ++ servicePrincipals. */
function objectPath(seed: { users: unknown[]; groups: unknown[] }, i: number): (string | number)[] {
  if (i < seed.users.length) return ['users', i, 'id'];
  if (i < seed.users.length + seed.groups.length) return ['groups', i - seed.users.length, 'id'];
  return ['servicePrincipals', i - seed.users.length - seed.groups.length, 'id'];
}

export type GraphSeedInput = z.input<typeof graphSeedSchema>;
export type GraphSeed = z.output<typeof graphSeedSchema>;

export class GraphSeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphSeedError';
  }
}

/** Validates a seed; the error names the source, the JSON path and the problem (e.g. `$.groups[2].members[0]`). */
export function parseGraphSeed(json: unknown, source = 'seed'): GraphSeed {
  return parseJson(graphSeedSchema, json, source, GraphSeedError);
}

export async function loadGraphSeed(file: string): Promise<GraphSeed> {
  return parseGraphSeed(await readJsonFile(file, GraphSeedError), file);
}
