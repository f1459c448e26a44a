// The worker thread of extract-isolated.ts: one extraction, its answer posted back. Plain JavaScript, so that it runs
// from the sources (registering tsx first) and from dist/ (where the build copies it next to extract.js).
import { parentPort, workerData } from 'node:worker_threads';

const { bytes, file, limits, fromSource } = workerData;
if (fromSource) (await import('tsx/esm/api')).register();
const { extractText, FileExtractError } = await import(fromSource ? './extract.ts' : './extract.js');
try {
  parentPort.postMessage({ ok: true, value: await extractText(bytes, file, limits) });
} catch (error) {
  parentPort.postMessage({ ok: false, extractError: error instanceof FileExtractError, message: error?.message ?? String(error) });
}
