import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { AuditError } from '../errors.ts';
import { withFileLock } from '../files.ts';
import type { FileRotation } from '../config.ts';
import type { SinkWriter } from '../sink-queue.ts';

const writeAsync = promisify(write);

export interface FileSinkOptions {
  name?: string;
  now?: () => Date;
}

/**
 * Appends JSON lines to `path`, rotating by size and/or UTC day into path.1 … path.keep. The file is opened
 * at creation (a bad path fails the gateway start) and every batch is written under `<path>.lock`, so
 * `privacy erase` can rewrite the files safely while the gateway runs. A file replaced behind our back
 * (erase rewrite, external logrotate) is noticed by inode and reopened.
 */
export function createFileSink(path: string, rotate: FileRotation = {}, options: FileSinkOptions = {}): SinkWriter {
  if (typeof path !== 'string' || path.trim() === '') throw new AuditError('audit.sinks[file].path: must be a non-empty file path');
  const keep = rotate.keep ?? 7;
  if (!Number.isInteger(keep) || keep < 1) throw new AuditError('audit.sinks[file].rotate.keep: must be a positive integer');
  if (rotate.size_mb !== undefined && !(rotate.size_mb > 0)) throw new AuditError('audit.sinks[file].rotate.size_mb: must be a positive number');
  const maxBytes = rotate.size_mb !== undefined ? Math.max(1, Math.floor(rotate.size_mb * 1024 * 1024)) : Infinity;
  const now = options.now ?? (() => new Date());
  const day = (d: Date) => d.toISOString().slice(0, 10);

  let fd = -1;
  let ino = 0;
  let size = 0;
  let fileDay = '';
  /** The file ends in a partial line (crash, or written by hand): start with a newline so records stay whole. */
  let needsNewline = false;

  function endsWithoutNewline(bytes: number): boolean {
    if (bytes === 0) return false;
    const reader = openSync(path, 'r');
    try {
      const last = Buffer.alloc(1);
      readSync(reader, last, 0, 1, bytes - 1);
      return last[0] !== 10;
    } finally {
      closeSync(reader);
    }
  }

  function openFile(): void {
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'a', 0o640);
    } catch (error) {
      throw new AuditError(`audit file sink: cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    const info = fstatSync(fd);
    ino = info.ino;
    size = info.size;
    fileDay = day(info.size > 0 ? info.mtime : now());
    needsNewline = endsWithoutNewline(info.size);
  }

  function closeFile(): void {
    if (fd < 0) return;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      fd = -1;
    }
  }

  function rotateFiles(): void {
    closeFile();
    try {
      unlinkSync(`${path}.${keep}`);
    } catch {
      /* not there yet */
    }
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    renameSync(path, `${path}.1`);
    openFile();
  }

  function replacedOnDisk(): boolean {
    try {
      return statSync(path).ino !== ino;
    } catch {
      return true;
    }
  }

  openFile();

  return {
    name: options.name ?? `file:${path}`,
    maxBatch: 2000,
    // Each write takes the lock file (open, write, close, unlink: the costliest step of a call's audit record in
    // bench/hotpath.bench.ts); lines gathered for 10 ms share one.
    batchDelayMs: 10,
    async write(lines) {
      const text = lines.join('');
      await withFileLock(path, async () => {
        if (fd < 0 || replacedOnDisk()) {
          closeFile();
          openFile();
        }
        if (size > 0 && ((rotate.daily && day(now()) !== fileDay) || size + Buffer.byteLength(text) > maxBytes)) rotateFiles();
        const data = Buffer.from(needsNewline ? `\n${text}` : text, 'utf8');
        let offset = 0;
        while (offset < data.length) {
          const { bytesWritten } = await writeAsync(fd, data, offset, data.length - offset);
          offset += bytesWritten;
        }
        size += data.length;
        needsNewline = false;
      });
    },
    async close() {
      closeFile();
    },
  };
}
