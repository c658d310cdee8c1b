/**
 * The ports the use-cases need. Adapters in storage/, graph/ and teams/ implement them;
 * tests use the in-memory fakes in test/support/fakes.ts.
 */
import type { Resource } from '../catalog/types';
import type { ApprovalEntry } from '../domain/approvalInbox';
import type { Assignment } from '../domain/assignment';
import type { CardKind, Effect } from '../domain/effects';
import type { PackageRequestRow } from '../domain/packageIndex';
import type { RevokeOutcome } from '../domain/expiry';
import type { AccessRequest, DecisionOutcome } from '../domain/request';
import type { RequesterPosition } from '../domain/requesterOverview';
import type { DueItem } from '../domain/schedule';

export interface Clock {
  now(): Date;
}

// ---------------------------------------------------------------------------------------------
// Storage

/** A card the bot posted for a request, so it can be re-rendered in place later. */
export interface PostedCard {
  recipientId: string; // Entra object id of the person the card was sent to
  card: CardKind;
  /**
   * The outbox effect that posted it ('form' for the request form the requester submitted from): a re-run
   * of that effect updates this card instead of posting twice, while a later effect (a new stage, a
   * reminder) posts a new message.
   */
  postedBy: string;
  conversationId: string;
  activityId: string;
  serviceUrl: string;
  postedAt: string;
}

export interface PendingEffect {
  /** Unique within the request; effects run in ascending id order. */
  id: string;
  effect: Effect;
  /**
   * The `RequestStore.origin` of the process whose commit added it: that process runs it, so two instances
   * never run one effect at once (undefined: written without one; anybody may run it).
   */
  origin?: string;
}

/** One read of a request's partition: the request, its posted cards and its unfinished effects. */
export interface LoadedRequest {
  request: AccessRequest;
  /** ETag of the request row; a commit is refused (ConcurrencyError) if it changed since. */
  etag: string;
  cards: PostedCard[];
  effects: PendingEffect[];
}

/** What happened, for the append-only audit trail (who, what, when, outcome). */
export interface AuditNote {
  /** e.g. 'graphWrite', 'graphRemove', 'reprocess'; every commit also gets a 'transition' row by itself. */
  action: string;
  /** Plain words: which resource, which stage, which request ids. */
  detail?: string;
  /** 'delivered', 'failed: <error>', 'removed', ... */
  outcome?: string;
  /** Entra object id of the person the note is about (a notification's recipient): History names them. */
  subjectId?: string;
}

export interface AuditEntry extends AuditNote {
  at: string;
  /** Entra object id of the person who caused it; undefined = the bot itself (scheduler, delivery). */
  actorId?: string;
  /** The request version the commit produced. */
  version: number;
}

export interface CommitOptions {
  /** Effects to add to the outbox, in order. */
  effects?: Effect[];
  /** Who caused this commit (for the audit trail); undefined = the bot itself. */
  actorId?: string;
  /** Extra audit rows beside the automatic 'transition' row (state before → after). */
  audit?: AuditNote[];
  /** Ids of outbox effects that are done (removed in the same transaction). */
  completedEffectIds?: string[];
  /** Cards to record (upserted by recipientId + card kind + postedBy). */
  cards?: PostedCard[];
}

/**
 * What `record` writes. Its audit notes belong to the version of the first completed effect (the commit that
 * wrote it), or to the request's current version when no effect is completed; they are dated `at`.
 */
export interface RecordOptions extends Omit<CommitOptions, 'effects'> {
  /** When the audit notes happened (the bot's clock); default: now. */
  at?: string;
}

