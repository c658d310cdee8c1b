import { randomBytes } from 'node:crypto';
import { badRequest, GraphHttpError, resourceNotFound } from './errors';
import type { GraphSeed } from './seed';

export type SeedUser = GraphSeed['users'][number];
export type SeedServicePrincipal = GraphSeed['servicePrincipals'][number];
export type SeedTeamsApp = GraphSeed['teamsApps'][number];

export interface GroupState {
  id: string;
  displayName: string;
  description?: string;
  /** Lower-cased object ids. */
  members: Set<string>;
  owners: Set<string>;
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  resourceId: string;
  appRoleId: string;
  createdDateTime: string;
}

export type DirectoryObject = { kind: 'user'; user: SeedUser } | { kind: 'group'; group: GroupState };

export type Relation = 'members' | 'owners';

/** A Teams app installed in a user's personal scope (`/users/{id}/teamwork/installedApps`). */
export interface InstalledApp {
  /** Like Graph's: base64 of `{user id}##{catalog app id}`. */
  id: string;
  /** The catalog app's id, as the catalog spells it. */
  teamsAppId: string;
  installedDateTime: string;
}

export const DUPLICATE_APP_ROLE = 'Permission being assigned already exists on the object';
/**
 * Graph's 400 for removing a group's last owner. The reference (group-delete-owners) says only that the last owner
 * (a user) cannot be removed; this text is what Graph answers, as reported in
 * microsoftgraph/microsoft-graph-docs-contrib#3741.
 */
export const LAST_OWNER = 'The group must have at least one owner, hence this owner cannot be removed.';

const key = (id: string) => id.toLowerCase();

/** Graph's assignment ids are 43 base64url characters. */
function newAssignmentId(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}

/** The emulated tenant's state, in memory. Ids are matched case-insensitively, as Graph does. */
export class DirectoryStore {
  private readonly users = new Map<string, SeedUser>();
  private readonly groups = new Map<string, GroupState>();
  private readonly servicePrincipals = new Map<string, SeedServicePrincipal>();
  private readonly assignments = new Map<string, AppRoleAssignment>();
  /** The tenant's Teams app catalog, by lower-cased catalog id. */
  private readonly teamsAppCatalog = new Map<string, SeedTeamsApp>();
  /** Lower-cased user id → the apps installed for that user, oldest first. */
  private readonly installedApps = new Map<string, InstalledApp[]>();

  constructor(seed: GraphSeed, now: Date = new Date()) {
    for (const user of seed.users) this.users.set(key(user.id), user);
    for (const group of seed.groups) {
      this.groups.set(key(group.id), {
        id: group.id,
        displayName: group.displayName,
        ...(group.description !== undefined ? { description: group.description } : {}),
        members: new Set(group.members.map(key)),
        owners: new Set(group.owners.map(key)),
      });
    }
    for (const sp of seed.servicePrincipals) this.servicePrincipals.set(key(sp.id), sp);
    for (const app of seed.teamsApps) this.teamsAppCatalog.set(key(app.id), app);
    for (const a of seed.appRoleAssignments) {
      const id = a.id ?? newAssignmentId();
      this.assignments.set(id, { ...a, id, createdDateTime: now.toISOString() });
    }
  }

  getUser(id: string): SeedUser {
    const user = this.users.get(key(id));
    if (!user) throw resourceNotFound(id);
    return user;
  }

  /** Every user, in seed order. */
  listUsers(): SeedUser[] {
    return [...this.users.values()];
  }

  /** The Teams apps installed for the user (404 for an unknown user). */
  listInstalledApps(userId: string): InstalledApp[] {
    const user = this.getUser(userId);
    return [...(this.installedApps.get(key(user.id)) ?? [])];
  }

  getManager(userId: string): SeedUser {
    const user = this.getUser(userId);
    if (!user.managerId) throw resourceNotFound('manager');
    return this.getUser(user.managerId);
  }

  getGroup(id: string): GroupState {
    const group = this.groups.get(key(id));
    if (!group) throw resourceNotFound(id);
    return group;
  }

  getServicePrincipal(id: string): SeedServicePrincipal {
    const sp = this.servicePrincipals.get(key(id));
    if (!sp) throw resourceNotFound(id);
    return sp;
  }

