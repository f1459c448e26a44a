import { AuthError } from '../errors.ts';
import type { ConnectionRecord, PrivacyUser, UserExport } from './types.ts';

/** True when the connection belongs to the person (by Moodle id or username; at least one must be given). */
export function matchesUser(c: ConnectionRecord, user: PrivacyUser): boolean {
  assertUser(user);
  if (!c.moodleUser) return false;
  if (user.id !== undefined && c.moodleUser.id === user.id) return true;
  return user.username !== undefined && c.moodleUser.username === user.username;
}

export function assertUser(user: PrivacyUser): void {
  if (user.id === undefined && user.username === undefined) throw new AuthError('invalid_request', 'user: give id or username');
  if (user.id !== undefined && !Number.isInteger(user.id)) throw new AuthError('invalid_request', 'user.id must be an integer');
}

/** A connection without its secrets (for export and listing). */
export function publicConnection(c: ConnectionRecord): UserExport['connections'][number] {
  const { moodleTokenEnc: _t, keyHash: _h, ...rest } = c;
  return rest;
}
