import { parseJson, readJsonFile } from '../jsonFile';
import { catalogFileSchema } from './schema';
import type { CatalogFile, PackageEntry, Policy } from './types';

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** Validates parsed JSON; the error names the file, the JSON path and the problem. */
export function parseCatalog(json: unknown, file = 'catalog'): CatalogIndex {
  return new CatalogIndex(parseJson(catalogFileSchema, json, file, CatalogError));
}

export async function loadCatalog(path: string): Promise<CatalogIndex> {
  return parseCatalog(await readJsonFile(path, CatalogError), path);
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
