/**
 * `npm run package`: builds the Teams app package `appPackage/build/app.zip` (manifest.json, color.png and
 * outline.png at the zip root) from `appPackage/manifest.json`.
 *
 * The manifest's `${{NAME}}` placeholders (Microsoft 365 Agents Toolkit convention) are filled from the
 * environment, else from `env/.env.dev`, else from `.env`. BOT_ID and TEAMS_APP_ID must be GUIDs. The filled
 * manifest is validated offline against the Teams manifest schema bundled by `@microsoft/app-manifest`, and the
 * icons are checked (Teams' validators do not check them): color.png 192×192, outline.png 32×32 white on a
 * transparent background.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { decodePng, pixels } from './png';

export const ROOT = path.resolve(__dirname, '..');
export const APP_PACKAGE_DIR = 'appPackage';
/** The files of the package, all at the zip root. */
export const PACKAGE_FILES = ['manifest.json', 'color.png', 'outline.png'] as const;
/** Where the environment files are looked up, relative to the root, in order of precedence (after the environment). */
export const ENV_FILES = ['env/.env.dev', '.env'] as const;
/** Variables the manifest needs, all GUIDs (Entra app ids / the Teams app's id). */
export const REQUIRED_VARIABLES = {
  BOT_ID: "the bot's Microsoft Entra app (client) id",
  TEAMS_APP_ID: "the Teams app's id",
} as const;
export type RequiredVariable = keyof typeof REQUIRED_VARIABLES;

export const ICONS = {
  color: { file: 'color.png', size: 192 },
  outline: { file: 'outline.png', size: 32 },
} as const;

const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** A problem the packager reports as-is (first line names the variable or file), with no stack trace. */
export class PackageError extends Error {
  override name = 'PackageError';
}

type Env = Record<string, string | undefined>;

export interface PackageOptions {
  /** Repository root: `appPackage/` and the environment files are under it. */
  root?: string;
  /** The environment, consulted first. */
  env?: Env;
  /** Environment files consulted after `env`, relative to `root`; default {@link ENV_FILES}. */
  envFiles?: readonly string[];
  /** Where the zip goes; default `<root>/appPackage/build/app.zip`. */
  outFile?: string;
}

export interface PackageResult {
  outFile: string;
  manifest: Record<string, unknown>;
  /** Where each variable came from: `environment` or the environment file's path. */
  sources: Record<string, string>;
}

/** Each variable from the environment, else from the first environment file that sets it (empty = unset). */
export function resolveVariables(names: readonly string[], env: Env, root: string, envFiles: readonly string[]): {
  values: Record<string, string>;
  sources: Record<string, string>;
} {
  const files = envFiles
    .filter((file) => existsSync(path.resolve(root, file)))
    .map((file) => ({ file, vars: parseEnv(readFileSync(path.resolve(root, file), 'utf8')) }));
  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const name of names) {
    const fromEnv = env[name]?.trim();
    if (fromEnv) {
      values[name] = fromEnv;
      sources[name] = 'environment';
      continue;
    }
    for (const { file, vars } of files) {
      const value = vars[name]?.trim();
      if (value) {
        values[name] = value;
        sources[name] = file;
        break;
      }
    }
  }
  return { values, sources };
}

