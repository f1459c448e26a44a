import { readCookie } from '../auth/oauth/http.ts';
import { isLocale, localeFromAcceptLanguage, type Locale } from './locales.ts';

/** Cookie that keeps the language chosen with the switcher (not a secret; readable only by the server). */
export const LANG_COOKIE = 'mmcp-lang';
const YEAR = 365 * 24 * 3600;

/**
 * The language of a page: `?lang=` (the switcher; remembered in a cookie, returned as `setCookie`), else the cookie,
 * else the browser's `Accept-Language`, else English.
 */
export function pageLocale(request: Request, secure: boolean): { locale: Locale; setCookie?: string } {
  const asked = new URL(request.url).searchParams.get('lang');
  if (isLocale(asked))
    return { locale: asked, setCookie: `${LANG_COOKIE}=${asked}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${YEAR}${secure ? '; Secure' : ''}` };
  const kept = readCookie(request, LANG_COOKIE);
  if (isLocale(kept)) return { locale: kept };
  return { locale: localeFromAcceptLanguage(request.headers.get('accept-language')) };
}
