import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { AuditError } from './errors.ts';
import { readAuditRecords } from './read.ts';
import { AUDIT_FIELDS } from './sanitize.ts';
import type { AuditDecision, AuditRecord } from './types.ts';

/** A person, by Moodle user id and/or username; a record matches if either equals. */
export interface AuditSubject {
  id?: number;
  username?: string;
}

export interface AuditFilter {
  since?: Date;
  until?: Date;
  user?: AuditSubject;
  decision?: AuditDecision;
  /** Exact connection id. */
  connection?: string;
  /** Exact Moodle function name. */
  moodleFunction?: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `--since`/`--until`: an ISO 8601 date or date-time, or a duration before `now` like `30m`, `24h`, `7d`.
 * Throws AuditError naming the option.
 */
export function parseTime(value: string, option: string, now: Date = new Date()): Date {
  const relative = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]]);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const ms = Date.parse(value.trim());
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new AuditError(`${option}: expected an ISO date/time (2026-01-31T08:00:00Z) or a duration like 30m, 24h, 7d; got ${JSON.stringify(value)}`);
}

/** `--user`: digits = Moodle user id, anything else = username. */
export function parseSubject(value: string, option = '--user'): AuditSubject {
  const v = value.trim();
  if (v === '') throw new AuditError(`${option}: must be a Moodle username or numeric user id`);
  return /^\d+$/.test(v) ? { id: Number(v) } : { username: v };
}

export function matchesSubject(rec: AuditRecord, subject: AuditSubject): boolean {
  return (
    (subject.id !== undefined && rec.moodle_user_id === subject.id) ||
    (subject.username !== undefined && rec.moodle_username === subject.username)
  );
}

export function matchesFilter(rec: AuditRecord, filter: AuditFilter): boolean {
  if (filter.since || filter.until) {
    const t = Date.parse(rec.timestamp);
    if (Number.isNaN(t)) return false;
    if (filter.since && t < filter.since.getTime()) return false;
    if (filter.until && t > filter.until.getTime()) return false;
  }
  if (filter.decision && rec.decision !== filter.decision) return false;
  if (filter.user && !matchesSubject(rec, filter.user)) return false;
  if (filter.connection !== undefined && rec.connection_id !== filter.connection) return false;
  if (filter.moodleFunction !== undefined && rec.moodle_function !== filter.moodleFunction) return false;
  return true;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: arrays joined with ";", formula-looking text prefixed with "'", quoted per RFC 4180 when needed. */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(';') : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Header row (fixed column order: every AuditRecord field), CRLF-terminated. */
export function csvHeader(): string {
  return `${AUDIT_FIELDS.join(',')}\r\n`;
}

/** One record as a CSV row in the header's column order, CRLF-terminated. */
export function csvRow(rec: AuditRecord): string {
  return `${AUDIT_FIELDS.map((field) => csvCell((rec as unknown as Record<string, unknown>)[field])).join(',')}\r\n`;
}

export interface ExportOptions extends AuditFilter {
  /** The file sink's path; its rotated files are read too. */
  file: string;
  format: 'csv' | 'jsonl';
  out: Writable;
  /** Prefix CSV with a UTF-8 byte order mark (Excel needs it to read non-ASCII names). */
  bom?: boolean;
}

async function put(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return;
  // A destroyed stream never drains; once() rejects when the stream fails while we wait.
  if (out.destroyed) throw out.errored ?? new Error('output closed before the export finished');
  await once(out, 'drain');
}

/** Streams the matching records to `out`; returns how many were written and how many lines were malformed. */
export async function exportAudit(options: ExportOptions): Promise<{ records: number; malformed: number }> {
  if (options.format !== 'csv' && options.format !== 'jsonl') throw new AuditError(`--format: must be csv or jsonl`);
  const stats = { malformed: 0 };
  let records = 0;
  if (options.format === 'csv') await put(options.out, (options.bom ? '\ufeff' : '') + csvHeader());
  for await (const rec of readAuditRecords(options.file, stats)) {
    if (!matchesFilter(rec, options)) continue;
    records++;
    await put(options.out, options.format === 'csv' ? csvRow(rec) : `${JSON.stringify(rec)}\n`);
  }
  return { records, malformed: stats.malformed };
}
