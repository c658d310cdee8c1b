/** Reading the `status` card (myRequests) in tests: its sections and what stands under each. */

type Json = Record<string, unknown>;

/**
 * Heading → the request names under it, in order: each entry's first column, or the titles of a section's FactSet
 * (the finished requests, a line each). Body items without a heading (the title, notes, buttons) are skipped.
 */
export function statusSections(card: unknown): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const section of ((card as { body?: unknown[] } | undefined)?.body ?? []).slice(1) as Json[]) {
    const items = (section.items ?? []) as Json[];
    if (items.length === 0) continue;
    result[String(items[0].text)] = items.slice(1).flatMap((entry) => {
      if (entry.type === 'FactSet') return (entry.facts as Json[]).map((f) => String(f.title));
      const [columns] = entry.items as Json[];
      return [String(((columns.columns as Json[])[0].items as Json[])[0].text)];
    });
  }
  return result;
}
