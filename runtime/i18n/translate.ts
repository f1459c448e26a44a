import { readFileSync } from 'node:fs';
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';
import { escapeHtml } from '../shared/escape-html.ts';
import { DEFAULT_LOCALE, LOCALES, type Locale } from './locales.ts';

/** A message catalog: key → ICU MessageFormat pattern. */
export type Catalog = Record<string, string>;

function loadCatalog(locale: Locale): Catalog {
  return JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8')) as Catalog;
}

/** Every language's catalog, read once (runtime/i18n/messages/<locale>.json). */
export const CATALOGS: Readonly<Record<Locale, Catalog>> = Object.freeze(
  Object.fromEntries(LOCALES.map((l) => [l, loadCatalog(l)])) as Record<Locale, Catalog>,
);

export type MessageValues = Record<string, PrimitiveType>;

/**
 * Formats `key` in one language: a function of the key and its placeholder values (plain text, to be escaped where it
 * goes into HTML). `html` formats a message whose key ends in `Html`: its catalog text is HTML already (entities such as
 * `&gt;` written out, `<b>…</b>` for emphasis), its values are escaped here.
 */
export type Translate = ((key: string, values?: MessageValues) => string) & {
  readonly locale: Locale;
  html(key: string, values?: Record<string, string | number>): string;
};

const compiled = new Map<string, IntlMessageFormat>();

function formatter(locale: Locale, key: string): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let f = compiled.get(id);
  if (!f) {
    const pattern = CATALOGS[locale][key] ?? CATALOGS[DEFAULT_LOCALE][key];
    // A key missing everywhere is a programming error: the catalog test catches it before it ships.
    if (pattern === undefined) throw new Error(`i18n: no message "${key}"`);
    f = new IntlMessageFormat(pattern, CATALOGS[locale][key] !== undefined ? locale : DEFAULT_LOCALE);
    compiled.set(id, f);
  }
  return f;
}

/** The translator of one language; a message missing in it falls back to English. */
export function translator(locale: Locale): Translate {
  const t = (key: string, values?: MessageValues) => String(formatter(locale, key).format(values));
  const html = (key: string, values: Record<string, string | number> = {}) => {
    if (!key.endsWith('Html')) throw new Error(`i18n: "${key}" is not an HTML message (its key must end in Html)`);
    const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeHtml(v)]));
    const parts = formatter(locale, key).format<string>({ ...escaped, b: (chunks: string[]) => `<strong>${chunks.join('')}</strong>` });
    return Array.isArray(parts) ? parts.join('') : String(parts);
  };
  return Object.assign(t, { locale, html });
}

/** True when the English catalog has `key` (for tables that map other texts to keys). */
export function hasMessage(key: string): boolean {
  return CATALOGS[DEFAULT_LOCALE][key] !== undefined;
}
