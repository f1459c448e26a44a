import type { Writable } from 'node:stream';
import type { SinkWriter } from '../sink-queue.ts';

/** JSON lines on standard output (the default sink). A blocked pipe fills the queue instead of the event loop. */
export function createStdoutSink(stream: Writable = process.stdout, name = 'stdout'): SinkWriter {
  return {
    name,
    maxBatch: 1000,
    write(lines) {
      return new Promise((resolve, reject) => {
        stream.write(lines.join(''), (error) => (error ? reject(error) : resolve()));
      });
    },
    async close() {
      /* process.stdout is never closed by us */
    },
  };
}
