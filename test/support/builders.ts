/** Small builders of domain objects for tests: valid defaults, override what the test is about. */
import { randomUUID } from 'node:crypto';
import type { PostedCard } from '../../src/app/ports';
import type { AccessRequest, ResourceDelivery, StageState } from '../../src/domain/request';

export function aRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  const submittedAt = overrides.submittedAt ?? '2026-01-05T09:00:00.000Z';
  return {
    id: randomUUID(),
    version: 1,
    state: 'pendingApproval',
    catalogId: 'sales',
    packageId: 'crm-users',
    policyId: 'employees',
    packageName: 'CRM users',
    requester: { id: '11111111-1111-1111-1111-111111111111', displayName: 'Adele Vance', mail: 'adele@contoso.test' },
    justification: 'Quarterly pipeline review',
    submittedAt,
    updatedAt: submittedAt,
    stages: [aStage()],
    resources: [
      aResource({ key: '00' }),
      aResource({
        key: '01',
        resource: {
          type: 'appRole',
          servicePrincipalId: '33333333-3333-3333-3333-333333333333',
          appRoleId: '44444444-4444-4444-4444-444444444444',
        },
      }),
    ],
    ...overrides,
  };
}

export function aStage(overrides: Partial<StageState> = {}): StageState {
  return {
    index: 0,
    approverIds: ['55555555-5555-5555-5555-555555555555'],
    usedFallback: false,
    startedAt: '2026-01-05T09:00:00.000Z',
    dueAt: '2026-01-19T09:00:00.000Z',
    ...overrides,
  };
}

export function aResource(overrides: Partial<ResourceDelivery> = {}): ResourceDelivery {
  return {
    key: '00',
    resource: { type: 'group', groupId: '22222222-2222-2222-2222-222222222222', role: 'member' },
    status: 'pending',
    attempts: 0,
    ...overrides,
  };
}

export function aPostedCard(overrides: Partial<PostedCard> = {}): PostedCard {
  return {
    recipientId: '55555555-5555-5555-5555-555555555555',
    card: 'approvalRequest',
    postedBy: '0000000001-0000',
    conversationId: 'a:1on1-conversation',
    activityId: `activity-${randomUUID()}`,
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    postedAt: '2026-01-05T09:00:01.000Z',
    ...overrides,
  };
}
