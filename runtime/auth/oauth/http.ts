import { readTextCapped } from '../../shared/read-capped.ts';
import { digestEquals, randomToken } from '../crypto.ts';
import { localeFromAcceptLanguage } from '../../i18n/locales.ts';
import { translator } from '../../i18n/translate.ts';
import { messagePage, pageHeaders } from './pages.ts';

/** Small web-standard helpers for the auth pages: cookies, forms, CSRF (double-submit cookie), responses. */

/** The value of cookie `name`; undefined when absent or not percent-decodable (a garbled cookie is no cookie). */
export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function cookieHeader(name: string, value: string, o: { secure: boolean; maxAge?: number; sameSite?: 'Strict' | 'Lax' }): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    `SameSite=${o.sameSite ?? 'Strict'}`,
    ...(o.secure ? ['Secure'] : []),
    ...(o.maxAge !== undefined ? [`Max-Age=${o.maxAge}`] : []),
  ].join('; ');
}

const MAX_FORM = 16 * 1024;

/**
 * Parses an application/x-www-form-urlencoded body: null for another type, a 413 page (to send as is) for a body
 * over 16 KiB, which is not read further.
 */
export async function readForm(request: Request): Promise<URLSearchParams | Response | null> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return null;
  const text = await readTextCapped(request.body, request.headers.get('content-length'), MAX_FORM);
  if (text !== undefined) return new URLSearchParams(text);
  const t = translator(localeFromAcceptLanguage(request.headers.get('accept-language')));
  const response = htmlResponse(messagePage({ t }, t('page.tooLargeTitle'), t('page.tooLarge')), { status: 413 });
  response.headers.set('connection', 'close');
  return response;
}

/** The CSRF token for this browser: the existing cookie, or a new one (with the Set-Cookie to send). */
export function csrfToken(request: Request, cookieName: string, secure: boolean): { token: string; setCookie?: string } {
  const existing = readCookie(request, cookieName);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { token: existing };
  const token = randomToken();
  return { token, setCookie: cookieHeader(cookieName, token, { secure }) };
}

/** True when the form's csrf field equals the browser's CSRF cookie. */
export function csrfValid(request: Request, form: URLSearchParams, cookieName: string): boolean {
  const cookie = readCookie(request, cookieName);
  const field = form.get('csrf');
  return !!cookie && !!field && digestEquals(cookie, field);
}

export function htmlResponse(html: string, o: { status?: number; setCookie?: (string | undefined)[]; formTargets?: string[] } = {}): Response {
  const headers = pageHeaders(o.formTargets);
  for (const c of o.setCookie ?? []) if (c) headers.append('set-cookie', c);
  return new Response(html, { status: o.status ?? 200, headers });
}

export function redirectResponse(location: string, setCookie: (string | undefined)[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const c of setCookie) if (c) headers.append('set-cookie', c);
  return new Response(null, { status: 303, headers });
}

export function jsonResponse(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'access-control-allow-origin': '*', ...extra },
  });
}
