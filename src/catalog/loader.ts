import { readFile } from 'node:fs/promises';
import type { ZodIssue } from 'zod';
import { catalogFileSchema } from './schema';
import type { CatalogFile, PackageEntry, Policy } from './types';

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** `$.catalogs[0].accessPackages[1].id` from a zod issue path. */
export function jsonPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : `${out}.${part}`), '$');
}

function describeIssue(file: string, issue: ZodIssue): string {
  return `${file}: ${jsonPath(issue.path)} ${issue.message}`;
}

/** Validates parsed JSON; the error names the file, the JSON path and the problem of the first issue. */
export function parseCatalog(json: unknown, file = 'catalog'): CatalogIndex {
  const result = catalogFileSchema.safeParse(json);
  if (!result.success) {
    const [first, ...rest] = result.error.issues;
    const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new CatalogError(describeIssue(file, first) + more);
  }
  return new CatalogIndex(result.data);
}

export async function loadCatalog(path: string): Promise<CatalogIndex> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CatalogError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`${path}: is not valid JSON (${(err as Error).message})`);
  }
  return parseCatalog(json, path);
}

/** The validated catalog with lookups by id. */
export class CatalogIndex {
  private readonly packages = new Map<string, PackageEntry>();

  constructor(readonly file: CatalogFile) {
    for (const catalog of file.catalogs) {
      for (const accessPackage of catalog.accessPackages) {
        this.packages.set(accessPackage.id, { catalog, accessPackage });
      }
    }
  }

  allPackages(): PackageEntry[] {
    return [...this.packages.values()];
  }

  findPackage(packageId: string): PackageEntry | undefined {
    return this.packages.get(packageId);
  }

  findPolicy(packageId: string, policyId: string): Policy | undefined {
    return this.packages.get(packageId)?.accessPackage.policies.find((p) => p.id === policyId);
  }

  get administrators(): readonly string[] {
    return this.file.administrators;
  }
}
