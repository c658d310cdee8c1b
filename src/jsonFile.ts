/** Reading a JSON file and validating it with a zod schema, with errors that name the file, the JSON path and the problem. */
import { readFile } from 'node:fs/promises';
import type { ZodType, ZodTypeDef } from 'zod';

type ErrorFactory = new (message: string) => Error;

/** `$.catalogs[0].accessPackages[1].id` from a zod issue path. */
export function jsonPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : `${out}.${part}`), '$');
}

/** Validates parsed JSON; the error names the source, the JSON path and the problem of the first issue. */
export function parseJson<T>(schema: ZodType<T, ZodTypeDef, unknown>, json: unknown, source: string, ErrorType: ErrorFactory): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw new ErrorType(`${source}: ${jsonPath(first.path)} ${first.message}${more}`);
}

export async function readJsonFile(file: string, ErrorType: ErrorFactory): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ErrorType(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ErrorType(`${file}: is not valid JSON (${(err as Error).message})`);
  }
}
