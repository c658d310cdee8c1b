/**
 * Which Microsoft Graph application permissions allow each route the emulator answers, from the "Permissions" table of
 * each call's v1.0 reference page (https://learn.microsoft.com/graph/api/<page>), least privileged first, higher
 * privileged ones included. An entry is a list of alternatives; an alternative is one permission or several that are
 * all needed ("AppRoleAssignment.ReadWrite.All and Application.Read.All"). `GraphEmulatorCore` enforces it for every
 * request, inside `$batch` too, and answers Graph's 403 when no alternative is granted. Only application permissions:
 * the emulator's caller is an app without a signed-in user, as the bot is.
 */
import { MICROSOFT_GRAPH_APP_ID } from '../../graph/permissions';

export type PermissionAlternative = string | readonly string[];

export interface PermissionRule {
  /** Any one of these allows the call. */
  anyOf: readonly PermissionAlternative[];
  /** The reference page (under https://learn.microsoft.com/graph/api/). */
  page: string;
  /**
   * The route parameter naming a service principal that the caller may read when it is its own, without any
   * permission (serviceprincipal-get: "A service principal can retrieve its own application and service principal
   * details without being granted any application permissions").
   */
  selfParam?: string;
}

const USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/**
 * group-get and group-list-owners (group-list-members alike): GroupMember.Read.All, then Group.ReadWrite.All,
 * Directory.Read.All, Group.Read.All, GroupMember.ReadWrite.All (Directory.ReadWrite.All for group-get). group-get's table
 * omits GroupMember.ReadWrite.All, whose description in the permissions reference says it reads basic properties.
 */
const GROUP_READ = ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** group-list-transitivemembers: GroupMember.ReadBasic.All, then the others. */
const TRANSITIVE_MEMBERS = ['GroupMember.ReadBasic.All', 'Group.ReadBasic.All', ...GROUP_READ];
/** group-post-members (user members), group-delete-members. */
const MEMBERS_WRITE = ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];
/** group-post-owners, group-delete-owners. */
const OWNERS_WRITE = ['Group.ReadWrite.All', 'Directory.ReadWrite.All'];
/**
 * directoryobject-checkmembergroups, "Group memberships for a user": User.Read.All and GroupMember.Read.All,
 * User.Read.All and Group.Read.All, Directory.Read.All. With the ReadWrite group permissions too, whose descriptions
 * include reading memberships.
 */
