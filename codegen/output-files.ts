import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Files under `dir`, as paths relative to it (sorted). */
export function listFiles(dir: string): string[] {
  const walk = (at: string): string[] => {
    let names: string[];
    try {
      names = readdirSync(at);
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      const path = join(at, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(dir, path)];
    });
  };
  return walk(dir).sort();
}

/** Files that differ between `dir` and the expected output: changed, missing, or not produced any more. */
export function staleFiles(dir: string, files: Map<string, string>): { path: string; why: 'changed' | 'missing' | 'extra' }[] {
  const stale: { path: string; why: 'changed' | 'missing' | 'extra' }[] = [];
  const present = new Set(listFiles(dir));
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!present.has(path)) stale.push({ path, why: 'missing' });
    else if (readFileSync(join(dir, path), 'utf8') !== text) stale.push({ path, why: 'changed' });
  }
  for (const path of present) if (!files.has(path)) stale.push({ path, why: 'extra' });
  return stale;
}

/** Writes the output into `dir`: changed files rewritten, files no longer produced removed. Returns how many changed. */
export function writeFiles(dir: string, files: Map<string, string>): number {
  const stale = staleFiles(dir, files);
  for (const { path, why } of stale) {
    const target = join(dir, path);
    if (why === 'extra') {
      rmSync(target);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, files.get(path)!);
  }
  return stale.length;
}
