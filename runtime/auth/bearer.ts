import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { digestEquals, hashApiKey, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import { authenticateApiKey, KEY_FORMAT, type ProfileScopes } from './keys.ts';
import { assertScopesAllowed, normaliseScopes } from './scopes.ts';
import type { AuthStore } from './store/types.ts';
import type { Connection, Scope } from './types.ts';

/** Bearer credentials besides store API keys: config-defined keys, demo keys, and the one entry point for all kinds. */

// ---- config-defined keys and demo keys ----------------------------------------------------------

/** One entry of config `connections`. */
export interface ConfigConnection {
  id: string;
  key_sha256?: string;
  key_env?: string;
  moodle_token_env?: string;
  moodle_token_file?: string;
  profile: string;
  scopes?: Scope[];
}

/** A config key ready for lookup: the hash of its bearer key and its Moodle token (read once at start). */
export interface ConfigKey {
  id: string;
  keyHash: string;
  profile: string;
  scopes: Scope[];
  moodleToken: string;
}

/** Reads config keys' secrets from the environment / files; throws naming the connection and the missing secret. */
export function resolveConfigKeys(connections: ConfigConnection[], profiles: ProfileScopes, env: NodeJS.ProcessEnv = process.env): ConfigKey[] {
  return connections.map((c, i) => {
    const where = `connections[${i}] (${c.id})`;
    let keyHash: string;
    if (c.key_env) {
      const key = env[c.key_env];
      if (!key) throw new AuthError('config', `${where}: environment variable ${c.key_env} (the bearer key) is not set`);
      keyHash = hashApiKey(key);
    } else if (c.key_sha256 && /^[0-9a-f]{64}$/.test(c.key_sha256)) keyHash = c.key_sha256;
    else throw new AuthError('config', `${where}: set key_env or key_sha256 (64 hex characters)`);
    let token: string | undefined;
    if (c.moodle_token_env) token = env[c.moodle_token_env];
    else if (c.moodle_token_file) {
      try {
        token = readFileSync(c.moodle_token_file, 'utf8');
      } catch (err) {
        throw new AuthError('config', `${where}: cannot read moodle_token_file ${c.moodle_token_file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    token = token?.trim();
    if (!token) throw new AuthError('config', `${where}: the Moodle token (${c.moodle_token_env ?? c.moodle_token_file ?? 'moodle_token_env'}) is empty or not set`);
    const profile = profiles[c.profile];
    if (!profile) throw new AuthError('config', `${where}: unknown profile "${c.profile}"`);
    const scopes = normaliseScopes((c.scopes ?? profile.scopes) as Scope[]);
    assertScopesAllowed(scopes, profile.scopes, c.profile);
    return { id: c.id, keyHash, profile: c.profile, scopes, moodleToken: token };
  });
}

/**
 * Store model of config keys revoked in the administration console, by key hash: the key is refused until the config
 * gives the connection another key (nothing in the config has to change for the refusal to take effect).
 */
export const REVOKED_CONFIG_KEY = 'RevokedConfigKey';

export const DEMO_KEY_ROLES = { 'demo-student': 'student', 'demo-teacher': 'teacher', 'demo-manager': 'manager' } as const;

/** Demo mode: the simulator's seeded users' tokens per role. Demo keys are refused unless this is given and enabled. */
export interface DemoOptions {
  enabled: boolean;
  profile: string;
  scopes: Scope[];
  tokens: { student: string; teacher: string; manager: string };
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  try {
    return ipaddr.process(ip).range() === 'loopback';
  } catch {
    return false;
  }
}

// ---- the bearer entry point ---------------------------------------------------------------------

export interface BearerContext {
  store?: AuthStore;
  keyring?: Keyring;
  configKeys?: ConfigKey[];
  demo?: DemoOptions;
  /** The client IP as srvx's trustProxy decided it (demo keys need loopback). */
  clientIp?: string;
  /** OAuth access tokens (from createOAuth): resolves a token or throws AuthError. */
  oauth?: (token: string) => Promise<Connection | null>;
  now?: Date;
}

/** Extracts the credential of `Authorization: Bearer <token>`; undefined when absent, AuthError when malformed. */
export function parseBearer(header: string | null | undefined): string | undefined {
  if (header === null || header === undefined || header === '') return undefined;
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (!m) throw new AuthError('invalid_request', 'Authorization header: expected "Bearer <token>"');
  return m[1];
}

/**
 * Resolves `Authorization: Bearer …` to a connection: store API keys (`mmcp_…`), config keys, demo keys
 * (only when demo is enabled and the client is on loopback) and OAuth access tokens.
 * Null when there is no credential or it is unknown, revoked or expired (→ 401); AuthError `forbidden` for a demo key
 * off loopback, `invalid_request` for a malformed header.
 */
export async function authenticateBearer(header: string | null | undefined, ctx: BearerContext): Promise<Connection | null> {
  const token = parseBearer(header);
  if (token === undefined) return null;
  const now = ctx.now ?? new Date();
  if (Object.hasOwn(DEMO_KEY_ROLES, token)) {
    if (!ctx.demo?.enabled) return null;
    if (!isLoopback(ctx.clientIp)) throw new AuthError('forbidden', 'demo keys are accepted from loopback only');
    const role = DEMO_KEY_ROLES[token as keyof typeof DEMO_KEY_ROLES];
    return { id: token, authMethod: 'demo', profile: ctx.demo.profile, scopes: [...ctx.demo.scopes], moodleToken: ctx.demo.tokens[role] };
  }
  let hash: string | undefined; // computed once, for config keys and store keys
  if (ctx.configKeys?.length) {
    hash = hashApiKey(token);
    const found = ctx.configKeys.find((k) => digestEquals(k.keyHash, hash!));
    if (found) {
      if (ctx.store && (await ctx.store.oidcFind(REVOKED_CONFIG_KEY, found.keyHash))) return null;
      return { id: found.id, authMethod: 'config-key', profile: found.profile, scopes: [...found.scopes], moodleToken: found.moodleToken };
    }
  }
  if (KEY_FORMAT.test(token)) return ctx.store && ctx.keyring ? authenticateApiKey(token, ctx.store, ctx.keyring, now, hash) : null;
  return ctx.oauth ? ctx.oauth(token) : null;
}
