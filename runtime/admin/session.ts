import { createHmac } from 'node:crypto';
import { digestEquals } from '../auth/crypto.ts';

/** Who is signed in to the console: a Moodle site administrator (by username) or the operator key. */
export interface AdminSession {
  who: string;
  method: 'moodle' | 'operator';
  /** Expiry, epoch seconds. */
  exp: number;
}

/** `<payload b64url>.<hmac>`: the console session lives in its cookie only (nothing kept on the server). */
export function sealAdminSession(key: Buffer, session: AdminSession): string {
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The session of a cookie value; null when missing, forged, malformed or expired. */
export function openAdminSession(key: Buffer, value: string | undefined, nowMs = Date.now()): AdminSession | null {
  const [body, mac, extra] = value?.split('.') ?? [];
  if (!body || !mac || extra !== undefined) return null;
  if (!digestEquals(mac, createHmac('sha256', key).update(body).digest('base64url'))) return null;
  try {
    const s = JSON.parse(Buffer.from(body, 'base64url').toString()) as AdminSession;
    if (typeof s.who !== 'string' || (s.method !== 'moodle' && s.method !== 'operator') || typeof s.exp !== 'number') return null;
    return s.exp * 1000 > nowMs ? s : null;
  } catch {
    return null;
  }
}
