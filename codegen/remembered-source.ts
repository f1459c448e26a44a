import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { CodegenError } from './errors.ts';
import { isObject } from './sources/validate.ts';

/**
 * What `make generate` remembers about the source of `generated/` (codegen.source.json, committed next to it), so that
 * a later `make generate` or `make check-generated` (CI) uses the same source without flags.
 * `from`: the snapshot file, relative to the repository (`/` separators), or `live` (a site over REST).
 * `release` and `source` (the function-set hash) are the catalog's, for a reader and for the check.
 */
export interface RememberedSource {
  from: string;
  release: string;
  source: string;
  /** Set when codegen ran with --include-plugin-functions. */
  includePluginFunctions?: true;
}

export const LIVE = 'live';

/** Reads the remembered source; undefined when the file does not exist (then the bundled snapshot is the default). */
export function readRememberedSource(path: string): RememberedSource | undefined {
  if (!existsSync(path)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CodegenError(`${path}: not JSON (${(error as Error).message}); delete it and run make generate with SNAPSHOT= or MOODLE_URL=`);
  }
  if (!isObject(doc)) throw new CodegenError(`${path}: expected an object with from, release, source`);
  for (const key of ['from', 'release', 'source'] as const) {
    if (typeof doc[key] !== 'string' || doc[key] === '') throw new CodegenError(`${path}: ${key}: expected a non-empty string`);
  }
  if (doc.includePluginFunctions !== undefined && doc.includePluginFunctions !== true) {
    throw new CodegenError(`${path}: includePluginFunctions: expected true or nothing`);
  }
  return doc as unknown as RememberedSource;
}

/** The JSON text of a remembered source (stable key order). */
export function rememberedSourceText(source: RememberedSource): string {
  return JSON.stringify({
    from: source.from,
    release: source.release,
    source: source.source,
    ...(source.includePluginFunctions ? { includePluginFunctions: true } : {}),
  }, null, 2) + '\n';
}

/** Writes it when its text changes; returns whether it did. */
export function writeRememberedSource(path: string, source: RememberedSource): boolean {
  const text = rememberedSourceText(source);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  writeFileSync(path, text);
  return true;
}

/** A snapshot path as remembered: relative to the repository root, `/` separators. */
export function snapshotFrom(root: string, file: string): string {
  return relative(root, resolve(file)).split('\\').join('/');
}

/** Whether a remembered snapshot path lies outside the repository (CI, which has only the repository, cannot read it). */
export function outsideRepository(from: string): boolean {
  return from === '..' || from.startsWith('../') || isAbsolute(from);
}