export interface RequestStore {
  /** This process's mark on the effects it commits (PendingEffect.origin). */
  readonly origin: string;
  /** Stores a new request with its first effects and cards; ConflictError if the id exists. */
  create(request: AccessRequest, options?: CommitOptions): Promise<LoadedRequest>;
  /** Reads the whole partition of a request; undefined when there is no such request. */
  get(requestId: string): Promise<LoadedRequest | undefined>;
  /**
   * Replaces the request with `next` (which must have version = loaded.request.version + 1) and applies
   * the options, as one entity-group transaction guarded by `loaded.etag`.
   * Throws ConcurrencyError when the request changed since `loaded` was read.
   */
  commit(loaded: LoadedRequest, next: AccessRequest, options?: CommitOptions): Promise<LoadedRequest>;
  /**
   * Records cards, audit notes and completed effects, in one transaction, without changing the request row (no ETag guard: these
   * rows belong to the effect runner, which runs one request's effects one at a time). Returns `loaded` as it
   * is now: the cards added, the completed effects gone, the same ETag.
   */
  record(loaded: LoadedRequest, options: RecordOptions): Promise<LoadedRequest>;
  /**
   * Ids of requests that may have unfinished effects (the outbox index). With `writtenBefore` (wall-clock
   * time), only those whose index row is older: work abandoned by the instance that wrote it.
   */
  listRequestsWithPendingEffects(limit: number, writtenBefore?: Date): Promise<string[]>;
  /**
   * Drops a request from the outbox index if it has no unfinished effects left. `known`: the request as the
   * caller last wrote it, if it has not been read since (saves reading it again).
   */
  releaseIfIdle(requestId: string, known?: LoadedRequest): Promise<void>;
  /** Requests of one requester, newest first. */
  listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]>;
  /**
   * One page of a requester's `status` (see RequesterPageQuery). The requests that are not over come from a
   * small per-requester index, so finding them never scans the requester's history.
   */
  pageOfRequester(requesterId: string, query: RequesterPageQuery): Promise<RequesterPage>;
  /** The request's audit trail, oldest first (not read by `get`). */
  listAudit(requestId: string): Promise<AuditEntry[]>;
}

/** What one page of `status` reads; a part left out is not read. */
export interface RequesterPageQuery {
  /** The requests that are not over (access held, open), newest first: `limit` of them after `after` (from the newest without it). */
  current?: { after?: RequesterPosition; limit: number };
  /** All the requester's requests, newest first: `limit` of them after `after`, of which the finished ones are returned. */
  history?: { after?: RequesterPosition; limit: number };
}

export interface RequesterPage {
  /** Up to `current.limit` requests that are not over, newest first. */
  current: AccessRequest[];
  /** How many requests that are not over come after those (from `currentNext`). */
  currentNotShown: number;
  /** Where the requests that are not over go on, when some follow. */
  currentNext?: RequesterPosition;
  /** The finished requests among the `history.limit` read, newest first. */
  finished: AccessRequest[];
  /** Where the history goes on, when more requests follow. */
  historyNext?: RequesterPosition;
}

/** A person's latest request for one access package, as read with its ETag (see PackageClaims). */
export interface PackageClaim {
  requestId: string;
  /** When the claim was made (ISO): a claim whose request is not stored yet is in flight for a while, then abandoned. */
  claimedAt: string;
  etag: string;
}

/**
 * Each person's record per access package: which request is their latest for it. A submit claims the record for
 * its new request before storing it, guarded by the ETag it read, so of two submits racing (on any instances)
 * exactly one wins; the request the record names says whether a new one may be asked for.
 */
export interface PackageClaims {
  latest(personId: string, packageId: string): Promise<PackageClaim | undefined>;
  /**
   * Names `requestId` the person's latest request for the package. False when the record changed since
   * `previous` was read (or was created meanwhile, when `previous` is undefined): another submit won.
   */
  claim(personId: string, packageId: string, requestId: string, claimedAt: string, previous: PackageClaim | undefined): Promise<boolean>;
  /** The person's latest request of every package they have a record for (one partition read). */
  listForPerson(personId: string): Promise<Array<{ packageId: string; requestId: string }>>;
}

/** An assignment as read, with the ETag a replace is guarded by. */
export interface StoredAssignment {
  assignment: Assignment;
  etag: string;
}

/** Each person's assignment per access package (domain/assignment.ts), in the person's partition. */
export interface AssignmentStore {
  get(personId: string, packageId: string): Promise<StoredAssignment | undefined>;
  /**
   * Writes the assignment: creates it when `previous` is undefined, else replaces it guarded by `previous.etag`.
   * False when the record changed (or was created) since `previous` was read.
   */
  put(assignment: Assignment, previous: StoredAssignment | undefined): Promise<boolean>;
  /** Every assignment of the person, current and ended (one partition read). */
  listForPerson(personId: string): Promise<Assignment[]>;
}

/** Each package's requests that are not over and its assignments (domain/packageIndex.ts), for its managers. */
export interface PackageIndex {
  /** Writes the request's row in its package's index, or removes it (undefined: the request is over). */
  setRequest(packageId: string, requestId: string, row: PackageRequestRow | undefined): Promise<void>;
  /** Writes the package's row of the person's assignment (the latest written wins). */
  setAssignment(assignment: Assignment): Promise<void>;
  requests(packageId: string): Promise<PackageRequestRow[]>;
  assignments(packageId: string): Promise<Assignment[]>;
}

