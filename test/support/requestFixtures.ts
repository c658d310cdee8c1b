/** Builders of realistic AccessRequest values for tests: defaults are a request waiting at stage 1 of 2. */
import type {
  AccessRequest,
  DecisionOutcome,
  DeliveryStatus,
  PersonSnapshot,
  ResourceDelivery,
  StageState,
} from '../../src/domain/request';
import type { RequestCardOptions } from '../../src/teams/views';

export const REQUESTER: PersonSnapshot = {
  id: '5a1c7f0e-0b1d-4e7a-9c51-2f3e4d5c6b01',
  displayName: 'Megan Bowen',
  mail: 'megan.bowen@contoso.example',
  department: 'Sales',
  jobTitle: 'Account Manager',
};

export const APPROVER: PersonSnapshot = {
  id: '5a1c7f0e-0b1d-4e7a-9c51-2f3e4d5c6b02',
  displayName: 'Adele Vance',
  mail: 'adele.vance@contoso.example',
  department: 'Sales',
  jobTitle: 'Sales Director',
};

export const OTHER_APPROVER: PersonSnapshot = {
  id: '5a1c7f0e-0b1d-4e7a-9c51-2f3e4d5c6b03',
  displayName: 'Alex Wilber',
  department: 'IT',
  jobTitle: 'Identity Administrator',
};

export const STAGE_TWO_APPROVER: PersonSnapshot = {
  id: '5a1c7f0e-0b1d-4e7a-9c51-2f3e4d5c6b04',
  displayName: '山田 花子',
  department: '情報システム部',
  jobTitle: '部長',
};

export const SUBMITTED_AT = '2026-03-02T08:30:00.000Z';
/** A moment while stage 1 is still open (it is due 14 days after submission). */
export const NOW = new Date('2026-03-05T09:00:00.000Z');
export const STAGE_ONE_DUE_AT = '2026-03-16T08:30:00.000Z';

/** How the card tests and the card gallery render request cards: at NOW, two stages, approver justification required. */
export const CARD_OPTIONS: RequestCardOptions = { now: NOW, stageCount: 2, approverJustificationRequired: true };

export function buildStage(overrides: Partial<StageState> = {}): StageState {
  return {
    index: 0,
    approverIds: [APPROVER.id, OTHER_APPROVER.id],
    usedFallback: false,
    startedAt: SUBMITTED_AT,
    dueAt: STAGE_ONE_DUE_AT,
    ...overrides,
  };
}

export function buildResources(status: DeliveryStatus = 'pending', lastError?: string): ResourceDelivery[] {
  return [
    {
      key: '00',
      resource: { type: 'group', groupId: '0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01', role: 'member' },
      status,
      attempts: status === 'pending' ? 0 : 1,
      ...(lastError ? { lastError } : {}),
    },
    {
      key: '01',
      resource: {
        type: 'appRole',
        servicePrincipalId: '0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e02',
        appRoleId: '0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e03',
      },
      status,
      attempts: status === 'pending' ? 0 : 1,
      ...(lastError ? { lastError } : {}),
    },
  ];
}

export function buildRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'req-2026-0001',
    version: 3,
    state: 'pendingApproval',
    catalogId: 'sales',
    packageId: 'crm-users',
    policyId: 'employees',
    packageName: 'CRM users',
    requester: REQUESTER,
    justification: 'I am taking over the Contoso account and need to see its pipeline in the CRM.',
    startDate: '2026-03-09',
    endDate: '2026-09-30',
    submittedAt: SUBMITTED_AT,
    updatedAt: SUBMITTED_AT,
    stages: [buildStage()],
    resources: buildResources(),
    ...overrides,
  };
}

/** `request` with its current stage decided by `by`, and the state that decision leads to. */
export function withDecision(
  request: AccessRequest,
  outcome: DecisionOutcome,
  by: PersonSnapshot = APPROVER,
  justification?: string,
  at = '2026-03-04T10:15:00.000Z',
): AccessRequest {
  const stages = [...request.stages];
  const position = stages.length - 1;
  stages[position] = {
    ...stages[position],
    decision: { stageIndex: stages[position].index, outcome, by, at, ...(justification ? { justification } : {}) },
  };
  return {
    ...request,
    version: request.version + 1,
    state: outcome === 'approved' ? 'approved' : 'denied',
    updatedAt: at,
    ...(outcome === 'denied' ? { completedAt: at } : {}),
    stages,
  };
}

/** `request` approved and its resources all in `status` (delivered, failed, ...). */
export function withDelivery(request: AccessRequest, status: DeliveryStatus, lastError?: string): AccessRequest {
  const state = status === 'delivered' ? 'delivered' : status === 'failed' ? 'deliveryFailed' : 'delivering';
  return { ...request, version: request.version + 1, state, resources: buildResources(status, lastError) };
}

/** An escalation approver: the stage was forwarded to them after nobody decided for 5 days. */
export const ESCALATION_APPROVER: PersonSnapshot = {
  id: '5a1c7f0e-0b1d-4e7a-9c51-2f3e4d5c6b05',
  displayName: 'Lee Gu',
  department: 'IT',
  jobTitle: 'Identity Administrator',
};
export const ESCALATED_AT = '2026-03-07T08:30:00.000Z';
/** When the delivered access of `deliveredRequest()` ends: 14 days after NOW. */
export const ACCESS_ENDS_AT = '2026-03-19T09:00:00.000Z';

