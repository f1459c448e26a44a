import { Worker } from 'node:worker_threads';
import { FileExtractError, type ExtractLimits, type Extracted } from './extract.ts';

/**
 * extractText in a worker thread of its own, terminated past `timeoutMs` or its heap limit. A PDF or DOCX can be
 * built to expand far beyond its size while it is read (a 300 KB PDF whose page content inflates to 300 MB took 5 s
 * and 1 GB in-process): here it costs one worker, never the gateway.
 */
export function isolatedExtractText(options: { timeoutMs: number; maxHeapMb?: number }) {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL('./extract-worker.mjs', import.meta.url);
  return (bytes: Uint8Array, file: { filename: string; mimetype: string }, limits: ExtractLimits): Promise<Extracted> =>
    new Promise<Extracted>((resolve, reject) => {
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
        options.timeoutMs,
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
