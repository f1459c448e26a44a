import { readlinkSync } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface FileLockOptions {
  /** A lock file older than this is considered left over by a crashed process and removed. Default 10 min. */
  staleMs?: number;
  /** How long to keep trying to take a busy lock. Default 0 (fail at once). */
  waitMs?: number;
  /** Longest pause between two attempts; pauses start at 5 ms and double up to this. Default 200 ms. */
  maxPollMs?: number;
}

/** A held lock: `touch()` refreshes its age during long work, `release()` removes it. */
export interface FileLock {
  touch(): Promise<void>;
  release(): Promise<void>;
}

/** Thrown by acquireFileLock when the lock is still held by another process after `waitMs`. */
export class FileLockBusyError extends Error {
  readonly code = 'ELOCKED';
  constructor(readonly lockPath: string) {
    super(`${lockPath} is held by another process`);
    this.name = 'FileLockBusyError';
  }
}

/**
 * Where this process id means something: the host and the PID namespace (containers started separately on one
 * host have their own). Another writer of the lock (e.g. `moodle-mcp privacy erase` in its own container on a
 * shared volume) may be alive even when its pid does not exist here.
 */
const SELF = { host: hostname(), pidns: pidNamespace() };

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid'); // e.g. "pid:[4026531836]"; not on every platform
  } catch {
    return undefined;
  }
}

/** The holder's pid when it can be checked from here, else undefined (then only the lock's age counts). */
function localPid(text: string): number | undefined {
  let pid: unknown;
  if (text.trimStart().startsWith('{')) {
    let holder: { pid?: unknown; host?: unknown; pidns?: unknown };
    try {
      holder = JSON.parse(text) as typeof holder;
    } catch {
      return undefined; // being written right now
    }
    if (holder.host !== SELF.host || holder.pidns !== SELF.pidns) return undefined; // another host or container
    pid = holder.pid;
  } else {
    pid = Number(text.trim()); // "<pid>" written by an older version, read as before
  }
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when the lock names a process that no longer exists on this host, in this PID namespace (left by a crash). */
async function holderIsGone(lock: string): Promise<boolean> {
  const pid = localPid(await readFile(lock, 'utf8').catch(() => ''));
  if (pid === undefined) return false; // being written right now, or foreign: rely on age
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the lock file `lock` (created with O_EXCL, mode 0600, naming this process, host and PID namespace).
 * A lock older than `staleMs`, or one whose holder process is gone from this host and PID namespace, is removed
 * and taken over; a lock from elsewhere is judged by its age only. Throws FileLockBusyError when the lock stays
 * busy for `waitMs`; other file system errors are thrown as they are.
 */
export async function acquireFileLock(lock: string, options: FileLockOptions = {}): Promise<FileLock> {
  const staleMs = options.staleMs ?? 10 * 60_000;
  const maxPollMs = options.maxPollMs ?? 200;
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (let delay = Math.min(5, maxPollMs); ; delay = Math.min(delay * 2, maxPollMs)) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify({ pid: process.pid, ...SELF })}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(lock).catch(() => undefined);
      if (info && (Date.now() - info.mtimeMs > staleMs || (await holderIsGone(lock)))) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) throw new FileLockBusyError(lock);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return {
    async touch() {
      const now = new Date();
      await utimes(lock, now, now).catch(() => undefined);
    },
    async release() {
      await unlink(lock).catch(() => undefined);
    },
  };
}
