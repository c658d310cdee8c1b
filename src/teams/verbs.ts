/** The `verb` of every `Action.Execute` on our cards; the views bind them, the routes dispatch on them. */
export const VERBS = {
  submitRequest: 'request.submit',
  approve: 'request.approve',
  deny: 'request.deny',
  cancelRequest: 'request.cancel',
  /** Universal Actions `refresh`: Teams asks for the viewer's own version of an approval card. */
  refreshCard: 'card.refresh',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];

export function isVerb(value: unknown): value is Verb {
  return (Object.values(VERBS) as unknown[]).includes(value);
}
