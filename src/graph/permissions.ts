/**
 * The Microsoft Graph application permissions the bot uses, each the least privileged one Microsoft's Graph v1.0
 * reference lists for the calls it covers. One place, so the doctor, the deploy docs, the Graph emulator and delivery
 * errors agree. The reference pages are named by their address under https://learn.microsoft.com/graph/api/.
 */
export const GRAPH_PERMISSIONS = {
  /**
   * Requesters, managers and approvers: `GET /users/{id}` (user-get), `/manager` (user-list-manager), and with a
   * group permission `POST /users/{id}/checkMemberGroups` (directoryobject-checkmembergroups).
   */
  readUsers: 'User.Read.All',
  /** `POST|DELETE /groups/{id}/members/$ref` (group-post-members, group-delete-members). */
  groupMembers: 'GroupMember.ReadWrite.All',
  /** `POST|DELETE /groups/{id}/owners/$ref` (group-post-owners, group-delete-owners): GroupMember.ReadWrite.All cannot. */
  groupOwners: 'Group.ReadWrite.All',
  /**
   * Reading groups the catalog names without granting them: approver groups' members (`GET
   * /groups/{id}/transitiveMembers`, group-list-transitivemembers), requestor groups (`checkMemberGroups`, with
   * User.Read.All), group names (`GET /groups/{id}`, group-get). Needed only when the catalog grants no group: a
   * group resource's GroupMember.ReadWrite.All or Group.ReadWrite.All covers these reads (see HIGHER_PRIVILEGED).
   */
  readGroupMembers: 'GroupMember.Read.All',
  /** `GET /servicePrincipals/{id}` with its app roles (serviceprincipal-get), and with the next one assigning them. */
  readApplications: 'Application.Read.All',
  /**
   * `POST|DELETE /servicePrincipals/{id}/appRoleAssignedTo` (serviceprincipal-post-approleassignedto: with
   * Application.Read.All; serviceprincipal-delete-approleassignedto), `GET /users/{id}/appRoleAssignments`
   * (user-list-approleassignments: Directory.Read.All is its least privileged one, this one is listed as higher).
   */
  appRoleAssignments: 'AppRoleAssignment.ReadWrite.All',
  /**
   * `POST /users/{id}/teamwork/installedApps` (userteamwork-post-installedapps), the list (userteamwork-list-installedapps)
   * and the installation's chat (userscopeteamsappinstallation-get-chat). "Self": it lets a Teams app read, install,
   * upgrade and uninstall *itself* only — the app installed must be the calling app's own Teams app, the one whose
   * manifest `webApplicationInfo.id` is the Microsoft Entra app id (client id) of the identity calling Graph
   * (https://learn.microsoft.com/microsoftteams/platform/graph-api/proactive-bots-and-messages/graph-proactive-bots-and-messages).
   * Here appPackage/manifest.json sets `webApplicationInfo.id` to BOT_ID, and the deployment's identity is both the bot
   * (BOT_ID) and the Graph identity (AZURE_CLIENT_ID), so the condition holds.
   */
  installSelf: 'TeamsAppInstallation.ReadWriteSelfForUser.All',
} as const;

export type GraphPermission = (typeof GRAPH_PERMISSIONS)[keyof typeof GRAPH_PERMISSIONS];

/** Every permission above, in the order above (what the deploy docs list and local mode grants). */
export const ALL_GRAPH_PERMISSIONS: readonly GraphPermission[] = Object.values(GRAPH_PERMISSIONS);

/** The application id of Microsoft Graph's service principal in every tenant (its app roles are the permissions). */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * For each permission the bot asks for, the higher-privileged application permissions Microsoft documents as also
 * allowing every call the bot makes with it (the "Higher privileged permissions" of each call's reference page; for
 * reads of groups also the permission reference's own descriptions: GroupMember.ReadWrite.All "list groups, read basic
 * properties, read and update the membership", Group.ReadWrite.All "read all group properties and memberships"). A
 * permission granted in their place satisfies the need; one granted beside them adds privilege the bot does not use.
 */
export const HIGHER_PRIVILEGED: Readonly<Record<GraphPermission, readonly string[]>> = {
  // user-get, user-list-manager: User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
  'User.Read.All': ['User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  // group-delete-members (and group-post-members): Group.ReadWrite.All, Directory.ReadWrite.All.
  'GroupMember.ReadWrite.All': ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  // group-post-owners, group-delete-owners: Directory.ReadWrite.All.
  'Group.ReadWrite.All': ['Directory.ReadWrite.All'],
  // group-get, group-list-transitivemembers, directoryobject-checkmembergroups (see above).
  'GroupMember.Read.All': ['GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  // serviceprincipal-get lists more, but serviceprincipal-post-approleassignedto pairs AppRoleAssignment.ReadWrite.All
  // only with Application.Read.All or Directory.Read.All.
  'Application.Read.All': ['Directory.Read.All'],
  // serviceprincipal-post-approleassignedto, serviceprincipal-delete-approleassignedto: "Not available".
  'AppRoleAssignment.ReadWrite.All': [],
  // Listed for all three of install, list and chat.
  'TeamsAppInstallation.ReadWriteSelfForUser.All': ['TeamsAppInstallation.ReadWriteForUser.All', 'TeamsAppInstallation.ReadWriteSelectedForUser.All'],
};

/** True when `granted` is `needed` or a documented higher-privileged form of it. */
export function satisfies(granted: string, needed: GraphPermission): boolean {
  return granted === needed || HIGHER_PRIVILEGED[needed].includes(granted);
}