const CHECK_MEMBER_GROUPS: PermissionAlternative[] = [
  ['User.Read.All', 'GroupMember.Read.All'],
  ['User.Read.All', 'Group.Read.All'],
  'Directory.Read.All',
  ['User.Read.All', 'GroupMember.ReadWrite.All'],
  ['User.Read.All', 'Group.ReadWrite.All'],
  'Directory.ReadWrite.All',
];
/** serviceprincipal-get, serviceprincipal-list-approleassignments, serviceprincipal-list-approleassignedto. */
const SERVICE_PRINCIPAL_READ = ['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** serviceprincipal-post-approleassignedto. */
const ASSIGN: PermissionAlternative[] = [
  ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All'],
  ['AppRoleAssignment.ReadWrite.All', 'Directory.Read.All'],
];
const TEAMS_APP = (rest: string) => `TeamsAppInstallation.${rest}ForUser.All`;
/** userteamwork-list-installedapps (userteamwork-get-installedapps alike). */
const TEAMS_READ = ['Read', 'ReadWriteSelf', 'ReadWriteAndConsent', 'ReadWriteAndConsentSelf', 'ReadWrite', 'ReadWriteSelected'].map(TEAMS_APP);
/** userteamwork-post-installedapps. */
const TEAMS_INSTALL = ['ReadWriteSelf', 'ManageSelected', 'ReadWriteAndConsent', 'ReadWriteAndConsentSelf', 'ReadWrite', 'ReadWriteSelected'].map(TEAMS_APP);
/** userscopeteamsappinstallation-get-chat. */
const TEAMS_CHAT = ['Read', 'ReadWrite', 'ReadWriteSelected', 'ReadWriteSelf'].map(TEAMS_APP);

/** By `METHOD pattern`, parameters written `:` (see `ruleKey`). */
const RULES: Record<string, PermissionRule> = {
  'GET /users': { anyOf: USERS, page: 'user-list' },
  'GET /users/:': { anyOf: USERS, page: 'user-get' },
  'GET /users/:/manager': { anyOf: USERS, page: 'user-list-manager' },
  'POST /users/:/checkMemberGroups': { anyOf: CHECK_MEMBER_GROUPS, page: 'directoryobject-checkmembergroups' },
  'GET /users/:/appRoleAssignments': { anyOf: ['Directory.Read.All', 'AppRoleAssignment.ReadWrite.All'], page: 'user-list-approleassignments' },
  'GET /users/:/teamwork/installedApps': { anyOf: TEAMS_READ, page: 'userteamwork-list-installedapps' },
  'POST /users/:/teamwork/installedApps': { anyOf: TEAMS_INSTALL, page: 'userteamwork-post-installedapps' },
  'GET /users/:/teamwork/installedApps/:': { anyOf: TEAMS_READ, page: 'userteamwork-get-installedapps' },
  'GET /users/:/teamwork/installedApps/:/chat': { anyOf: TEAMS_CHAT, page: 'userscopeteamsappinstallation-get-chat' },
  'GET /groups/:': { anyOf: GROUP_READ, page: 'group-get' },
  'GET /groups/:/transitiveMembers': { anyOf: TRANSITIVE_MEMBERS, page: 'group-list-transitivemembers' },
  'GET /groups/:/members': { anyOf: GROUP_READ, page: 'group-list-members' },
  'POST /groups/:/members/$ref': { anyOf: MEMBERS_WRITE, page: 'group-post-members' },
  'DELETE /groups/:/members/:/$ref': { anyOf: MEMBERS_WRITE, page: 'group-delete-members' },
  'GET /groups/:/owners': { anyOf: GROUP_READ, page: 'group-list-owners' },
  'POST /groups/:/owners/$ref': { anyOf: OWNERS_WRITE, page: 'group-post-owners' },
  'DELETE /groups/:/owners/:/$ref': { anyOf: OWNERS_WRITE, page: 'group-delete-owners' },
  'GET /servicePrincipals/:': { anyOf: SERVICE_PRINCIPAL_READ, page: 'serviceprincipal-get', selfParam: 'id' },
  'GET /servicePrincipals/:/appRoleAssignments': { anyOf: SERVICE_PRINCIPAL_READ, page: 'serviceprincipal-list-approleassignments' },
  'GET /servicePrincipals/:/appRoleAssignedTo': { anyOf: SERVICE_PRINCIPAL_READ, page: 'serviceprincipal-list-approleassignedto' },
  'POST /servicePrincipals/:/appRoleAssignedTo': { anyOf: ASSIGN, page: 'serviceprincipal-post-approleassignedto' },
  'DELETE /servicePrincipals/:/appRoleAssignedTo/:': { anyOf: ['AppRoleAssignment.ReadWrite.All'], page: 'serviceprincipal-delete-approleassignedto' },
};

/** `GET /users/:id/manager` → `GET /users/:/manager`: the key of a route whatever its parameters are called. */
export function ruleKey(method: string, pattern: string): string {
  return `${method} ${pattern.replace(/\/:[^/]+/g, '/:')}`;
}

/** The rule of a route; undefined for a route nobody declared (a test makes sure there is none). */
export function ruleFor(method: string, pattern: string): PermissionRule | undefined {
  return RULES[ruleKey(method, pattern)];
}

/** True when the granted permissions include one of the rule's alternatives whole. */
export function allows(rule: PermissionRule, granted: ReadonlySet<string>): boolean {
  return rule.anyOf.some((alternative) => (typeof alternative === 'string' ? [alternative] : alternative).every((p) => granted.has(p)));
}

/**
 * Microsoft Graph's service principal as the emulator serves it: its app roles are the application permissions the
 * table above names (GroupMember.ReadBasic.All and Group.ReadBasic.All aside: no id for them was verified, so they cannot
 * be granted here). The ids are Graph's own: those of Application.*, Directory.*, Group.Read(Write).All, User.Read.All
 * and User.ReadBasic.All, and their display names, as https://learn.microsoft.com/graph/migrate-azure-ad-graph-permissions-differences
 * lists them; the others (GroupMember.*, AppRoleAssignment.*, User.ReadWrite.All, TeamsAppInstallation.*) as public
 * deployment scripts and Graph dumps agree, not checked against a Microsoft page here (the permissions reference
 * lists them all: https://learn.microsoft.com/graph/permissions-reference); their display name is their value.
 */
export const GRAPH_APP_ROLES: readonly { value: string; id: string; displayName?: string }[] = [
  { value: 'User.Read.All', id: 'df021288-bdef-4463-88db-98f22de89214', displayName: "Read all users' full profiles" },
  { value: 'User.ReadBasic.All', id: '97235f07-e226-4f63-ace3-39588e11d3a1', displayName: "Read all users' basic profiles" },
  { value: 'User.ReadWrite.All', id: '741f803b-c850-494e-b5df-cde7c675a1ca' },
  { value: 'GroupMember.Read.All', id: '98830695-27a2-44f7-8c18-0c3ebc9698f6' },
  { value: 'GroupMember.ReadWrite.All', id: 'dbaae8cf-10b5-4b86-a4a1-f871c94c6695' },
  { value: 'Group.Read.All', id: '5b567255-7703-4780-807c-7be8301ae99b', displayName: 'Read all groups' },
  { value: 'Group.ReadWrite.All', id: '62a82d76-70ea-41e2-9197-370581804d09', displayName: 'Read and write all groups' },
  { value: 'Directory.Read.All', id: '7ab1d382-f21e-4acd-a863-ba3e13f7da61', displayName: 'Read directory data' },
  { value: 'Directory.ReadWrite.All', id: '19dbc75e-c2e2-444c-a770-ec69d8559fc7', displayName: 'Read and write directory data' },
  { value: 'Application.Read.All', id: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', displayName: 'Read all applications' },
  { value: 'Application.ReadWrite.All', id: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9' },
  { value: 'Application.ReadWrite.OwnedBy', id: '18a4783c-866b-4cc7-a460-3d5e5662c884', displayName: 'Manage apps that this app creates or owns' },
  { value: 'AppRoleAssignment.ReadWrite.All', id: '06b708a9-e830-4db3-a914-8e69da51d44f' },
  { value: TEAMS_APP('Read'), id: '9ce09611-f4f7-4abd-a629-a05450422a97' },
  { value: TEAMS_APP('ReadWriteSelf'), id: '908de74d-f8b2-4d6b-a9ed-2a17b3b78179' },
  { value: TEAMS_APP('ReadWrite'), id: '74ef0291-ca83-4d02-8c7e-d2391e6a444f' },
  { value: TEAMS_APP('ReadWriteSelected'), id: '650a76ec-4118-4b25-9d3a-1f98048a5ee0' },
  { value: TEAMS_APP('ReadWriteAndConsent'), id: '32ca478f-f89e-41d0-aaf8-101deb7da510' },
  { value: TEAMS_APP('ReadWriteAndConsentSelf'), id: 'a87076cf-6abd-4e56-8559-4dbdf41bef96' },
  { value: TEAMS_APP('ManageSelected'), id: 'e97a9235-5b3c-43c4-b37d-6786a173fae4' },
];

export { MICROSOFT_GRAPH_APP_ID };
