import { z } from 'zod';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Entra object ids, lower-cased so they compare equal to what Teams and Graph send. */
const objectId = z.preprocess(
  (value) => (typeof value === 'string' ? value.toLowerCase() : value),
  z.string().regex(GUID, 'must be an Entra object id (a GUID)'),
);
const slug = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits, "-", "_" or "."');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    // Date.parse rolls "2026-02-30" over to March; a real date survives the round trip unchanged.
    const parsed = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === s;
  }, 'is not a real date');

const resourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('group'),
    groupId: objectId,
    role: z.enum(['member', 'owner']).default('member'),
  }).strict(),
  z.object({
    type: z.literal('appRole'),
    servicePrincipalId: objectId,
    appRoleId: objectId,
  }).strict(),
]);

const approverSchema = z.union([
  z.object({ user: objectId }).strict(),
  z.object({ group: objectId }).strict(),
  z.object({ manager: z.literal(true) }).strict(),
]);

const stageSchema = z
  .object({
    approvers: z.array(approverSchema).min(1, 'needs at least one approver'),
    fallbackApprovers: z.array(approverSchema).default([]),
    escalation: z
      .object({ afterDays: z.number().int().min(1), approvers: z.array(approverSchema).min(1) })
      .strict()
      .optional(),
    approverJustificationRequired: z.boolean().default(false),
    timeoutDays: z.number().int().min(1).max(14).default(14),
    reminderDaysBeforeTimeout: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((stage, ctx) => {
    if (stage.reminderDaysBeforeTimeout !== undefined && stage.reminderDaysBeforeTimeout >= stage.timeoutDays) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['reminderDaysBeforeTimeout'],
        message: 'must be less than timeoutDays',
      });
    }
    if (stage.escalation && stage.timeoutDays < 4) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['timeoutDays'], message: 'must be at least 4 when escalation is set' });
    }
    if (stage.escalation && stage.escalation.afterDays >= stage.timeoutDays) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['escalation', 'afterDays'], message: 'must be less than timeoutDays' });
    }
  });

const requestorScopeSchema = z.union([
  z.enum(['allMembers', 'allUsers']),
  z.object({ groups: z.array(objectId).min(1) }).strict(),
  z.object({ users: z.array(objectId).min(1) }).strict(),
]);

const expirationSchema = z.union([
  z.object({ afterDays: z.number().int().min(0).max(3660) }).strict(),
  z.object({ afterHours: z.number().int().min(1).max(87840) }).strict(),
  z.object({ onDate: isoDate }).strict(),
  z.object({ never: z.literal(true) }).strict(),
]);

const policySchema = z
  .object({
    id: slug,
    displayName: z.string().min(1).max(200),
    requestors: z.object({ scope: requestorScopeSchema }).strict(),
    requestorJustificationRequired: z.boolean().default(false),
    requestorCanSpecifyDates: z.boolean().default(false),
    approval: z
      .object({
        required: z.boolean(),
        stages: z.array(stageSchema).max(3, 'at most 3 approval stages').default([]),
      })
      .strict()
      .superRefine((approval, ctx) => {
        if (approval.required && approval.stages.length === 0) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages'], message: 'needs 1 to 3 stages when approval is required' });
        }
      })
      .default({ required: false, stages: [] }),
    expiration: expirationSchema.default({ never: true }),
    extension: z
      .object({ allowed: z.boolean(), approvalRequired: z.boolean().default(false) })
      .strict()
      .default({ allowed: false, approvalRequired: false }),
    expiryReminderDays: z.array(z.number().int().min(1).max(365)).default([]),
  })
  .strict();

const accessPackageSchema = z
  .object({
    id: slug,
    displayName: z.string().min(1).max(200),
    description: z.string().max(1000).default(''),
    managers: z.array(objectId).default([]),
    assignmentManagers: z.array(objectId).default([]),
    resources: z.array(resourceSchema).min(1, 'needs at least one resource').max(90, 'at most 90 resources'),
    policies: z.array(policySchema).min(1, 'needs at least one policy'),
  })
  .strict();

const channelSchema = z
  .object({ teamId: z.string().min(1), channelId: z.string().min(1) })
  .strict();

const catalogEntrySchema = z
  .object({
    id: slug,
    displayName: z.string().min(1).max(200),
    owners: z.array(objectId).default([]),
    notificationChannel: channelSchema.optional(),
    accessPackages: z.array(accessPackageSchema),
  })
  .strict();

export const catalogFileSchema = z
  .object({
    catalogs: z.array(catalogEntrySchema).min(1, 'needs at least one catalog'),
    administrators: z.array(objectId).default([]),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Map<string, string>();
    file.catalogs.forEach((catalog, c) => {
      catalog.accessPackages.forEach((pkg, p) => {
        const where = `catalogs[${c}].accessPackages[${p}]`;
        const earlier = seen.get(pkg.id);
        if (earlier) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['catalogs', c, 'accessPackages', p, 'id'],
            message: `"${pkg.id}" is already used by ${earlier}; package ids must be unique across catalogs`,
          });
        }
        seen.set(pkg.id, where);
      });
    });
  });
