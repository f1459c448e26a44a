import { isLocale, localeFromAcceptLanguage, type Locale } from './locales.ts';

/** Cookie that keeps the language chosen with the switcher (not a secret; readable only by the server). */
export const LANG_COOKIE = 'mmcp-lang';
const YEAR = 365 * 24 * 3600;

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * The language of a page: `?lang=` (the switcher; remembered in a cookie, returned as `setCookie`), else the cookie,
 * else the browser's `Accept-Language`, else English.
 */
export function pageLocale(request: Request, secure: boolean): { locale: Locale; setCookie?: string } {
  const asked = new URL(request.url).searchParams.get('lang');
  if (isLocale(asked))
    return { locale: asked, setCookie: `${LANG_COOKIE}=${asked}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${YEAR}${secure ? '; Secure' : ''}` };
  const kept = cookie(request, LANG_COOKIE);
  if (isLocale(kept)) return { locale: kept };
  return { locale: localeFromAcceptLanguage(request.headers.get('accept-language')) };
}
