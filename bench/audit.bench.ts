import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createAudit } from '../runtime/audit/logger.ts';
import { exportAudit } from '../runtime/audit/export.ts';
import { sanitize } from '../runtime/audit/sanitize.ts';
import { fullRecord } from '../test/audit/helpers.ts';

/** A record with every field set (as the audit tests use). */
const sample = fullRecord();

/** record() cost on the call path, end-to-end drain to a file sink, sanitize alone, CSV export. */
export default async function bench(): Promise<{ name: string; [column: string]: string | number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  const rows: { name: string; [column: string]: string | number }[] = [];
  try {
    const n = 100_000;
    let t = performance.now();
    for (let i = 0; i < n; i++) sanitize(sample);
    let ms = performance.now() - t;
    rows.push({ name: 'sanitize', records: n, 'µs/record': +((ms * 1000) / n).toFixed(2), 'records/s': Math.round(n / (ms / 1000)) });

    const path = join(dir, 'audit.log');
    const audit = createAudit({ sinks: [{ type: 'file', path }], bufferSize: n, logger: pino({ enabled: false }) });
    t = performance.now();
    for (let i = 0; i < n; i++) audit.record(sample);
    const callMs = performance.now() - t;
    await audit.close();
    ms = performance.now() - t;
    rows.push({ name: 'record() call path (file sink)', records: n, 'µs/record': +((callMs * 1000) / n).toFixed(2), 'records/s': Math.round(n / (callMs / 1000)) });
    rows.push({ name: 'record + drain to file + close', records: n, 'µs/record': +((ms * 1000) / n).toFixed(2), 'records/s': Math.round(n / (ms / 1000)) });

    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    t = performance.now();
    const { records } = await exportAudit({ file: path, format: 'csv', out: sink });
    ms = performance.now() - t;
    rows.push({ name: 'audit export --format csv', records, 'µs/record': +((ms * 1000) / records).toFixed(2), 'records/s': Math.round(records / (ms / 1000)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
