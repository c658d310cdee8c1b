import type { Client } from '@microsoft/microsoft-graph-client';
import type { z } from 'zod';
import type { Directory, DirectoryGroup, DirectoryServicePrincipal, DirectoryUser } from '../app/ports';
import { callGraph, GraphCallError } from './errors';
import { nextLinkPath } from './graphClient';
import {
  directoryObjectSchema,
  groupSchema,
  pageSchema,
  parseGraphResponse,
  servicePrincipalSchema,
  stringListSchema,
  userSchema,
} from './responses';

const USER_FIELDS = 'id,displayName,mail,department,jobTitle,companyName,userType,accountEnabled';
const USER_TYPE = '#microsoft.graph.user';
/** Graph's limit of group ids per checkMemberGroups call. */
const CHECK_MEMBER_GROUPS_LIMIT = 20;

function toDirectoryUser(user: z.output<typeof userSchema>): DirectoryUser {
  return {
    id: user.id,
    displayName: user.displayName ?? user.mail ?? user.id,
    ...(user.mail ? { mail: user.mail } : {}),
    ...(user.department ? { department: user.department } : {}),
    ...(user.jobTitle ? { jobTitle: user.jobTitle } : {}),
    ...(user.companyName ? { companyName: user.companyName } : {}),
    userType: user.userType === 'Guest' ? 'Guest' : 'Member',
    // Selected explicitly, so null means Graph did not say; only an explicit false disables.
    accountEnabled: user.accountEnabled !== false,
  };
}

async function undefinedIfNotFound<T>(operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await callGraph(operation);
  } catch (err) {
    if (err instanceof GraphCallError && err.statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Users, managers and group membership from Microsoft Graph. Failures other than the documented 404s
 * are thrown as GraphCallError (statusCode, Graph code, message).
 */
export class GraphDirectory implements Directory {
  constructor(private readonly client: Client) {}

  async getUser(userId: string): Promise<DirectoryUser | undefined> {
    const path = `/users/${encodeURIComponent(userId)}`;
    const body: unknown = await undefinedIfNotFound(() => this.client.api(path).select(USER_FIELDS).get());
    return body === undefined ? undefined : toDirectoryUser(parseGraphResponse(userSchema, body, `GET ${path}`));
  }

  async getManager(userId: string): Promise<DirectoryUser | undefined> {
    const path = `/users/${encodeURIComponent(userId)}/manager`;
    const body: unknown = await undefinedIfNotFound(() => this.client.api(path).select(USER_FIELDS).get());
    if (body === undefined) return undefined;
    const manager = parseGraphResponse(userSchema, body, `GET ${path}`);
    // A manager can in principle be an org contact; only users can approve.
    if (manager['@odata.type'] !== undefined && manager['@odata.type'] !== USER_TYPE) return undefined;
    return toDirectoryUser(manager);
  }

  async listTransitiveMemberUserIds(groupId: string): Promise<string[]> {
    const ids = new Set<string>();
    let path: string | undefined = `/groups/${encodeURIComponent(groupId)}/transitiveMembers?$select=id&$top=999`;
    while (path) {
      const pagePath: string = path;
      const body: unknown = await callGraph(() => this.client.api(pagePath).get());
      const page = parseGraphResponse(pageSchema(directoryObjectSchema), body, `GET ${pagePath}`);
      for (const member of page.value) {
        if (member['@odata.type'] === USER_TYPE) ids.add(member.id);
      }
      const next = page['@odata.nextLink'];
      path = next ? nextLinkPath(next) : undefined;
    }
    return [...ids];
  }

  async checkMemberGroups(userId: string, groupIds: string[]): Promise<string[]> {
    const path = `/users/${encodeURIComponent(userId)}/checkMemberGroups`;
    const wanted = [...new Set(groupIds)];
    const found = new Set<string>();
    for (let i = 0; i < wanted.length; i += CHECK_MEMBER_GROUPS_LIMIT) {
      const chunk = wanted.slice(i, i + CHECK_MEMBER_GROUPS_LIMIT);
      const body: unknown = await callGraph(() => this.client.api(path).post({ groupIds: chunk }));
      for (const id of parseGraphResponse(stringListSchema, body, `POST ${path}`).value) found.add(id.toLowerCase());
    }
    // Keep the caller's order and spelling.
    return wanted.filter((id) => found.has(id.toLowerCase()));
  }

  async getGroup(groupId: string): Promise<DirectoryGroup | undefined> {
    const path = `/groups/${encodeURIComponent(groupId)}`;
    const body: unknown = await undefinedIfNotFound(() => this.client.api(path).select('id,displayName').get());
    if (body === undefined) return undefined;
    const group = parseGraphResponse(groupSchema, body, `GET ${path}`);
    return { id: group.id, displayName: group.displayName ?? group.id };
  }

  async getServicePrincipal(servicePrincipalId: string): Promise<DirectoryServicePrincipal | undefined> {
    const path = `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}`;
    const body: unknown = await undefinedIfNotFound(() => this.client.api(path).select('id,displayName,appRoles').get());
    if (body === undefined) return undefined;
    const sp = parseGraphResponse(servicePrincipalSchema, body, `GET ${path}`);
    return {
      id: sp.id,
      displayName: sp.displayName ?? sp.id,
      appRoles: (sp.appRoles ?? []).map((role) => ({
        id: role.id,
        displayName: role.displayName ?? role.value ?? role.id,
        ...(role.value ? { value: role.value } : {}),
      })),
    };
  }
}
