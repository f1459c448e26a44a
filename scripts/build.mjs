#!/usr/bin/env node
// Production build: TypeScript → dist/ with tsc (tsconfig.build.json), then the data files the runtime reads
// next to its modules (generated catalog and schemas, every non-TypeScript file under runtime/: simulator data,
// SQL migrations, message catalogs, the search vocabulary; the codegen snapshot the simulator answers from). dist/ mirrors the repository layout, so module-relative paths are the same as in dev.
// Usage: node scripts/build.mjs        (bin/moodle-mcp.mjs runs dist/ when dist/runtime/cli/main.js exists)
import { cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Every non-TypeScript file under runtime/ (data, messages, migrations, vocabularies; READMEs excepted), plus these.
const ASSETS = [
  'generated/catalog.json',
  'generated/schemas',
  'codegen/sources/snapshot/functions-4.5.6.json',
  ...runtimeAssets('runtime'),
];

function runtimeAssets(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return runtimeAssets(path);
    return entry.name.endsWith('.ts') || entry.name === 'README.md' ? [] : [path];
  });
}

// Built next to dist/ and swapped in at the end: a gateway running from dist/ (or a test started from it while
// `npm pack` rebuilds) never sees a half-written or missing dist/.
const next = join(root, 'dist.next');
const old = join(root, 'dist.old');
rmSync(next, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  console.error('build: tsc failed, dist/ left as it was');
  process.exit(result.status ?? 1);
}
for (const asset of ASSETS) {
  if (!existsSync(join(root, asset))) {
    rmSync(next, { recursive: true, force: true });
    console.error(`build: ${asset} is missing (run make generate?)`);
    process.exit(1);
  }
  cpSync(join(root, asset), join(next, asset), { recursive: true });
}
// The tsc output is ESM; the marker keeps it so even if dist/ is copied away from package.json.
writeFileSync(join(next, 'package.json'), JSON.stringify({ type: 'module', private: true }, null, 2) + '\n');
rmSync(old, { recursive: true, force: true });
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
console.error('build: wrote dist/');
