import { randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditError } from './errors.ts';
import { matchesSubject, type AuditSubject } from './export.ts';
import { listAuditFiles, withFileLock } from './files.ts';
import { parseAuditLine, readAuditRecords, readRawLines } from './read.ts';
import type { AuditRecord } from './types.ts';

/** What the store (runtime/auth) provides for GDPR requests; injected so this module stays testable. */
export interface PrivacyStore {
  exportUser(user: AuditSubject): Promise<unknown>;
  /** Deletes everything about the person; returns how many records were removed. */
  eraseUser(user: AuditSubject): Promise<number>;
}

/** Where records go: usually an Audit instance. */
export interface AuditRecorder {
  record(rec: AuditRecord): void;
}

function assertSubject(subject: AuditSubject): void {
  if (subject.id === undefined && (subject.username === undefined || subject.username === '')) {
    throw new AuditError('--user: give a Moodle user id or username');
  }
  if (subject.id !== undefined && !(Number.isInteger(subject.id) && subject.id > 0)) throw new AuditError('--user: user id must be a positive integer');
}

/** Usernames/ids the store links to the person (e.g. an id-only request also finds the username). */
function relatedSubjects(subject: AuditSubject, storeData: unknown): AuditSubject[] {
  const out: AuditSubject[] = [subject];
  const connections = (storeData as { connections?: unknown })?.connections;
  if (!Array.isArray(connections)) return out;
  for (const c of connections) {
    const user = (c as { moodleUser?: { id?: unknown; username?: unknown } })?.moodleUser;
    if (!user) continue;
    out.push({
      ...(typeof user.id === 'number' ? { id: user.id } : {}),
      ...(typeof user.username === 'string' && user.username ? { username: user.username } : {}),
    });
  }
  return out;
}

function matchesAny(rec: AuditRecord, subjects: AuditSubject[]): boolean {
  return subjects.some((s) => matchesSubject(rec, s));
}

/** A malformed line (cut by a crash) is treated as the person's if it mentions their id or username field. */
function rawMentions(line: string, subjects: AuditSubject[]): boolean {
  return subjects.some(
    (s) =>
      (s.id !== undefined && new RegExp(`"moodle_user_id":${s.id}(?!\\d)`).test(line)) ||
      (s.username !== undefined && line.includes(`"moodle_username":${JSON.stringify(s.username)}`)),
  );
}

export interface PrivacyExport {
  subject: AuditSubject;
  generated_at: string;
  audit_files: string[];
  audit_records: AuditRecord[];
  store: unknown;
}

export interface PrivacyOptions {
  /** The audit file sink's path (rotated files included); omit when there is no file sink. */
  auditFile?: string;
  store?: PrivacyStore;
  /** Receives the privacy.export / privacy.erase record. */
  audit?: AuditRecorder;
  now?: () => Date;
}

/**
 * GDPR export: the person's audit records (file sink and rotated files) and what the store holds about them.
 * Records a `privacy.export` audit event naming the subject (a later erase removes that record too).
 */
export async function exportUserData(subject: AuditSubject, options: PrivacyOptions): Promise<PrivacyExport> {
  assertSubject(subject);
  const now = options.now ?? (() => new Date());
  const store = options.store ? await options.store.exportUser(subject) : null;
  const subjects = relatedSubjects(subject, store);
  const files = options.auditFile ? await listAuditFiles(options.auditFile) : [];
  const records: AuditRecord[] = [];
  for await (const rec of readAuditRecords(files)) if (matchesAny(rec, subjects)) records.push(rec);
  options.audit?.record({
    event: 'privacy.export',
    timestamp: now().toISOString(),
    request_id: randomUUID(),
    auth_method: 'cli',
    ...(subject.id !== undefined ? { moodle_user_id: subject.id } : {}),
    ...(subject.username !== undefined ? { moodle_username: subject.username } : {}),
    decision: 'allowed',
    detail: `audit_records=${records.length}; store=${store === null ? 'none' : 'included'}`,
  });
  return { subject, generated_at: now().toISOString(), audit_files: files, audit_records: records, store };
}

export interface EraseResult {
  /** Reference printed to the operator and recorded as request_id of the privacy.erase record. */
  reference: string;
  audit_records_removed: number;
  files_rewritten: string[];
  store_records_removed: number | null;
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* some platforms cannot fsync a directory */
  }
}

/**
 * Rewrites one file without the person's lines: kept lines are copied byte for byte into a temp file that is
 * fsynced and renamed over the original (atomic). Untouched when nothing matches. Returns lines removed.
 */
async function rewriteWithout(file: string, subjects: AuditSubject[]): Promise<number> {
  const temp = `${file}.erase-${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
  const handle = await open(temp, 'wx', 0o640);
  let removed = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const drain = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      let offset = 0;
      while (offset < data.length) offset += (await handle.write(data, offset, data.length - offset)).bytesWritten;
    };
    for await (const { bytes, terminated } of readRawLines(file)) {
      const line = bytes.toString('utf8');
      const rec = parseAuditLine(line);
      if (rec ? matchesAny(rec, subjects) : rawMentions(line, subjects)) {
        removed++;
        continue;
      }
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (terminated) {
        pending.push(Buffer.from('\n'));
        pendingBytes++;
      }
      if (pendingBytes > 1 << 20) await drain();
    }
    await drain();
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (removed === 0) {
    await unlink(temp);
    return 0;
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dirname(file));
  return removed;
}

/**
 * GDPR erasure: removes every audit record of the person from the file sink and its rotated files (atomic
 * rewrite per file, under the sink's lock file so a running gateway waits instead of losing lines) and calls
 * `store.eraseUser`. Everyone else's lines stay byte-identical. Records a `privacy.erase` event that holds no
 * identity of the person: only a random reference (returned, for the operator's request ticket) and counts.
 */
export async function eraseUserData(subject: AuditSubject, options: PrivacyOptions & { lockWaitMs?: number }): Promise<EraseResult> {
  assertSubject(subject);
  const now = options.now ?? (() => new Date());
  const reference = randomUUID();
  // Ask the store first who the person is (an id also erases records carrying only their username).
  const storeData = options.store ? await options.store.exportUser(subject) : null;
  const subjects = relatedSubjects(subject, storeData);
  let removed = 0;
  const rewritten: string[] = [];
  if (options.auditFile && (await listAuditFiles(options.auditFile)).length > 0) {
    const path = options.auditFile;
    await withFileLock(
      path,
      async (touch) => {
        for (const file of await listAuditFiles(path)) {
          const n = await rewriteWithout(file, subjects);
          if (n > 0) rewritten.push(file);
          removed += n;
          await touch();
        }
      },
      { waitMs: options.lockWaitMs ?? 30_000 },
    );
  }
  const storeRemoved = options.store ? await options.store.eraseUser(subject) : null;
  options.audit?.record({
    event: 'privacy.erase',
    timestamp: now().toISOString(),
    request_id: reference,
    auth_method: 'cli',
    decision: 'allowed',
    detail: `audit_records_removed=${removed}; files_rewritten=${rewritten.length}; store_records_removed=${storeRemoved ?? 'no store'}`,
  });
  return { reference, audit_records_removed: removed, files_rewritten: rewritten, store_records_removed: storeRemoved };
}
