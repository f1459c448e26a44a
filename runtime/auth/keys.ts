import { randomInt } from 'node:crypto';
import { decryptSecret, encryptSecret, hashApiKey, randomId, type Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import { checkMoodleToken, type GetSiteInfo } from './moodle-user.ts';
import { assertScopesAllowed, normaliseScopes } from './scopes.ts';
import type { AuthStore, ConnectionRecord } from './store/types.ts';
import type { Connection, Scope } from './types.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_FORMAT = /^mmcp_([A-Za-z0-9]{8})_([A-Za-z0-9]{40})$/;
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
  const moodleUser = await checkMoodleToken(input.getSiteInfo, token, input.allowSiteAdmin, 'moodle.allow_site_admin_tokens');
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

/**
 * Looks up a store API key; null for anything that is not a live key. `keyHash` is `hashApiKey(key)` when the caller
 * already has it (the store matches it exactly).
 */
export async function authenticateApiKey(key: string, store: AuthStore, keyring: Keyring, now = new Date(), keyHash = hashApiKey(key)): Promise<Connection | null> {
  if (!KEY_FORMAT.test(key)) return null;
  const record = await store.findConnectionByKeyHash(keyHash);
  if (!record || record.kind !== 'apikey') return null;
  const connection = openConnection(record, keyring, now);
  if (connection) touchLastUsed(store, record, now);
  return connection;
}