/** A request waiting for an approver's decision, as their inbox lists it. */
export interface WaitingApproval {
  requestId: string;
  dueAt: string;
}

/** A decision an approver made, as their inbox lists it. */
export interface MadeDecision {
  requestId: string;
  at: string;
  outcome: DecisionOutcome;
}

/** Each approver's inbox (domain/approvalInbox.ts), in the approver's partition. */
export interface ApprovalIndex {
  /** Writes the approver's entry for the request, or removes it (undefined). */
  set(approverId: string, requestId: string, entry: ApprovalEntry | undefined): Promise<void>;
  /** Every request waiting for the approver (in no particular order). */
  waitingFor(approverId: string): Promise<WaitingApproval[]>;
  /** The approver's decisions, newest first, at most `limit`. */
  decidedBy(approverId: string, limit: number): Promise<MadeDecision[]>;
}

/** Requests whose delivery failed in part or whole, per catalog: what the managers' `failed` card lists. */
export interface FailedRequestsIndex {
  add(catalogId: string, requestId: string): Promise<void>;
  /** Removing a missing entry is not an error. */
  remove(catalogId: string, requestId: string): Promise<void>;
  list(catalogId: string, limit: number): Promise<string[]>;
}

/** What a conversation reference store keeps about a person or channel the bot has heard from. */
export interface ConversationRecord {
  /** Entra object id for people; the channel id for channels. */
  key: string;
  /**
   * 'tenant' rows (key = tenant id) only remember the latest serviceUrl seen from the tenant, for reaching
   * people the bot has never heard from.
   */
  kind: 'user' | 'channel' | 'tenant';
  tenantId?: string;
  locale?: string;
  /**
   * People only: their Teams user id (MRI, `29:…`), from `from.id` of their activities or the Bot Connector's
   * member lookup when the bot reached them first. Universal Actions' `refresh.userIds` names people by it.
   */
  teamsUserId?: string;
  serviceUrl: string;
  conversationId: string;
  /** The Bot Framework ConversationReference, as JSON-safe data. */
  reference: Record<string, unknown>;
  updatedAt: string;
}

