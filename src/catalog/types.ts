import type { z } from 'zod';
import type { catalogFileSchema } from './schema';

export type CatalogFile = z.output<typeof catalogFileSchema>;
export type Catalog = CatalogFile['catalogs'][number];
export type AccessPackage = Catalog['accessPackages'][number];
export type Policy = AccessPackage['policies'][number];
export type Resource = AccessPackage['resources'][number];
export type GroupResource = Extract<Resource, { type: 'group' }>;
export type AppRoleResource = Extract<Resource, { type: 'appRole' }>;
export type ApprovalStage = Policy['approval']['stages'][number];
export type ApproverRef = ApprovalStage['approvers'][number];
export type RequestorScope = Policy['requestors']['scope'];
export type Expiration = Policy['expiration'];

/** A package with the catalog it belongs to: what the use-cases look up by package id. */
export interface PackageEntry {
  catalog: Catalog;
  accessPackage: AccessPackage;
}
