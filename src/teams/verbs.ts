/** The `verb` of every `Action.Execute` on our cards; the views bind them, the routes dispatch on them. */
export const VERBS = {
  submitRequest: 'request.submit',
  approve: 'request.approve',
  deny: 'request.deny',
  cancelRequest: 'request.cancel',
  /** The requester extends their access (#7 card) or gives it back early (`status` card). */
  extendAccess: 'access.extend',
  releaseAccess: 'access.release',
  /** The requester pages on through `status` (the access and open requests not shown, older requests). */
  statusMore: 'status.more',
  /** A manager re-runs the delivery of failed requests (one from the alert card, several from `failed`). */
  reprocess: 'request.reprocess',
  /** A manager opens a request's audit trail. */
  history: 'request.history',
  /** The approver's inbox (`approvals`), and the decisions they made. */
  approvals: 'approvals.waiting',
  approvalsDecided: 'approvals.decided',
  /** A manager's packages (`manage`), and one package's requests, assignments and failed deliveries. */
  manage: 'manage.packages',
  manageRequests: 'manage.requests',
  manageAssignments: 'manage.assignments',
  manageFailures: 'manage.failures',
  /** A manager assigns a package directly, or removes a person's assignment (Entra's New assignment / Remove). */
  manageAssign: 'manage.assign',
  manageRemove: 'manage.remove',
  /** Universal Actions `refresh`: Teams asks for the viewer's own version of an approval card. */
  refreshCard: 'card.refresh',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];

export function isVerb(value: unknown): value is Verb {
  return (Object.values(VERBS) as unknown[]).includes(value);
}
