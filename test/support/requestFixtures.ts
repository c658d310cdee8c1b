/** Builders of realistic AccessRequest values for tests: defaults are a request waiting at stage 1 of 2. */
import type {
  AccessRequest,
  DecisionOutcome,
  DeliveryStatus,
  PersonSnapshot,
  ResourceDelivery,
  StageState,
} from '../../src/domain/request';

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
