import { match } from '@formatjs/intl-localematcher';

/** The languages of every page and refusal reason; English is the source and the fallback. */
export const LOCALES = ['en', 'pt-BR', 'es', 'fr', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** Each language's name in itself, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'pt-BR': 'Português (Brasil)', es: 'Español', fr: 'Français', de: 'Deutsch' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The best supported locale for a list of BCP 47 tags in preference order (`pt` → pt-BR, `es-MX` → es). */
export function bestLocale(requested: readonly string[]): Locale {
  const valid = requested.filter((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  });
  if (!valid.length) return DEFAULT_LOCALE;
  return match(valid, LOCALES as unknown as string[], DEFAULT_LOCALE, { algorithm: 'best fit' }) as Locale;
}

/** Parses an `Accept-Language` header (RFC 9110 q-values) into the supported locale it prefers. */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.tag && r.tag !== '*' && r.q > 0 && !Number.isNaN(r.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return bestLocale(ranked.map((r) => r.tag));
}

/**
 * Moodle's language code (site info `lang`: `pt_br`, `es_mx`, `de_du`, `fr_ca`...) as a supported locale; Moodle's
 * own fallback already makes it the site's language when the person chose none. Unknown codes give English.
 */
export function localeFromMoodleLang(lang: string | undefined): Locale {
  if (!lang) return DEFAULT_LOCALE;
  const [language, region] = lang.toLowerCase().split('_');
  if (language === 'pt') return 'pt-BR';
  // Moodle's variants (de_du = formal German, de_comm, es_mx...) keep their language.
  return bestLocale([region && /^[a-z]{2}$/.test(region) ? `${language}-${region.toUpperCase()}` : language, language]);
}
