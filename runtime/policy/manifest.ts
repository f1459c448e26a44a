import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyError } from './errors.ts';

/** `policies/build/manifest.json`, written by scripts/policy-build.sh next to the WASM. */
export interface BuildManifest {
  /** sha256 over the policy sources (non-test `*.rego` and `capabilities.json`) the WASM was built from. */
  sourceHash: string;
  /** sha256 of `policy.wasm`. */
  wasmSha256: string;
  opaVersion?: string;
  entrypoint: string;
  builtAt: string;
}

export const ENTRYPOINT = 'moodle_mcp/decision';
/** Optional second entrypoint: the profiles' patterns split by kind, evaluated once per data load (engine.ts). */
export const PATTERN_INDEX_ENTRYPOINT = 'moodle_mcp/pattern_index';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Files that determine the compiled policy: `*.rego` except `*_test.rego`, plus `capabilities.json`. */
async function sourceFiles(sourcesDir: string): Promise<string[]> {
  const names = await readdir(sourcesDir).catch((err: NodeJS.ErrnoException) => {
    throw new PolicyError(`policy sources ${sourcesDir}: ${err.code ?? err.message}`);
  });
  const files = names.filter((n) => (n.endsWith('.rego') && !n.endsWith('_test.rego')) || n === 'capabilities.json').sort();
  if (!files.some((n) => n.endsWith('.rego'))) throw new PolicyError(`policy sources ${sourcesDir}: no .rego file`);
  return files;
}

/** Hash of the policy sources, comparable with `BuildManifest.sourceHash`. */
export async function computeSourceHash(sourcesDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of await sourceFiles(sourcesDir)) {
    const content = await readFile(join(sourcesDir, name));
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

/** Writes the manifest for a freshly built WASM (called by scripts/policy-build.sh). */
export async function writeBuildManifest(opts: {
  sourcesDir: string;
  wasmPath: string;
  manifestPath: string;
  opaVersion?: string;
}): Promise<BuildManifest> {
  const manifest: BuildManifest = {
    sourceHash: await computeSourceHash(opts.sourcesDir),
    wasmSha256: sha256(await readFile(opts.wasmPath)),
    ...(opts.opaVersion ? { opaVersion: opts.opaVersion } : {}),
    entrypoint: ENTRYPOINT,
    builtAt: new Date().toISOString(),
  };
  await writeFile(opts.manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * Reads the WASM and checks it against its manifest and the current sources.
 * Throws PolicyError (fail closed) when a file is missing, the WASM was altered, or the sources changed since the build.
 */
export async function readCheckedWasm(opts: {
  wasmPath: string;
  manifestPath: string;
  sourcesDir: string;
}): Promise<{ wasm: Buffer; manifest: BuildManifest }> {
  const hint = 'run `make policy`';
  const [wasm, manifestText] = await Promise.all([
    readFile(opts.wasmPath).catch(() => {
      throw new PolicyError(`compiled policy ${opts.wasmPath} is missing: ${hint}`);
    }),
    readFile(opts.manifestPath, 'utf8').catch(() => {
      throw new PolicyError(`policy manifest ${opts.manifestPath} is missing: ${hint}`);
    }),
  ]);
  let manifest: BuildManifest;
  try {
    manifest = JSON.parse(manifestText) as BuildManifest;
  } catch {
    throw new PolicyError(`policy manifest ${opts.manifestPath} is not valid JSON: ${hint}`);
  }
  if (typeof manifest?.sourceHash !== 'string' || typeof manifest.wasmSha256 !== 'string') {
    throw new PolicyError(`policy manifest ${opts.manifestPath} lacks sourceHash/wasmSha256: ${hint}`);
  }
  if (sha256(wasm) !== manifest.wasmSha256) {
    throw new PolicyError(`compiled policy ${opts.wasmPath} does not match its manifest: ${hint}`);
  }
  if ((await computeSourceHash(opts.sourcesDir)) !== manifest.sourceHash) {
    throw new PolicyError(`compiled policy is stale: ${opts.sourcesDir} changed since the last build: ${hint}`);
  }
  return { wasm, manifest };
}
