/**
 * The project's own tests run on the BUNDLED Moodle 4.5.6 snapshot, whatever generated/ holds (a university's
 * repository regenerates generated/ from its own site: 5.0, plugins, ...). `bundledGeneratedDir()` is generated/ itself
 * when codegen.source.json says it came from the bundled snapshot (`make check-generated` keeps it fresh), else the
 * same codegen run from the bundled snapshot into .tmp/bundled-generated/<key>/ (inside the repository, so that its
 * Zod files find the `zod` package), built once and reused while codegen and the snapshot are unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate } from '../../codegen/generate.ts';
import { writeFiles } from '../../codegen/output-files.ts';
import { loadOverrides } from '../../codegen/overrides.ts';
import { readRememberedSource } from '../../codegen/remembered-source.ts';
import { functionSetSource } from '../../codegen/sources/fingerprint.ts';
import { DEFAULT_SNAPSHOT, loadSnapshot } from '../../codegen/sources/snapshot.ts';
import type { ZodSchemas } from '../../generated/zod/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_GENERATED = join(ROOT, 'generated');
/** The bundled 5.0.6 snapshot (a test fixture; a real Moodle 5.0.6+ with standard plugins only). */
export const SNAPSHOT_5_0_6 = join(ROOT, 'test/fixtures/moodle/functions-5.0.6.json');

let bundledSource: string | undefined;
/** The function-set hash of the bundled 4.5.6 snapshot (`catalog.moodle.source`). */
export function bundledSourceHash(): string {
  return (bundledSource ??= functionSetSource(loadSnapshot(DEFAULT_SNAPSHOT)));
}

/** Whether the repository's generated/ came from the bundled snapshot (as codegen.source.json remembers). */
export function generatedIsBundled(): boolean {
  const remembered = readRememberedSource(join(ROOT, 'codegen.source.json'));
  // No remembered source: codegen's default, the bundled snapshot.
  if (!remembered) return true;
  return remembered.source === bundledSourceHash() && !remembered.includePluginFunctions;
}

let pending: Promise<string> | undefined;
/** A folder with the generated/ output of the bundled 4.5.6 snapshot (see the module comment). */
export function bundledGeneratedDir(): Promise<string> {
  return (pending ??= generatedIsBundled() ? Promise.resolve(REPO_GENERATED) : cachedBundledOutput());
}

/** Zod schemas of one component from a generated folder (its zod/index.ts loaders). */
export async function zodLoaderOf(dir: string): Promise<(component: string) => Promise<ZodSchemas>> {
  const index = (await import(pathToFileURL(join(dir, 'zod/index.ts')).href)) as typeof import('../../generated/zod/index.ts');
  return index.loadZodSchemas;
}

async function cachedBundledOutput(): Promise<string> {
  const dir = join(ROOT, '.tmp/bundled-generated', codegenKey());
  if (existsSync(join(dir, 'catalog.json'))) return dir;
  const { files } = await generate({ document: loadSnapshot(DEFAULT_SNAPSHOT), overrides: loadOverrides() });
  // Written aside and renamed: parallel test processes never read a half-written folder (the first rename wins).
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFiles(partial, files);
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, 'catalog.json'))) throw new Error(`bundled catalog: cannot create ${dir}`);
  }
  return dir;
}

/** A hash of everything codegen's output depends on: its code, the reviewed YAML and the bundled snapshot. */
function codegenKey(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'moodle') walk(path);
      } else {
        hash.update(`${path.slice(ROOT.length)}\0`).update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(join(ROOT, 'codegen'));
  walk(join(ROOT, 'runtime/catalog'));
  hash.update(readFileSync(join(ROOT, 'runtime/moodle/plugin.ts')));
  return hash.digest('hex').slice(0, 16);
}
