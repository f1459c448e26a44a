import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { decryptSecret, digestEquals, encryptSecret, hashApiKey, randomId, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import { checkMoodleToken, type GetSiteInfo } from './moodle-user.ts';
import { assertScopesAllowed, normaliseScopes } from './scopes.ts';
import type { AuthStore, ConnectionRecord } from './store/types.ts';
import type { Connection, Scope } from './types.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_FORMAT = /^mmcp_([A-Za-z0-9]{8})_([A-Za-z0-9]{40})$/;
/** last-used time is written at most this often per connection (a write per request would be wasteful). */
const TOUCH_EVERY_MS = 60_000;

function randomAlnum(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** Profiles as in the config: only their permitted scopes matter here. */
export type ProfileScopes = Record<string, { scopes: readonly string[] }>;

export interface CreateApiKeyInput {
  store: AuthStore;
  keyring: Keyring;
  name: string;
  profile: string;
  profiles: ProfileScopes;
  /** Default: api.read. */
  scopes?: Scope[];
  moodleToken: string;
  getSiteInfo: GetSiteInfo;
  allowSiteAdmin: boolean;
  expiresAt?: Date;
  now?: Date;
}

/**
 * Creates an API key (`mmcp_<8 chars>_<40 chars>`, ~238 random bits) bound to a Moodle token, after checking the token
 * with Moodle (site administrators refused unless allowed). Returns the key — shown once, never stored — and the record
 * (SHA-256 hash, display prefix, sealed Moodle token).
 */
export async function createApiKey(input: CreateApiKeyInput): Promise<{ key: string; record: ConnectionRecord }> {
  const name = input.name?.trim();
  if (!name || name.length > 100) throw new AuthError('invalid_request', '--name: required, at most 100 characters');
  const profile = input.profiles[input.profile];
  if (!profile) throw new AuthError('invalid_request', `--profile: unknown profile "${input.profile}" (defined: ${Object.keys(input.profiles).join(', ') || 'none'})`);
  const scopes = normaliseScopes(input.scopes ?? ['api.read']);
  assertScopesAllowed(scopes, profile.scopes, input.profile);
  const token = input.moodleToken?.trim();
  if (!token) throw new AuthError('invalid_request', 'the Moodle token is empty');
  const moodleUser = await checkMoodleToken(input.getSiteInfo, token, input.allowSiteAdmin);
  const now = input.now ?? new Date();
  if (input.expiresAt && input.expiresAt <= now) throw new AuthError('invalid_request', '--expires: must be in the future');

  const prefix = randomAlnum(8);
  const key = `mmcp_${prefix}_${randomAlnum(40)}`;
  const id = randomId('key_');
  const record: ConnectionRecord = {
    id,
    kind: 'apikey',
    name,
    profile: input.profile,
    scopes,
    keyHash: hashApiKey(key),
    keyPrefix: `mmcp_${prefix}`,
    moodleTokenEnc: encryptSecret(input.keyring, token, id),
    moodleUser,
    createdAt: now.toISOString(),
  };
  if (input.expiresAt) record.expiresAt = input.expiresAt.toISOString();
  await input.store.createConnection(record);
  return { key, record };
}

/** Opens a stored connection into the runtime Connection (decrypting its Moodle token); null if revoked or expired. */
export function openConnection(record: ConnectionRecord, keyring: Keyring, now = new Date()): Connection | null {
  if (record.revokedAt || !record.moodleTokenEnc) return null;
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return null;
  const connection: Connection = {
    id: record.id,
    authMethod: record.kind === 'apikey' ? 'apikey' : 'oauth',
    profile: record.profile,
    scopes: [...record.scopes],
    moodleToken: decryptSecret(keyring, record.moodleTokenEnc, record.id),
    createdAt: record.createdAt,
  };
  if (record.moodleUser) connection.moodleUser = { ...record.moodleUser };
  if (record.client) connection.client = { id: record.client.id, ...(record.client.name ? { name: record.client.name } : {}) };
  if (record.lastUsedAt) connection.lastUsedAt = record.lastUsedAt;
  if (record.expiresAt) connection.expiresAt = record.expiresAt;
  return connection;
}

/** Records use without a write per request (at most one per minute per connection; failures are ignored). */
export function touchLastUsed(store: AuthStore, record: Pick<ConnectionRecord, 'id' | 'lastUsedAt'>, now = new Date()): void {
  if (record.lastUsedAt && now.getTime() - Date.parse(record.lastUsedAt) < TOUCH_EVERY_MS) return;
  store.touchConnection(record.id, now).catch(() => undefined);
}

/** Looks up a store API key; null for anything that is not a live key. */
export async function authenticateApiKey(key: string, store: AuthStore, keyring: Keyring, now = new Date()): Promise<Connection | null> {
  if (!KEY_FORMAT.test(key)) return null;
  const record = await store.findConnectionByKeyHash(hashApiKey(key));
  if (!record || record.kind !== 'apikey' || !digestEquals(record.keyHash ?? '', hashApiKey(key))) return null;
  const connection = openConnection(record, keyring, now);
  if (connection) touchLastUsed(store, record, now);
  return connection;
}

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
  if (token in DEMO_KEY_ROLES) {
    if (!ctx.demo?.enabled) return null;
    if (!isLoopback(ctx.clientIp)) throw new AuthError('forbidden', 'demo keys are accepted from loopback only');
    const role = DEMO_KEY_ROLES[token as keyof typeof DEMO_KEY_ROLES];
    return { id: token, authMethod: 'demo', profile: ctx.demo.profile, scopes: [...ctx.demo.scopes], moodleToken: ctx.demo.tokens[role] };
  }
  if (ctx.configKeys?.length) {
    const hash = hashApiKey(token);
    const found = ctx.configKeys.find((k) => digestEquals(k.keyHash, hash));
    if (found) return { id: found.id, authMethod: 'config-key', profile: found.profile, scopes: [...found.scopes], moodleToken: found.moodleToken };
  }
  if (KEY_FORMAT.test(token)) return ctx.store && ctx.keyring ? authenticateApiKey(token, ctx.store, ctx.keyring, now) : null;
  return ctx.oauth ? ctx.oauth(token) : null;
}
