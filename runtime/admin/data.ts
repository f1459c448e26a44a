import { existsSync } from 'node:fs';
import { matchesFilter, type AuditFilter } from '../audit/export.ts';
import { readAuditRecords } from '../audit/read.ts';
import type { AuditRecord } from '../audit/types.ts';
import type { ConnectionRecord } from '../auth/store/types.ts';
import type { Scope } from '../auth/types.ts';

/** One row of the console's connection list, whatever its kind. */
export interface ConnectionRow {
  id: string;
  kind: 'oauth' | 'apikey' | 'config';
  name: string;
  profile: string;
  scopes: Scope[];
  client?: string;
  owner?: string;
  createdAt?: string;
  lastUsedAt?: string;
  expiresAt?: string;
  /** tools/call records and denials of the last 24 hours (undefined without a file sink to read). */
  calls?: number;
  denials?: number;
}

const DAY_MS = 86_400_000;

/** Calls and denials per connection id since `since`, from the audit file sink (its rotated files too). */
export async function usageByConnection(file: string | undefined, since: Date): Promise<Map<string, { calls: number; denials: number }> | undefined> {
  if (!file || !existsSync(file)) return file ? new Map() : undefined;
  const usage = new Map<string, { calls: number; denials: number }>();
  for await (const rec of readAuditRecords(file)) {
    if (!rec.connection_id || rec.event !== 'tools/call' || Date.parse(rec.timestamp) < since.getTime()) continue;
    const u = usage.get(rec.connection_id) ?? { calls: 0, denials: 0 };
    u.calls++;
    if (rec.decision === 'denied') u.denials++;
    usage.set(rec.connection_id, u);
  }
  return usage;
}

/** Every live connection: store grants and keys, then config keys; with their use in the last day. */
export async function connectionRows(
  stored: ConnectionRecord[],
  config: { id: string; profile: string; scopes: Scope[] }[],
  auditFile: string | undefined,
  now = new Date(),
): Promise<ConnectionRow[]> {
  const usage = await usageByConnection(auditFile, new Date(now.getTime() - DAY_MS));
  const used = (id: string) => (usage ? (usage.get(id) ?? { calls: 0, denials: 0 }) : {});
  return [
    ...stored.map((c) => ({
      id: c.id,
      kind: c.kind,
      name: c.name ?? c.client?.name ?? c.id,
      profile: c.profile,
      scopes: c.scopes,
      client: c.kind === 'oauth' ? (c.client?.name ?? c.client?.id) : c.keyPrefix,
      owner: c.moodleUser?.username,
      createdAt: c.createdAt,
      lastUsedAt: c.lastUsedAt,
      expiresAt: c.expiresAt,
      ...used(c.id),
    })),
    ...config.map((c) => ({ id: c.id, kind: 'config' as const, name: c.id, profile: c.profile, scopes: c.scopes, ...used(c.id) })),
  ];
}

/** The newest `limit` records matching `filter`, newest first, and whether older ones were left out. */
export async function latestRecords(file: string, filter: AuditFilter, limit: number): Promise<{ records: AuditRecord[]; more: boolean }> {
  if (!existsSync(file)) return { records: [], more: false };
  const kept: AuditRecord[] = [];
  let matched = 0;
  for await (const rec of readAuditRecords(file)) {
    if (!matchesFilter(rec, filter)) continue;
    matched++;
    kept.push(rec);
    if (kept.length > limit) kept.shift();
  }
  return { records: kept.reverse(), more: matched > limit };
}
