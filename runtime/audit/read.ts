import { createReadStream } from 'node:fs';
import { listAuditFiles } from './files.ts';
import type { AuditRecord } from './types.ts';

/**
 * Splits a file into raw lines, byte-exact: each yielded Buffer excludes the "\n"; `terminated` says whether
 * the line had one (only the last line of a file may lack it).
 */
export async function* readRawLines(file: string): AsyncGenerator<{ bytes: Buffer; terminated: boolean }> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      yield { bytes: data.subarray(start, nl), terminated: true };
      start = nl + 1;
    }
    rest = Buffer.from(data.subarray(start));
  }
  if (rest.length) yield { bytes: rest, terminated: false };
}

/** Parses one audit line; undefined for blank or malformed lines (e.g. a line cut by a crash). */
export function parseAuditLine(line: string): AuditRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const rec = JSON.parse(line);
    return rec && typeof rec === 'object' && !Array.isArray(rec) && typeof rec.event === 'string' ? (rec as AuditRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every record of the file sink at `path` and its rotated files, oldest file first (or of the files given, as
 * listAuditFiles returned them); malformed lines are counted.
 */
export async function* readAuditRecords(path: string | readonly string[], stats: { malformed: number } = { malformed: 0 }): AsyncGenerator<AuditRecord> {
  for (const file of typeof path === 'string' ? await listAuditFiles(path) : path) {
    for await (const { bytes } of readRawLines(file)) {
      const rec = parseAuditLine(bytes.toString('utf8'));
      if (rec) yield rec;
      else if (bytes.toString('utf8').trim() !== '') stats.malformed++;
    }
  }
}
