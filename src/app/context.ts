import type { CatalogIndex } from '../catalog/loader';
import type { ApprovalIndex, AssignmentStore, Clock, PackageIndex, Directory, FailedRequestsIndex, Logger, Notifier, PackageClaims, Provisioner, RequestStore, ScheduleIndex } from './ports';
import type { ResourceNamer } from './resourceNames';

/** Everything the use-cases reach the world through; built once by the composition root. */
export interface AppContext {
  catalog: CatalogIndex;
  store: RequestStore;
  schedule: ScheduleIndex;
  failedRequests: FailedRequestsIndex;
  /** Each person's latest request per access package: one open or held at a time. */
  claims: PackageClaims;
  /** Each person's assignment per access package, written from the requests by the outbox. */
  assignments: AssignmentStore;
  /** Each approver's inbox: what waits for their decision, and what they decided. */
  approvals: ApprovalIndex;
  /** Each package's requests that are not over and its assignments, for its managers. */
  packages: PackageIndex;
  directory: Directory;
  /** Names of groups and app roles for the cards (cached directory lookups). */
  resourceNames: ResourceNamer;
  provisioner: Provisioner;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  newRequestId(): string;
}
