/** The `verb` of every `Action.Execute` on our cards; the views bind them, the routes dispatch on them. */
export const VERBS = {
  submitRequest: 'request.submit',
  approve: 'request.approve',
  deny: 'request.deny',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];

export function isVerb(value: unknown): value is Verb {
  return (Object.values(VERBS) as unknown[]).includes(value);
}