/** A form offering two packages: one with justification and dates, one without. */
export const REQUEST_FORM = {
  packages: [
    {
      id: 'crm-users',
      displayName: 'CRM users',
      description: 'Access to the CRM app and the sales team group',
      justificationRequired: true,
      datesAllowed: true,
    },
    {
      id: 'expense-viewers',
      displayName: 'Expense report viewers',
      description: 'Read-only access to the expense reports of your department',
      justificationRequired: false,
      datesAllowed: false,
    },
  ],
};

/** Stage 1 approved by APPROVER, stage 2 waiting for STAGE_TWO_APPROVER. */
export function twoStageRequest(): AccessRequest {
  const approvedAtStageOne = withDecision(buildRequest(), 'approved', APPROVER, 'Fine by me.');
  return {
    ...approvedAtStageOne,
    state: 'pendingApproval',
    stages: [
      ...approvedAtStageOne.stages,
      buildStage({ index: 1, approverIds: [STAGE_TWO_APPROVER.id], startedAt: '2026-03-04T10:15:00.000Z', dueAt: '2026-03-18T10:15:00.000Z' }),
    ],
  };
}

/** Stage 1 still waiting, forwarded to ESCALATION_APPROVER 5 days after it started. */
export function forwardedRequest(): AccessRequest {
  const stage = buildStage({
    approverIds: [APPROVER.id, OTHER_APPROVER.id, ESCALATION_APPROVER.id],
    escalatedAt: ESCALATED_AT,
    forwardedTo: [ESCALATION_APPROVER.id],
  });
  return buildRequest({ stages: [stage] });
}

/** Approved and delivered, access ending at ACCESS_ENDS_AT. */
export function deliveredRequest(): AccessRequest {
  const delivered = withDelivery(withDecision(buildRequest(), 'approved'), 'delivered');
  return { ...delivered, completedAt: '2026-03-04T10:16:00.000Z', accessEndsAt: ACCESS_ENDS_AT };
}

/** 90 resources that all failed with a long Graph error. */
export function manyFailedResources(): AccessRequest {
  const longError = `Authorization_RequestDenied: ${'Insufficient privileges to complete the operation. '.repeat(20)}`;
  const [failed] = buildResources('failed', longError);
  return {
    ...withDelivery(withDecision(buildRequest(), 'approved'), 'failed'),
    resources: Array.from({ length: 90 }, (_, i) => ({ ...failed, key: String(i).padStart(2, '0') })),
  };
}

/** `request` with the resource names the directory gave at submit time (buildResources() order). */
export function withResourceNames(request: AccessRequest): AccessRequest {
  const [group, appRole, ...rest] = request.resources;
  return {
    ...request,
    resources: [
      { ...group, displayName: 'CRM Users' },
      { ...appRole, displayName: 'CRM Reader', appDisplayName: 'Contoso CRM' },
      ...rest,
    ],
  };
}

/** A requester's history as `status` shows it, newest first: access they have, and requests in other states. */
export function requestHistory(): AccessRequest[] {
  const delivered = withResourceNames(deliveredRequest());
  const [group, appRole] = delivered.resources;
  const partly: AccessRequest = {
    ...delivered,
    id: 'req-2026-0002',
    packageName: 'Sales team',
    packageId: 'sales-team',
    state: 'partiallyDelivered',
    accessEndsAt: undefined,
    endDate: undefined,
    resources: [group, { ...appRole, status: 'failed', attempts: 3, lastError: 'Authorization_RequestDenied: Insufficient privileges to complete the operation.' }],
  };
  const failed: AccessRequest = withResourceNames({
    ...withDelivery(withDecision(buildRequest({ id: 'req-2026-0003', packageName: 'Expense report viewers' }), 'approved'), 'failed', 'Request_ResourceNotFound: group not found'),
    completedAt: '2026-03-04T10:16:00.000Z',
  });
  const denied = withDecision(buildRequest({ id: 'req-2026-0004', packageName: 'Finance reports' }), 'denied', APPROVER, 'Use the read-only package instead.');
  return [buildRequest({ id: 'req-2026-0005', packageName: 'Marketing assets', submittedAt: '2026-03-05T08:00:00.000Z' }), partly, delivered, failed, denied];
}

/** Display names of the people who act in a request's history (requester, approver, stage-2 approver), by id. */
export const HISTORY_NAMES: Record<string, string> = {
  [REQUESTER.id]: REQUESTER.displayName,
  [APPROVER.id]: APPROVER.displayName,
  [STAGE_TWO_APPROVER.id]: STAGE_TWO_APPROVER.displayName,
};

/** An owner-role package whose access ended: Graph refused to remove the requester, the group's last owner. */
export function lastOwnerRemoval(): AccessRequest {
  const GROUP_ID = '0c2d8f4e-1a2b-4c3d-8e9f-0a1b2c3d4e01';
  const request = withResourceNames(deliveredRequest());
  const [group, appRole] = request.resources;
  return {
    ...request,
    removalStartedAt: ACCESS_ENDS_AT,
    removalFailedAt: ACCESS_ENDS_AT,
    resources: [
      {
        ...group,
        resource: { type: 'group', groupId: GROUP_ID, role: 'owner' },
        status: 'removalFailed',
        removalAttempts: 1,
        removalRefusal: 'lastOwner',
        lastError: `Graph refuses to remove the last owner of group ${GROUP_ID}: add another owner to the group, then the daily retry removes ${REQUESTER.id}`,
      },
      { ...appRole, status: 'removed' },
    ],
  };
}
