import { createHash } from 'node:crypto';

/** Identifies a Moodle token in cache keys without keeping it (a SHA-256 prefix): caches are never keyed by the token itself. */
export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}
