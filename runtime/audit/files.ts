import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { acquireFileLock, FileLockBusyError, type FileLock, type FileLockOptions } from '../shared/file-lock.ts';
import { AuditError } from './errors.ts';

/**
 * The file sink's current file and its rotated files (path.1 newest … path.N oldest), oldest first,
 * so reading them in order yields records in write order. Missing files are skipped.
 */
export async function listAuditFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing written yet
    throw new AuditError(`cannot read audit directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const rotated = names
    .map((name) => ({ name, n: name.startsWith(`${base}.`) ? Number(name.slice(base.length + 1)) : NaN }))
    .filter((f) => Number.isInteger(f.n) && f.n > 0 && String(f.n) === f.name.slice(base.length + 1))
    .sort((a, b) => b.n - a.n)
    .map((f) => join(dir, f.name));
  return names.includes(base) ? [...rotated, path] : rotated;
}

/** Lock timing for withFileLock: `staleMs` (default 10 min) and `waitMs` (default 0, fail at once). */
export type LockOptions = Pick<FileLockOptions, 'staleMs' | 'waitMs'>;

/** The lock file shared by the file sink (one lock per batch write/rotation) and privacy erase (whole rewrite). */
export function lockPath(path: string): string {
  return `${path}.lock`;
}

/**
 * Runs `fn` while holding `<path>.lock` (created with O_EXCL). The file sink writes and rotates only under this
 * lock and privacy erase rewrites only under it, so neither loses the other's work. Throws AuditError with
 * code 'ELOCKED' when the lock stays busy.
 */
export async function withFileLock<T>(path: string, fn: (touch: () => Promise<void>) => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = lockPath(path);
  let held: FileLock;
  try {
    held = await acquireFileLock(lock, { staleMs: options.staleMs, waitMs: options.waitMs });
  } catch (error) {
    if (!(error instanceof FileLockBusyError)) throw error;
    throw Object.assign(new AuditError(`audit file ${path} is locked by another process (${lock})`), { code: 'ELOCKED' });
  }
  try {
    return await fn(held.touch);
  } finally {
    await held.release();
  }
}