/** Placeholder names in the template, in order of first appearance. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** The template with every `${{NAME}}` replaced; a placeholder without a value is an error. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new PackageError(`${name} is missing: the manifest uses \${{${name}}}; set it in the environment or in ${ENV_FILES.join(' or ')}`);
    // The value lands inside a JSON string: keep it one.
    return JSON.stringify(value).slice(1, -1);
  });
}

function checkVariables(names: readonly string[], values: Record<string, string>, sources: Record<string, string>): void {
  for (const name of names) {
    const value = values[name];
    const meaning = name in REQUIRED_VARIABLES ? REQUIRED_VARIABLES[name as RequiredVariable] : undefined;
    if (value === undefined) {
      const what = meaning ? ` (${meaning}, a GUID)` : '';
      throw new PackageError(`${name} is missing${what}: set it in the environment or in ${ENV_FILES.join(' or ')}`);
    }
    if (meaning && !GUID.test(value)) {
      throw new PackageError(`${name} is not a GUID: "${value}" (from ${sources[name]}); it must be ${meaning}`);
    }
  }
}

/** The Teams manifest schema file bundled by `@microsoft/app-manifest` for this manifest version. */
export function bundledSchemaPath(manifestVersion: string): string {
  const packageDir = path.dirname(require.resolve('@microsoft/app-manifest'));
  return path.join(packageDir, 'json-schemas', 'teams', `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
}

type Schema = Parameters<typeof AppManifestUtils.validateAgainstSchema>[1];
type Manifest = Parameters<typeof AppManifestUtils.validateAgainstSchema>[0];

/**
 * Schema errors of a (filled) manifest, validated offline with `@microsoft/app-manifest` against the schema it
 * bundles for the manifest's `manifestVersion`; the `$schema` URL must name that same version.
 */
export async function validateManifest(manifest: Record<string, unknown>): Promise<string[]> {
  const version = manifest.manifestVersion;
  if (typeof version !== 'string') return ['manifestVersion is missing'];
  const schemaUrl = typeof manifest.$schema === 'string' ? manifest.$schema : '';
  if (!schemaUrl.endsWith(`/teams/v${version}/MicrosoftTeams.schema.json`)) {
    return [`$schema "${schemaUrl}" does not name the Teams manifest schema v${version}`];
  }
  const schemaFile = bundledSchemaPath(version);
  if (!existsSync(schemaFile)) return [`@microsoft/app-manifest bundles no Teams manifest schema v${version}`];
  // The same clean-up AppManifestUtils.fetchSchema applies to the schema text.
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as Schema;
  return AppManifestUtils.validateAgainstSchema(manifest as unknown as Manifest, schema);
}

/** Problems with the icons in `dir`: sizes, and the outline icon white on a transparent background. */
export function iconProblems(dir: string): string[] {
  const problems: string[] = [];
  for (const [kind, { file, size }] of Object.entries(ICONS)) {
    const where = path.join(dir, file);
    if (!existsSync(where)) {
      problems.push(`${file} is missing`);
      continue;
    }
    let png;
    try {
      png = decodePng(readFileSync(where));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    if (png.width !== size || png.height !== size) {
      problems.push(`${file} is ${png.width}×${png.height}; the ${kind} icon must be ${size}×${size}`);
    }
    if (kind === 'outline') {
      let transparent = 0;
      let notWhite = 0;
      for (const p of pixels(png)) {
        if (p.a === 0) transparent++;
        else if (p.r !== 255 || p.g !== 255 || p.b !== 255) notWhite++;
      }
      if (transparent === 0) problems.push(`${file} has no transparent background`);
      if (notWhite > 0) problems.push(`${file} has ${notWhite} pixel(s) that are neither white nor transparent`);
    }
  }
  return problems;
}

/** Fills, validates and zips the Teams app package. Throws {@link PackageError} on any problem. */
export async function buildAppPackage(options: PackageOptions = {}): Promise<PackageResult> {
  const root = options.root ?? ROOT;
  const dir = path.join(root, APP_PACKAGE_DIR);
  const template = readFileSync(path.join(dir, 'manifest.json'), 'utf8');

  const names = [...new Set([...Object.keys(REQUIRED_VARIABLES), ...placeholdersOf(template)])];
  const { values, sources } = resolveVariables(names, options.env ?? process.env, root, options.envFiles ?? ENV_FILES);
  checkVariables(names, values, sources);

  const filled = fillTemplate(template, values);
  const manifest = JSON.parse(filled) as Record<string, unknown>;
  const errors = await validateManifest(manifest);
  if (errors.length > 0) {
    throw new PackageError(
      `${APP_PACKAGE_DIR}/manifest.json does not validate against the Teams manifest schema v${String(manifest.manifestVersion)}:\n` +
        errors.map((e) => `  - ${e}`).join('\n'),
    );
  }
  const problems = iconProblems(dir);
  if (problems.length > 0) throw new PackageError(`${APP_PACKAGE_DIR} icons: ${problems.join('; ')}`);

  const zip = new JSZip();
  zip.file('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  zip.file(ICONS.color.file, readFileSync(path.join(dir, ICONS.color.file)));
  zip.file(ICONS.outline.file, readFileSync(path.join(dir, ICONS.outline.file)));
  const content = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });

  const outFile = options.outFile ?? path.join(dir, 'build', 'app.zip');
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, content);
  return { outFile, manifest, sources };
}

async function main(): Promise<void> {
  try {
    const { outFile, manifest, sources } = await buildAppPackage();
    const from = Object.entries(sources).map(([name, source]) => `${name} from ${source}`).join(', ');
    console.log(`${path.relative(process.cwd(), outFile)} written (manifest v${String(manifest.manifestVersion)}; ${from})`);
  } catch (err) {
    console.error(err instanceof PackageError ? err.message : `packaging failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}

if (require.main === module) void main();