  findObject(id: string): DirectoryObject | undefined {
    const user = this.users.get(key(id));
    if (user) return { kind: 'user', user };
    const group = this.groups.get(key(id));
    return group ? { kind: 'group', group } : undefined;
  }

  listReferences(groupId: string, relation: Relation): DirectoryObject[] {
    return [...this.getGroup(groupId)[relation]].flatMap((id) => this.findObject(id) ?? []);
  }

  /** Members of the group and of its nested groups (nested groups included), each once. */
  listTransitiveMembers(groupId: string): DirectoryObject[] {
    const root = this.getGroup(groupId);
    const seen = new Set<string>([key(root.id)]);
    const out: DirectoryObject[] = [];
    const visit = (group: GroupState) => {
      for (const id of group.members) {
        if (seen.has(id)) continue;
        seen.add(id);
        const object = this.findObject(id);
        if (!object) continue;
        out.push(object);
        if (object.kind === 'group') visit(object.group);
      }
    };
    visit(root);
    return out;
  }

  /** Ids of every group the object belongs to, directly or through nested groups. */
  transitiveGroupIds(objectId: string): Set<string> {
    const found = new Set<string>();
    const pending = [key(objectId)];
    while (pending.length) {
      const current = pending.pop() as string;
      for (const group of this.groups.values()) {
        const id = key(group.id);
        if (!found.has(id) && group.members.has(current)) {
          found.add(id);
          pending.push(id);
        }
      }
    }
    return found;
  }

  addReference(groupId: string, relation: Relation, objectId: string): void {
    const group = this.getGroup(groupId);
    const object = this.findObject(objectId);
    if (!object) throw resourceNotFound(objectId);
    if (relation === 'owners' && object.kind !== 'user') {
      throw badRequest(`Object '${objectId}' cannot be an owner of a group: only users and service principals can.`);
    }
    if (relation === 'members' && key(objectId) === key(group.id)) {
      throw badRequest('A group cannot be a member of itself.');
    }
    if (group[relation].has(key(objectId))) {
      throw badRequest(
        `One or more added object references already exist for the following modified properties: '${relation}'.`,
      );
    }
    group[relation].add(key(objectId));
  }

  removeReference(groupId: string, relation: Relation, objectId: string): void {
    const group = this.getGroup(groupId);
    if (!group[relation].has(key(objectId))) throw resourceNotFound(objectId);
    // Once a group has owners, Graph keeps at least one (owners here are users only).
    if (relation === 'owners' && group.owners.size === 1) throw badRequest(LAST_OWNER);
    group[relation].delete(key(objectId));
  }

  listAssignments(resourceId: string, principalId?: string): AppRoleAssignment[] {
    const sp = this.getServicePrincipal(resourceId);
    return [...this.assignments.values()].filter(
      (a) => key(a.resourceId) === key(sp.id) && (principalId === undefined || key(a.principalId) === key(principalId)),
    );
  }

  /**
   * `GET /users/{id}/appRoleAssignments`: the user's assignments and those of groups the user is a direct member
   * of, optionally on one resource service principal only (404 for an unknown user).
   */
  listUserAssignments(userId: string, resourceId?: string): AppRoleAssignment[] {
    const user = this.getUser(userId);
    const principals = new Set([key(user.id)]);
    for (const group of this.groups.values()) if (group.members.has(key(user.id))) principals.add(key(group.id));
    return [...this.assignments.values()].filter(
      (a) => principals.has(key(a.principalId)) && (resourceId === undefined || key(a.resourceId) === key(resourceId)),
    );
  }

  assign(resourceId: string, request: { principalId: string; resourceId: string; appRoleId: string }, now: Date): AppRoleAssignment {
    const sp = this.getServicePrincipal(resourceId);
    if (key(request.resourceId) !== key(sp.id)) {
      throw badRequest(`resourceId '${request.resourceId}' does not match the service principal '${sp.id}' in the URL.`);
    }
    if (!this.findObject(request.principalId)) throw resourceNotFound(request.principalId);
    const role = sp.appRoles.find((r) => key(r.id) === key(request.appRoleId));
    if (!role) throw badRequest(`Permission being assigned was not found on application '${sp.appId}'.`);
    const existing = this.listAssignments(sp.id, request.principalId).find((a) => key(a.appRoleId) === key(role.id));
    if (existing) throw badRequest(DUPLICATE_APP_ROLE);
    const created: AppRoleAssignment = {
      id: newAssignmentId(),
      principalId: this.canonicalId(request.principalId),
      resourceId: sp.id,
      appRoleId: role.id,
      createdDateTime: now.toISOString(),
    };
    this.assignments.set(created.id, created);
    return created;
  }

