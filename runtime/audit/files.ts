import { open, readFile, readdir, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

export interface LockOptions {
  /** A lock file older than this is considered left over by a crashed process and removed. Default 10 min. */
  staleMs?: number;
  /** How long to keep trying to take a busy lock. Default 0 (fail at once). */
  waitMs?: number;
}

/** True when the lock names a process id that no longer exists on this host (left by a crash). */
async function holderIsGone(lock: string): Promise<boolean> {
  const text = await readFile(lock, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now, or foreign: rely on age
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

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
  const staleMs = options.staleMs ?? 10 * 60_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(lock).catch(() => undefined);
      if (info && (Date.now() - info.mtimeMs > staleMs || (await holderIsGone(lock)))) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) {
        throw Object.assign(new AuditError(`audit file ${path} is locked by another process (${lock})`), { code: 'ELOCKED' });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  const touch = async () => {
    const now = new Date();
    await utimes(lock, now, now).catch(() => undefined);
  };
  try {
    return await fn(touch);
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
