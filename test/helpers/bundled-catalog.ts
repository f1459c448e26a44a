/**
 * The project's own tests run on the BUNDLED Moodle 4.5.6 snapshot, whatever generated/ holds (a university's
 * repository regenerates generated/ from its own site: 5.0, plugins, ...). `bundledGeneratedDir()` is generated/ itself
 * when codegen.source.json says it came from the bundled snapshot (`make check-generated` keeps it fresh), else the
 * same codegen run from the bundled snapshot into .tmp/bundled-generated/<key>/ (inside the repository, so that its
 * Zod files find the `zod` package), built once and reused while codegen and the snapshot are unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readRememberedSource } from '../../codegen/remembered-source.ts';
import { functionSetSource } from '../../codegen/sources/fingerprint.ts';
import { DEFAULT_SNAPSHOT, loadSnapshot } from '../../codegen/sources/snapshot.ts';
import type { ZodSchemas } from '../../generated/zod/index.ts';
import { acquireFileLock } from '../../runtime/shared/file-lock.ts';

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
  const dir = bundledCacheDir();
  const done = () => existsSync(join(dir, 'catalog.json'));
  if (done()) return dir;
  // One process generates (the test runner runs files in parallel); the others wait for it, then find it done.
  mkdirSync(join(ROOT, '.tmp/bundled-generated'), { recursive: true });
  const lock = await acquireFileLock(`${dir}.lock`, { waitMs: 300_000, staleMs: 300_000, maxPollMs: 500 });
  try {
    if (done()) return dir;
    // Loaded only here: codegen (ts-morph) is slow to load, and most runs find generated/ or the cache ready.
    const { generate } = await import('../../codegen/generate.ts');
    const { writeFiles } = await import('../../codegen/output-files.ts');
    const { loadOverrides } = await import('../../codegen/overrides.ts');
    const { files } = await generate({ document: loadSnapshot(DEFAULT_SNAPSHOT), overrides: loadOverrides() });
    // catalog.json last: its presence means the folder is complete.
    const catalog = files.get('catalog.json')!;
    files.delete('catalog.json');
    writeFiles(dir, files);
    writeFiles(dir, new Map([...files, ['catalog.json', catalog]]));
    // Outputs of earlier codegen versions are of no use any more (about 20 MB each).
    for (const name of readdirSync(dirname(dir))) {
      if (/^[0-9a-f]{16}$/.test(name) && join(dirname(dir), name) !== dir) rmSync(join(dirname(dir), name), { recursive: true, force: true });
    }
    return dir;
  } finally {
    await lock.release();
  }
}

/**
 * Where a repository keeps the bundled output when generated/ holds another site: .tmp/bundled-generated/<key>, the key
 * a hash of everything codegen's output depends on (its code, the reviewed YAML, the bundled snapshot).
 */
export function bundledCacheDir(root = ROOT): string {
  return join(root, '.tmp/bundled-generated', codegenKey(root));
}

function codegenKey(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        // Not the PHP exporter, nor the snapshots a university adds: only the bundled one, below.
        if (name !== 'moodle' && name !== 'snapshot') walk(path);
      } else {
        hash.update(`${path.slice(root.length)}\0`).update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(join(root, 'codegen'));
  walk(join(root, 'runtime/catalog'));
  hash.update(readFileSync(join(root, 'runtime/moodle/plugin.ts')));
  hash.update(readFileSync(join(root, relative(ROOT, DEFAULT_SNAPSHOT))));
  return hash.digest('hex').slice(0, 16);
}
