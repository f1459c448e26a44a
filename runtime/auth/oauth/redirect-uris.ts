import { isLoopbackHostname } from '../../http/guards.ts';

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:']);

/**
 * Why a client's redirect URI is not acceptable under OAuth 2.1, or undefined when it is:
 * https anywhere, http only on loopback (native apps, RFC 8252), or a private-use scheme (`cursor://…`, `com.example.app:/cb`);
 * never a fragment.
 */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return 'must be a string';
  const url = URL.parse(uri);
  if (!url) return `"${uri}" is not an absolute URI`;
  if (url.hash || uri.includes('#')) return `"${uri}" must not contain a fragment`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackHostname(url.hostname) ? undefined : `"${uri}": plain http is only allowed on loopback (127.0.0.1, [::1], localhost); use https`;
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `"${uri}": the ${url.protocol} scheme is not allowed`;
  return undefined;
}