  unassign(resourceId: string, assignmentId: string): void {
    const sp = this.getServicePrincipal(resourceId);
    const assignment = this.assignments.get(assignmentId);
    if (!assignment || key(assignment.resourceId) !== key(sp.id)) throw resourceNotFound(assignmentId);
    this.assignments.delete(assignmentId);
  }

  /**
   * `POST /users/{id}/teamwork/installedApps`: 404 for a user or an app the tenant's catalog does not have (Graph
   * installs only apps of the organization's catalog or the Teams Store), 409 Conflict when it is installed already.
   */
  installTeamsApp(userId: string, teamsAppId: string, now: Date = new Date()): InstalledApp {
    const user = this.getUser(userId);
    const app = this.teamsCatalogApp(teamsAppId);
    const installed = this.installedApps.get(key(user.id)) ?? [];
    if (installed.some((i) => key(i.teamsAppId) === key(app.id))) throw new GraphHttpError(409, 'Conflict', 'App is already installed for this user.');
    const installation = {
      id: Buffer.from(`${user.id}##${app.id}`).toString('base64'),
      teamsAppId: app.id,
      installedDateTime: now.toISOString(),
    };
    this.installedApps.set(key(user.id), [...installed, installation]);
    return installation;
  }

  /** The person removed the app (what makes the bot's conversation with them answer 403 BotNotInConversationRoster). */
  uninstallTeamsApp(userId: string, teamsAppId: string): void {
    const user = this.getUser(userId);
    const installed = this.installedApps.get(key(user.id)) ?? [];
    const kept = installed.filter((i) => key(i.teamsAppId) !== key(teamsAppId));
    if (kept.length === installed.length) throw resourceNotFound(teamsAppId);
    this.installedApps.set(key(user.id), kept);
  }

  /** The Teams catalog app ids installed for the user (lower-cased), oldest first. */
  installedTeamsApps(userId: string): string[] {
    return (this.installedApps.get(key(userId)) ?? []).map((i) => key(i.teamsAppId));
  }

  /** One installation of the user's (404 for an unknown user or installation). */
  getInstalledApp(userId: string, installationId: string): InstalledApp {
    const installation = this.listInstalledApps(userId).find((i) => i.id === installationId);
    if (!installation) throw resourceNotFound(installationId);
    return installation;
  }

  /** A catalog app (404 when the tenant's catalog does not have it). */
  teamsCatalogApp(teamsAppId: string): SeedTeamsApp {
    const app = this.teamsAppCatalog.get(key(teamsAppId));
    if (!app) throw new GraphHttpError(404, 'NotFound', `The app '${teamsAppId}' was not found in the tenant's app catalog.`);
    return app;
  }

  /**
   * The id of the one-on-one chat between the user and an installed app, in Teams' format: `19:{bot id}_{user
   * id}@unq.gbl.spaces` (the documented example of "Get chat between user and teamsApp").
   */
  chatIdOf(userId: string, installationId: string): string {
    const user = this.getUser(userId);
    const app = this.teamsCatalogApp(this.getInstalledApp(user.id, installationId).teamsAppId);
    return `19:${key(app.botId ?? app.id)}_${key(user.id)}@unq.gbl.spaces`;
  }

  displayNameOf(id: string): string {
    const object = this.findObject(id);
    if (!object) throw new GraphHttpError(500, 'generalException', `dangling reference ${id}`);
    return object.kind === 'user' ? object.user.displayName : object.group.displayName;
  }

  private canonicalId(id: string): string {
    const object = this.findObject(id);
    if (!object) throw resourceNotFound(id);
    return object.kind === 'user' ? object.user.id : object.group.id;
  }
}