export interface ConversationStore {
  upsert(record: ConversationRecord): Promise<void>;
  get(kind: ConversationRecord['kind'], key: string): Promise<ConversationRecord | undefined>;
  /**
   * Forgets a record (one whose conversation is gone). With `conversationId`, only while the record still names
   * that conversation: a newer one written meanwhile stays. Forgetting a missing record is not an error.
   */
  delete(kind: ConversationRecord['kind'], key: string, conversationId?: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/** The index of due work, keyed by due time: listing what is due costs O(items due), not O(requests stored). */
export interface ScheduleIndex {
  /** Adds items; adding the same item (same dueItemKey) again stores it once. */
  add(items: DueItem[]): Promise<void>;
  /** Items due at or before `now`, earliest first, at most `limit`. */
  listDue(now: Date, limit: number): Promise<DueItem[]>;
  /** Removes an item once it is done or found stale; removing a missing item is not an error. */
  remove(item: DueItem): Promise<void>;
}

/** A named lease shared by every bot instance on the same storage, so only one does a piece of work at a time. */
export interface Lease {
  /** Takes the lease, or renews it if `holder` has it, until now + ttl. False when another holder's lease is still valid. */
  acquire(name: string, holder: string, ttlInMs: number, now: Date): Promise<boolean>;
  /** Gives the lease up if `holder` has it. */
  release(name: string, holder: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Directory and provisioning (Microsoft Graph)

export interface DirectoryUser {
  id: string;
  displayName: string;
  mail?: string;
  department?: string;
  jobTitle?: string;
  companyName?: string;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
}

export interface DirectoryAppRole {
  id: string;
  displayName: string;
  value?: string;
}

export interface DirectoryServicePrincipal {
  id: string;
  displayName: string;
  appRoles: DirectoryAppRole[];
}

export interface Directory {
  /** undefined when the user does not exist (404). */
  getUser(userId: string): Promise<DirectoryUser | undefined>;
  /** undefined when the user has no manager (404). */
  getManager(userId: string): Promise<DirectoryUser | undefined>;
  /** Object ids of the users among the group's transitive members (nested groups expanded). */
  listTransitiveMemberUserIds(groupId: string): Promise<string[]>;
  /** The subset of `groupIds` the user is a transitive member of (Graph checkMemberGroups). */
  checkMemberGroups(userId: string, groupIds: string[]): Promise<string[]>;
  /** undefined when the group does not exist (404). */
  getGroup(groupId: string): Promise<DirectoryGroup | undefined>;
  /** The service principal with the app roles it defines; undefined when it does not exist (404). */
  getServicePrincipal(servicePrincipalId: string): Promise<DirectoryServicePrincipal | undefined>;
}

export type GrantOutcome =
  | { status: 'delivered'; assignmentId?: string }
  | { status: 'failed'; transient: boolean; error: string };

export type { RevokeOutcome };

export interface Provisioner {
  /** Grants each resource to the user; one outcome per resource, in the same order. Never throws for a Graph error. */
  grant(userId: string, resources: Resource[]): Promise<GrantOutcome[]>;
  /**
   * Removes each delivered resource from the user (group membership/ownership; app-role assignment by its id).
   * Already gone (404) counts as removed. One outcome per resource, in order; never throws for a Graph error.
   */
  revoke(userId: string, deliveries: Array<{ resource: Resource; assignmentId?: string }>): Promise<RevokeOutcome[]>;
}

// ---------------------------------------------------------------------------------------------
// Teams

/**
 * What became of one card for one recipient. `sent` with `throttled` is "throttled then sent" (Teams answered
 * 429 first); `sent` with `healed`: the stored conversation was gone (404 ConversationNotFound, 403
 * BotNotInConversationRoster), so the bot forgot it, reached the person again and sent the card there (`healed`
 * says why). `blocked`: the person blocked the bot (403 ConversationBlockedByUser, MessageWritesBlocked);
 * `notInstalled`: no conversation and no way to create one, the app is not in the tenant's catalog, the admin
 * disabled the bot (403 BotDisabledByAdmin), or the conversation stayed gone after reaching them again (the
 * reason then names both failures); `failed`: any other error, after the bounded retries.
 */
export type SendOutcome =
  | { status: 'sent'; card: Omit<PostedCard, 'postedBy'>; throttled?: boolean; healed?: string }
  | { status: 'blocked' | 'notInstalled' | 'failed'; reason: string };

/**
 * What became of a card update. `unreachable`: Teams refused it for good (the conversation is gone, the bot is no
 * longer in it, the message was deleted, the person blocked the bot); a stored record naming that conversation
 * is forgotten, and trying again would not help. Transient failures are thrown, after the bounded retries.
 */
export type UpdateOutcome = { status: 'updated' } | { status: 'unreachable'; reason: string };

/** The words the audit trail records for a notification: one of these, `failed` followed by its reason. */
export type NotifyOutcome = 'sent' | 'throttledThenSent' | 'blocked' | 'notInstalled' | 'failed';

/**
 * The Teams app for a person, through Graph, so the bot can reach someone who never wrote to it: install it
 * (`POST /users/{id}/teamwork/installedApps`), then find the 1:1 chat between them and the app, whose id is the
 * conversation to send to.
 */
export interface TeamsAppInstaller {
  /** 'alreadyInstalled' for Graph's 409. Throws GraphCallError for other failures (404: not in the tenant's app catalog). */
  install(userId: string, teamsAppId: string): Promise<'installed' | 'alreadyInstalled'>;
  /**
   * The id of the chat between the person and the app (`19:…@unq.gbl.spaces`): the installation found with
   * `GET /users/{id}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{teamsAppId}'`, then
   * `GET /users/{id}/teamwork/installedApps/{installationId}/chat`. Tried again, a bounded number of times, while
   * the installation or its chat is not there yet or Graph fails transiently; undefined if it never appears.
   * Throws GraphCallError for other failures.
   */
  chatIdFor(userId: string, teamsAppId: string): Promise<string | undefined>;
}

export interface Notifier {
  /** Renders `card` for `recipientId` (in their locale) from the request and posts it as a new message. */
  post(recipientId: string, card: CardKind, request: AccessRequest): Promise<SendOutcome>;
  /**
   * Posts `card` as a new thread in a team channel (the bot must be in the team). The PostedCard's recipientId
   * is `channel:<channelId>`; `update` handles such cards too.
   */
  postToChannel(channel: { teamId: string; channelId: string }, card: CardKind, request: AccessRequest): Promise<SendOutcome>;
  /** Re-renders a posted card from the request's current state and replaces it in place. */
  update(posted: PostedCard, request: AccessRequest): Promise<UpdateOutcome>;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
