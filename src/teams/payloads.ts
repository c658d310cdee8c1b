/**
 * Card action data is untrusted input: parsed here with a schema before any use-case sees it.
 * Anything malformed becomes a ValidationError ('error.badAction'), answered with 400.
 */
import { z } from 'zod';
import { ValidationError } from '../domain/errors';

/** Loose bounds: the use-cases give the precise, friendly limits (e.g. 1000 characters of justification). */
const text = (max: number) => z.string().max(max).optional();

const submitSchema = z.object({
  packageId: text(100),
  justification: text(5000),
  startDate: text(40),
  endDate: text(40),
});

/** Card data: ids only. */
const requestRefSchema = z.object({
  requestId: z.string().uuid(),
  version: z.number().int().min(1).max(1_000_000),
});

const decisionSchema = requestRefSchema.extend({ approverJustification: text(5000) });

export type SubmitPayload = z.infer<typeof submitSchema>;
export type DecisionPayload = z.infer<typeof decisionSchema>;

function parse<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new ValidationError('error.badAction');
  return result.data;
}

export const parseSubmitPayload = (data: unknown): SubmitPayload => parse(submitSchema, data);
export const parseDecisionPayload = (data: unknown): DecisionPayload => parse(decisionSchema, data);
export const parseRequestRef = (data: unknown): z.infer<typeof requestRefSchema> => parse(requestRefSchema, data);
