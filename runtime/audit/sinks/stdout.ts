import { write } from 'node:fs';
import { promisify } from 'node:util';
import type { Writable } from 'node:stream';
import type { SinkWriter } from '../sink-queue.ts';

const writeAsync = promisify(write);

/** Writes all of `data` to a file descriptor off the event loop; EAGAIN (non-blocking pipe full) just waits. */
async function writeFd(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  let wait = 1;
  while (offset < data.length) {
    try {
      offset += (await writeAsync(fd, data, offset, data.length - offset)).bytesWritten;
      wait = 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 100);
    }
  }
}

/**
 * JSON lines on standard output (the default sink). Writes go to fd 1 through the thread pool (like
 * pino.destination({ sync: false })), never through process.stdout, whose pipe writes are synchronous on
 * Linux: a stalled log collector fills this sink's bounded queue instead of blocking the event loop.
 * Tests may pass a stream instead.
 */
export function createStdoutSink(stream?: Writable, name = 'stdout'): SinkWriter {
  return {
    name,
    maxBatch: 1000,
    write(lines) {
      if (!stream) return writeFd(1, Buffer.from(lines.join(''), 'utf8'));
      return new Promise((resolve, reject) => {
        stream.write(lines.join(''), (error) => (error ? reject(error) : resolve()));
      });
    },
    async close() {
      /* stdout is never closed by us */
    },
  };
}
