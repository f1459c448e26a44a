import type { CliDeps } from '../cli/support.ts';
import type { GatewayConfig } from '../config/index.ts';
import { keyringFromConfig, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import type { GetSiteInfo } from './moodle-user.ts';
import type { FetchLike } from '../moodle/http.ts';
import type { AuthStore, ConnectionRecord } from './store/types.ts';

/** What `keys` and `connections` need besides the common parts; tests inject every part. */
export interface AuthCliDeps extends CliDeps {
  store?: AuthStore;
  keyring?: Keyring;
  getSiteInfo?: GetSiteInfo;
  /** Transport to Moodle (tests pass the simulator's fetch). */
  moodleFetch?: FetchLike;
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
