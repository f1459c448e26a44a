import type { Writable } from 'node:stream';
import type { AuditRecord } from '../audit/types.ts';
import type { GatewayConfig } from '../config/index.ts';
import { keyringFromConfig, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import type { GetSiteInfo } from './moodle-user.ts';
import { openStore } from './store/index.ts';
import type { AuthStore, ConnectionRecord } from './store/types.ts';

/** What `keys` and `connections` need; tests inject every part. */
export interface AuthCliDeps {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
  config?: GatewayConfig;
  store?: AuthStore;
  keyring?: Keyring;
  getSiteInfo?: GetSiteInfo;
  /** Where auth.key.* / auth.token.revoked records go; default: the config's audit sinks except stdout (none → not recorded). */
  audit?: { record(rec: AuditRecord): void; close?(): Promise<void> };
}

/** The CLI's audit trail: the config's sinks except stdout (the operator's terminal, not the gateway's log stream). */
export async function cliAudit(deps: AuthCliDeps, config: GatewayConfig): Promise<{ record(rec: AuditRecord): void; close(): Promise<void> }> {
  if (deps.audit) return { record: (r) => deps.audit!.record(r), close: async () => undefined };
  const sinks = config.audit.sinks.filter((s) => s.type !== 'stdout');
  if (sinks.length === 0 && !config.audit.webhook) return { record: () => undefined, close: async () => undefined };
  const { createAudit } = await import('../audit/logger.ts');
  const audit = createAudit({ sinks, failClosed: false, bufferSize: 100, webhook: config.audit.webhook, env: deps.env ?? process.env });
  return { record: (r) => audit.record(r), close: () => audit.close() };
}

export async function cliConfig(deps: AuthCliDeps, path: string | undefined): Promise<GatewayConfig> {
  if (deps.config) return deps.config;
  const { loadConfig } = await import('../config/index.ts');
  return loadConfig(path, deps.env ?? process.env);
}

/** Opens the configured store (the caller closes it unless it was injected). */
export async function cliStore(deps: AuthCliDeps, config: GatewayConfig): Promise<{ store: AuthStore; own: boolean }> {
  if (deps.store) return { store: deps.store, own: false };
  return { store: await openStore(config.store, deps.env ?? process.env), own: true };
}

export function cliKeyring(deps: AuthCliDeps, config: GatewayConfig): Keyring {
  return deps.keyring ?? keyringFromConfig(config, deps.env ?? process.env);
}

/** The Moodle check for the configured site; refuses simulator mode (no URL): a key must be checked against a real Moodle. */
export async function cliGetSiteInfo(deps: AuthCliDeps, config: GatewayConfig): Promise<GetSiteInfo> {
  if (deps.getSiteInfo) return deps.getSiteInfo;
  const url = (deps.env ?? process.env).MOODLE_URL || config.moodle.url;
  if (!url) throw new AuthError('config', 'moodle.url is empty (simulator mode): API keys are for a real Moodle site; the demo keys cover the simulator');
  const { createMoodleClient } = await import('../moodle/client.ts');
  const client = createMoodleClient({ url, timeoutMs: config.moodle.timeout_ms, service: config.moodle.service });
  return (token) => client.getSiteInfo(token);
}

/** A fixed-width table of connections, no secrets. */
export function connectionsTable(rows: ConnectionRecord[]): string {
  const header = ['ID', 'KIND', 'NAME/CLIENT', 'PREFIX', 'MOODLE USER', 'PROFILE', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'];
  const lines = rows.map((c) => [
    c.id,
    c.kind,
    c.name ?? c.client?.name ?? c.client?.id ?? '',
    c.keyPrefix ?? '',
    c.moodleUser ? `${c.moodleUser.username} (${c.moodleUser.id})` : '',
    c.profile,
    c.scopes.join(','),
    c.createdAt.slice(0, 19) + 'Z',
    c.lastUsedAt ? c.lastUsedAt.slice(0, 19) + 'Z' : 'never',
    c.expiresAt ? c.expiresAt.slice(0, 19) + 'Z' : 'never',
    c.revokedAt ? c.revokedAt.slice(0, 19) + 'Z' : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((l) => l.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** Prints an error the CLI way; returns the exit code (2 for usage errors, 1 otherwise). */
export function cliError(error: unknown, stderr: Writable, usage: string): number {
  const e = error as Error & { code?: string };
  if (e?.name === 'UsageError' || e?.code === 'invalid_request' || (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
    stderr.write(`${e.message}\n\n${usage}\n`);
    return 2;
  }
  stderr.write(`${e?.message ?? String(error)}\n`);
  return 1;
}
