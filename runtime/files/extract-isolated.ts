import { Worker } from 'node:worker_threads';
import { FileExtractError, type ExtractLimits, type Extracted } from './extract.ts';

/**
 * extractText in a worker thread of its own, terminated past `timeoutMs` or its heap limit. A PDF or DOCX can be
 * built to expand far beyond its size while it is read (a 300 KB PDF whose page content inflates to 300 MB took 5 s
 * and 1 GB in-process): here it costs one worker, never the gateway. At most `maxConcurrent` workers run at once (the
 * buffers a PDF inflates into lie outside the worker's heap limit, so the number of workers bounds that memory); a call
 * that finds them all busy waits its turn up to `queueTimeoutMs` (default `timeoutMs`), then fails with a clear error.
 */
export function isolatedExtractText(options: { timeoutMs: number; maxHeapMb?: number; maxConcurrent?: number; queueTimeoutMs?: number }) {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL('./extract-worker.mjs', import.meta.url);
  const slots = createSlots(options.maxConcurrent ?? 2);
  return async (bytes: Uint8Array, file: { filename: string; mimetype: string }, limits: ExtractLimits): Promise<Extracted> => {
    const queueTimeoutMs = options.queueTimeoutMs ?? options.timeoutMs;
    const release = await slots.acquire(queueTimeoutMs);
    if (!release)
      throw new FileExtractError(`${options.maxConcurrent ?? 2} other files were being read for ${queueTimeoutMs} ms (files.max_concurrent_extractions); try again shortly`);
    try {
      return await runWorker(bytes, file, limits, options.timeoutMs);
    } finally {
      release();
    }
  };

  function runWorker(bytes: Uint8Array, file: { filename: string; mimetype: string }, limits: ExtractLimits, timeoutMs: number): Promise<Extracted> {
    return new Promise<Extracted>((resolve, reject) => {
      const worker = new Worker(script, {
        workerData: { bytes, file, limits, fromSource },
        resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 512 },
      });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        fn();
      };
      const timer = setTimeout(
        () => settle(() => reject(new FileExtractError(`reading its text took longer than ${options.timeoutMs} ms (files.extract_timeout_ms); it is not read`))),
        timeoutMs,
      );
      worker.once('message', (m: { ok: true; value: Extracted } | { ok: false; extractError: boolean; message: string }) =>
        settle(() => (m.ok ? resolve(m.value) : reject(m.extractError ? new FileExtractError(m.message) : new Error(m.message)))),
      );
      worker.once('error', (error) =>
        settle(() =>
          reject(
            (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new FileExtractError(`reading its text needed more than the ${options.maxHeapMb ?? 512} MB an extraction may take; it is not read`)
              : error,
          ),
        ),
      );
      worker.once('exit', (code) => settle(() => reject(new FileExtractError(`the text extraction stopped (exit code ${code})`))));
    });
  }
}

/** A counting semaphore whose waiters give up after a deadline (acquire answers null then). */
function createSlots(size: number) {
  let free = size;
  const waiting: Array<(release: (() => void) | null) => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next(once());
    else free++;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
  return {
    acquire(timeoutMs: number): Promise<(() => void) | null> {
      if (free > 0) {
        free--;
        return Promise.resolve(once());
      }
      return new Promise((resolve) => {
        const waiter = (r: (() => void) | null) => {
          clearTimeout(timer);
          resolve(r);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          resolve(null);
        }, timeoutMs);
        waiting.push(waiter);
      });
    },
  };
}
