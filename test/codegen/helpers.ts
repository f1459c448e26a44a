// Shared test helpers: the generated output of the bundled 4.5.6 snapshot (generated/ itself when it came from there),
// an Ajv 2020 instance, deterministic sample arguments.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Catalog, ComponentSchemas, JsonSchema } from '../../runtime/catalog/types.ts';

import { bundledGeneratedDir, zodLoaderOf } from '../helpers/bundled-catalog.ts';

const generatedDir = await bundledGeneratedDir();
/** The generated output of the bundled snapshot (see test/helpers/bundled-catalog.ts). */
export const GENERATED = pathToFileURL(generatedDir + '/');
/** Its Zod schemas, by component (its zod/index.ts). */
export const loadZodSchemas = await zodLoaderOf(generatedDir);

export function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

export function loadCatalog(): Catalog {
  return readJson<Catalog>(new URL('catalog.json', GENERATED));
}

const schemaCache = new Map<string, ComponentSchemas>();
export function schemasOf(component: string): ComponentSchemas {
  if (!schemaCache.has(component)) schemaCache.set(component, readJson<ComponentSchemas>(new URL(`schemas/${component}.json`, GENERATED)));
  return schemaCache.get(component)!;
}

export function newAjv() {
  return new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
}

/** Deterministic PRNG (mulberry32) seeded from a string. */
export function rng(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 3432918353), (h = (h << 13) | (h >>> 19));
  let a = h >>> 0;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CANDIDATES = ['abc', 'Abc9', 'Abc_1-x', 'mod_forum', 'core', 'forum', 'en', 'user@example.org', '1,2,3', '/', '/a/b/',
  'file one.txt', 'moodle/site:config', 'Europe/London', 'teacher.one', 'tag one', 'x y', 'a.b:c', ''];
const FREE_TEXT = ['Hello world', 'a b&c=d[0]%+', 'Ünïcødé – “quotes” <b>bold</b>', 'line1\nline2', "it's 100%", '0', '12', 'true'];

/**
 * Schema-valid arguments generated deterministically from an input schema: required keys always, optional ones
 * at random, lists of 1-2 items, never null, never empty lists/objects (a form cannot carry those).
 */
export function sampleArgs(schema: JsonSchema, seed: string): unknown {
  const random = rng(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const gen = (s: JsonSchema, depth: number): unknown => {
    const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t) => t !== 'null');
    if (Array.isArray(s.enum)) return pick((s.enum as unknown[]).filter((v) => v !== null));
    switch (types[0]) {
      case 'integer':
        return Math.floor(random() * 200000) - 1000;
      case 'number':
        return Math.floor(random() * 8000) / 8 - 100;
      case 'boolean':
        return random() < 0.5;
      case 'string': {
        if (typeof s.pattern !== 'string') return pick(FREE_TEXT);
        const re = new RegExp(s.pattern, 'u');
        const ok = CANDIDATES.filter((c) => re.test(c));
        if (!ok.length) throw new Error(`no sample string for pattern ${s.pattern}`);
        return pick(ok);
      }
      case 'array': {
        const n = 1 + Math.floor(random() * 2);
        return Array.from({ length: n }, () => gen(s.items as JsonSchema, depth + 1));
      }
      case 'object': {
        const props = (s.properties ?? {}) as Record<string, JsonSchema>;
        const required = new Set((s.required ?? []) as string[]);
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(props)) {
          if (required.has(key) || (depth < 6 && random() < 0.5)) out[key] = gen(child, depth + 1);
        }
        if (Object.keys(out).length === 0 && (s.minProperties as number) > 0) {
          const [key, child] = Object.entries(props)[0];
          out[key] = gen(child, depth + 1);
        }
        return out;
      }
      default:
        throw new Error(`cannot sample schema ${JSON.stringify(s).slice(0, 100)}`);
    }
  };
  return gen(schema, 0);
}

/** What survives a PHP form: no null, no empty list, no empty object. */
export function formCanonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(formCanonical).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, formCanonical(v)] as const).filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}
