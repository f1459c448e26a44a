// Codegen timing: the whole pipeline for all functions of the bundled snapshot (budget: 15 s on 2 cores),
// in-process and as `make generate` runs it (a fresh node process writing into a temp dir).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../codegen/generate.ts';
import { loadOverrides } from '../codegen/overrides.ts';
import { loadSnapshot } from '../codegen/sources/snapshot.ts';

const BUDGET_MS = 15_000;

export default async function bench(): Promise<{ name: string; [column: string]: string | number }[]> {
  const rows: { name: string; [column: string]: string | number }[] = [];
  const t0 = performance.now();
  const document = loadSnapshot();
  const overrides = loadOverrides();
  const t1 = performance.now();
  const stages: string[] = [];
  const result = await generate({ document, overrides, progress: (line) => stages.push(line) });
  const t2 = performance.now();
  const bytes = [...result.files.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  rows.push({ name: 'load snapshot + overrides', functions: document.functions.length, ms: Math.round(t1 - t0), files: '', MB: '', budget: '' });
  rows.push({
    name: 'generate (in-process)', functions: result.catalog.functions.length, ms: Math.round(t2 - t1),
    files: result.files.size, MB: (bytes / 1e6).toFixed(1), budget: t2 - t1 <= BUDGET_MS ? 'ok' : 'OVER',
  });

  const out = mkdtempSync(join(tmpdir(), 'codegen-bench-'));
  try {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const t3 = performance.now();
    execFileSync(process.execPath, ['--import', 'tsx', 'codegen/main.ts', '--out', out, '--quiet'], { cwd: root, stdio: 'ignore' });
    const ms = performance.now() - t3;
    rows.push({ name: 'make generate (CLI, cold process)', functions: result.catalog.functions.length, ms: Math.round(ms), files: result.files.size, MB: (bytes / 1e6).toFixed(1), budget: ms <= BUDGET_MS ? 'ok' : 'OVER' });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}
