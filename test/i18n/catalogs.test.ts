import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IntlMessageFormat } from 'intl-messageformat';
import { LOCALES } from '../../runtime/i18n/locales.ts';
import { CATALOGS, translator } from '../../runtime/i18n/translate.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Argument names a message uses (placeholders, plural and select arguments), nested ones included. */
function argumentsOf(elements: unknown[], into = new Set<string>()): Set<string> {
  for (const el of elements as { type: number; value?: unknown; options?: Record<string, { value: unknown[] }>; children?: unknown[] }[]) {
    if (el.type >= 1 && el.type <= 6 && typeof el.value === 'string') into.add(el.value);
    for (const option of Object.values(el.options ?? {})) argumentsOf(option.value, into);
    if (el.children) argumentsOf(el.children, into);
  }
  return into;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('message catalogs', () => {
  const en = CATALOGS.en;

  it('every key exists in every language, and no language has keys English lacks', () => {
    for (const locale of LOCALES) {
      const keys = Object.keys(CATALOGS[locale]);
      assert.deepEqual(Object.keys(en).filter((k) => !keys.includes(k)), [], `${locale} lacks these keys`);
      assert.deepEqual(keys.filter((k) => !(k in en)), [], `${locale} has keys English lacks`);
    }
  });

  it('every message is valid ICU MessageFormat with the same placeholders as English', () => {
    for (const locale of LOCALES)
      for (const [key, pattern] of Object.entries(CATALOGS[locale])) {
        const ast = new IntlMessageFormat(pattern, locale).getAst();
        const englishArgs = [...argumentsOf(new IntlMessageFormat(en[key], 'en').getAst())].sort();
        assert.deepEqual([...argumentsOf(ast)].sort(), englishArgs, `${locale} ${key}: placeholders differ from English`);
      }
  });

  it('translations are translations: only words that are the same in both languages stay as in English', () => {
    // Reviewed: cognates and texts made only of placeholders and names ("Status", "Moodle", "{name} ({url}), Moodle {release}.").
    const SAME: Record<string, string[]> = {
      'pt-BR': ['admin.audit.col.status', 'admin.explain.badField', 'admin.health.ok', 'admin.health.moodle', 'admin.health.siteKnown'],
      es: ['admin.decision.error', 'admin.explain.badField', 'admin.health.moodle', 'admin.health.siteKnown'],
      fr: ['connections.client', 'connections.action', 'admin.explain.field.args', 'admin.health.ok', 'admin.health.moodle', 'admin.health.siteKnown'],
      de: ['admin.connections.name', 'admin.audit.badFilter', 'admin.audit.col.moodle_username', 'admin.audit.col.status', 'admin.explain.badField', 'admin.health.ok', 'admin.health.problem', 'admin.health.moodle', 'admin.health.siteKnown'],
    };
    for (const locale of LOCALES.filter((l) => l !== 'en'))
      assert.deepEqual(Object.keys(en).filter((k) => CATALOGS[locale][k] === en[k]), SAME[locale], `${locale}: messages left in English`);
  });

  it('plurals follow each language: one and other', () => {
    assert.equal(translator('en')('admin.connections.usage', { calls: 1, denials: 2 }), '1 call, 2 denials');
    assert.equal(translator('pt-BR')('admin.connections.usage', { calls: 2, denials: 1 }), '2 chamadas, 1 recusa');
    assert.equal(translator('fr')('admin.connections.usage', { calls: 1, denials: 0 }), '1 appel, 0 refus');
    assert.equal(translator('de')('admin.connections.caption', { count: 0 }), 'Keine aktiven Verbindungen');
  });

  it('every key the code names literally exists, and every catalog key is used', () => {
    const code = ['runtime'].flatMap(sourceFiles).map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    const literal = new Set([...code.matchAll(/\bt\(\s*'([a-zA-Z]+(?:\.[a-zA-Z_]+)+)'/g)].map((m) => m[1]));
    const keyed = new Set([...code.matchAll(/key: '([a-zA-Z]+(?:\.[a-zA-Z_]+)+)'/g)].map((m) => m[1]));
    for (const key of [...literal, ...keyed]) assert.ok(key in en, `the code uses "${key}", which no catalog has`);
    // Keys built at run time: `admin.tab.${tab}` and the like (each prefix stands for every key under it).
    const prefixes = [...code.matchAll(/t\(`([a-zA-Z.]+)\.\$\{/g)].map((m) => `${m[1]}.`);
    const reasonKeys = new Set([...code.matchAll(/key: '(reason\.[a-zA-Z]+)'/g)].map((m) => m[1]));
    const unused = Object.keys(en).filter((k) => !literal.has(k) && !keyed.has(k) && !reasonKeys.has(k) && !prefixes.some((p) => k.startsWith(p)) && !code.includes(`'${k}'`));
    assert.deepEqual(unused, [], 'catalog keys nothing uses');
  });
});

describe('no user-facing text outside the catalogs', () => {
  // The modules that render pages: every text between tags, and every label-like attribute, must come from t().
  const PAGE_MODULES = ['runtime/auth/oauth/pages.ts', 'runtime/auth/oauth/provider.ts', 'runtime/auth/oauth/http.ts', 'runtime/auth/oauth/context.ts', 'runtime/auth/oauth/interactions.ts', 'runtime/auth/oauth/manage.ts', 'runtime/admin/views.ts', 'runtime/admin/console.ts'];

  /** The literal parts of every template string in `source` (nested ones too), with `${...}` replaced by NUL. */
  function templateLiterals(source: string): string[] {
    const out: string[] = [];
    // Reads a template starting after its opening backtick; returns the index after its closing one.
    function template(i: number): number {
      let text = '';
      while (i < source.length && source[i] !== '`') {
        if (source[i] === '\\') {
          text += source.slice(i, i + 2);
          i += 2;
        } else if (source[i] === '$' && source[i + 1] === '{') {
          text += '\u0000';
          i = expression(i + 2);
        } else text += source[i++];
      }
      out.push(text);
      return i + 1;
    }
    // Reads code up to its closing brace (nested braces, strings and templates skipped); returns the index after it.
    function expression(i: number): number {
      let depth = 1;
      while (i < source.length) {
        const c = source[i];
        if (c === '`') i = template(i + 1);
        else if (c === "'" || c === '"') {
          i++;
          while (i < source.length && source[i] !== c) i += source[i] === '\\' ? 2 : 1;
          i++;
        } else if (c === '{') (depth++, i++);
        else if (c === '}') {
          i++;
          if (--depth === 0) return i;
        } else i++;
      }
      return i;
    }
    for (let i = 0; i < source.length; ) {
      const c = source[i];
      if (c === '`') i = template(i + 1);
      else if (c === "'" || c === '"') {
        i++;
        while (i < source.length && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === '/' && source[i + 1] === '/') i = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i);
      else i++;
    }
    return out;
  }

  for (const file of PAGE_MODULES)
    it(`${file}: no literal words in HTML text or labels`, () => {
      const source = readFileSync(join(ROOT, file), 'utf8');
      const problems: string[] = [];
      for (const literal of templateLiterals(source)) {
        for (const m of literal.matchAll(/>([^<>]*)</g)) if (/\p{L}{2,}/u.test(m[1].replace(/\u0000/g, ''))) problems.push(m[1].trim());
        for (const m of literal.matchAll(/\b(aria-label|title|alt|placeholder)="([^"]*)"/g))
          if (/\p{L}{2,}/u.test(m[2].replace(/\u0000/g, '')) && m[2] !== 'core_course_get_courses') problems.push(`${m[1]}="${m[2]}"`);
      }
      assert.deepEqual(problems, []);
    });
});
