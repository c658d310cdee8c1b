/**
 * The Bot Framework activity envelope the bot relies on, checked before any turn runs: botbuilder and teams-ai
 * throw mid-turn on an activity without `from.id`, `conversation.id`, `recipient.id` or `channelId`, and strings
 * that are objects or 100 KB long end up in storage. Such an activity cannot come from Teams.
 */
import { z } from 'zod';

/** Ids the bot keys table rows by (Entra object and tenant ids, channel ids): escaped, they must fit a 1 KiB table key. */
const keyId = z.string().max(128);
/** Other Bot Framework ids and names: Teams' are a few hundred characters at most. */
const id = z.string().min(1).max(1_000);
const name = z.string().max(1_000);

const activitySchema = z
  .object({
    type: z.string().min(1),
    name: z.string().optional(),
    channelId: id,
    serviceUrl: z.string().url(),
    from: z.object({ id, aadObjectId: keyId.optional(), name: name.optional() }).passthrough(),
    conversation: z.object({ id, tenantId: keyId.optional(), conversationType: z.string().optional() }).passthrough(),
    recipient: z.object({ id }).passthrough(),
    channelData: z
      .object({
        tenant: z.object({ id: keyId.optional() }).passthrough().optional(),
        channel: z.object({ id: keyId.optional() }).passthrough().optional(),
      })
      .passthrough()
      .optional(),
    replyToId: id.optional(),
    text: z.string().optional(),
    entities: z.array(z.object({}).passthrough()).optional(),
    // A malformed optional locale is dropped (the person gets English) rather than refused.
    locale: z.string().optional().catch(undefined),
  })
  .passthrough();

/** The body as the adapter reads it (a Bot Framework activity), or a sentence saying which field is wrong. */
export type ActivityCheck = { activity: Record<string, unknown>; problem?: undefined } | { activity?: undefined; problem: string };

export function checkActivity(body: unknown): ActivityCheck {
  const parsed = activitySchema.safeParse(body);
  if (parsed.success) return { activity: parsed.data };
  return { problem: sentenceOf(parsed.error.issues[0]) };
}

function sentenceOf(issue: z.ZodIssue): string {
  const field = issue.path.length ? issue.path.join('.') : 'The activity';
  return `${field} ${whatIsWrong(issue)}: this is not a Teams activity.`;
}

function whatIsWrong(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') return 'is missing';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
      return 'must not be empty';
    case 'too_big':
      return `must be at most ${issue.maximum} characters long`;
    case 'invalid_string':
      return 'must be a URL'; // the one string format checked
    default:
      return 'is malformed';
  }
}
