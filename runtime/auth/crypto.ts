import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthError } from './errors.ts';

/**
 * Moodle tokens at rest: AES-256-GCM, 96-bit random IV, 128-bit tag.
 * Ciphertext format: `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts), where kid is derived from the key,
 * so a rotated key can still decrypt old rows while new rows name the new key.
 */
export interface EncryptionKey {
  /** 8 hex chars derived from the key: identifies the key in ciphertexts without revealing it. */
  id: string;
  key: Buffer;
}

/** The current key encrypts; every key in `previous` can still decrypt (key rotation). */
export interface Keyring {
  current: EncryptionKey;
  previous?: EncryptionKey[];
}

const VERSION = 'v1';

/** Builds a key from 32 raw bytes. */
export function encryptionKey(raw: Buffer): EncryptionKey {
  if (raw.length !== 32) throw new AuthError('config', `encryption key must be 32 bytes (got ${raw.length})`);
  return { id: createHash('sha256').update('moodle-mcp key id').update(raw).digest('hex').slice(0, 8), key: Buffer.from(raw) };
}

/** Decodes a base64 (or base64url) 32-byte key; `source` names where it came from in error messages. */
export function parseEncryptionKey(text: string, source: string): EncryptionKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new AuthError('config', `${source}: encryption key must be base64 (e.g. \`openssl rand -base64 32\`)`);
  const raw = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (raw.length !== 32) throw new AuthError('config', `${source}: encryption key must decode to 32 bytes, got ${raw.length} (use \`openssl rand -base64 32\`)`);
  return encryptionKey(raw);
}

/**
 * Loads the key ring: from the environment variable `envName` (base64) or, if unset, from `file`.
 * Previous keys for rotation come from `${envName}_PREVIOUS` (comma-separated base64). Throws when no key is configured.
 */
export function loadKeyring(options: { envName?: string; file?: string; env?: NodeJS.ProcessEnv }): Keyring {
  const env = options.env ?? process.env;
  const envName = options.envName ?? 'MOODLE_MCP_ENCRYPTION_KEY';
  let current: EncryptionKey;
  if (env[envName]) current = parseEncryptionKey(env[envName]!, `environment variable ${envName}`);
  else if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new AuthError('config', `secrets.encryption_key_file: cannot read ${options.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    current = parseEncryptionKey(text, `secrets.encryption_key_file ${options.file}`);
  } else {
    throw new AuthError('config', `no encryption key for Moodle tokens at rest: set ${envName} (openssl rand -base64 32) or secrets.encryption_key_file`);
  }
  const previous = (env[`${envName}_PREVIOUS`] ?? '')
    .split(',')
    .filter((s) => s.trim())
    .map((s, i) => parseEncryptionKey(s, `environment variable ${envName}_PREVIOUS[${i}]`));
  return { current, previous };
}

/**
 * The key ring the config names (`secrets.encryption_key_env`, else `secrets.encryption_key_file`), see {@link loadKeyring}.
 * When neither is set and `devKeyFile` is given (simulator mode only), the development key in that file, created if missing.
 */
export function keyringFromConfig(
  config: { secrets: { encryption_key_env: string; encryption_key_file?: string } },
  env: NodeJS.ProcessEnv,
  options: { devKeyFile?: string } = {},
): Keyring {
  const { encryption_key_env: envName, encryption_key_file: file } = config.secrets;
  if (options.devKeyFile && !env[envName] && !file) return { current: loadOrCreateKeyFile(options.devKeyFile) };
  return loadKeyring({ envName, file, env });
}

/**
 * Development convenience (simulator / demo mode only): reads `path`, or creates it (mode 0600) with a new random key.
 * A key kept beside the data it protects is no protection at rest: production sets the environment variable or a secret file.
 */
export function loadOrCreateKeyFile(path: string): EncryptionKey {
  try {
    return parseEncryptionKey(readFileSync(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const raw = randomBytes(32);
  writeFileSync(path, raw.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return encryptionKey(raw);
}

const b64u = (b: Buffer) => b.toString('base64url');

/** Encrypts `plaintext`; `context` (e.g. the connection id) is bound as associated data and must be given again to decrypt. */
export function encryptSecret(keyring: Keyring, plaintext: string, context = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv);
  cipher.setAAD(Buffer.from(`${VERSION}.${keyring.current.id}.${context}`));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, keyring.current.id, b64u(iv), b64u(ct), b64u(cipher.getAuthTag())].join('.');
}

/** Decrypts a value from {@link encryptSecret}; throws AuthError('crypto') on an unknown key, tampering or a wrong context. */
export function decryptSecret(keyring: Keyring, sealed: string, context = ''): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new AuthError('crypto', 'encrypted secret has an unknown format');
  const [, kid, iv, ct, tag] = parts;
  const key = [keyring.current, ...(keyring.previous ?? [])].find((k) => k.id === kid);
  if (!key) throw new AuthError('crypto', `encrypted secret uses key ${kid}, which is not configured (key rotated away?)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new AuthError('crypto', 'encrypted secret failed authentication (tampered, or bound to another record)');
  }
}

/** Lower-case hex SHA-256 of an API key (what the store and config `key_sha256` hold). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function digestEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A random identifier: `prefix` + 16 random bytes in base64url (no padding). */
export function randomId(prefix = ''): string {
  return prefix + randomBytes(16).toString('base64url');
}

/** A random token of `bytes` bytes in base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
