/**
 * fast-check arbitraries driven by the generated input schemas (generated/schemas/*.json): arguments that match a
 * function's schema, and mutations of them (wrong types, unknown or missing keys, deep nesting, huge strings,
 * prototype keys, out-of-range numbers). The schemas use a small vocabulary (type, properties, required,
 * additionalProperties, items, minItems, minProperties, pattern, default), which is all that is handled here.
 */
import fc from 'fast-check';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  minProperties?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

const STRING_CANDIDATES = ['', 'a', 'abc', 'Abc9', 'mod_forum', 'core', 'x_y-z', 'en', '1,2', 'héllo wörld', 'a b'];
const STRING_UNITS = [...'abcxyzABZ0129_-. /é'];

function stringArbitrary(pattern?: string): fc.Arbitrary<string> {
  const free = fc.oneof(fc.constantFrom(...STRING_CANDIDATES), fc.string({ unit: fc.constantFrom(...STRING_UNITS), maxLength: 24 }));
  if (!pattern) return free;
  const re = new RegExp(pattern, 'u');
  const fallback = STRING_CANDIDATES.find((s) => re.test(s)) ?? '';
  // Patterns with look-arounds are beyond stringMatching: strings that miss the pattern become a known match.
  return free.map((s) => (re.test(s) ? s : fallback));
}

function typedArbitrary(type: string, schema: JsonSchema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const keys = Object.keys(properties);
      const model = Object.fromEntries(keys.map((k) => [k, validArbitrary(properties[k]!)]));
      const record = fc.record(model, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
      const min = schema.minProperties ?? 0;
      if (min === 0 || keys.length === 0) return record;
      // minProperties: fill in the first properties that are missing.
      return fc.tuple(record, fc.tuple(...keys.map((k) => model[k]!))).map(([value, fill]) => {
        const out = { ...value };
        for (let i = 0; i < keys.length && Object.keys(out).length < min; i++) if (!(keys[i]! in out)) out[keys[i]!] = fill[i];
        return out;
      });
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(validArbitrary(schema.items ?? {}), { minLength: min, maxLength: min + 3 });
    }
    case 'string':
      return stringArbitrary(schema.pattern);
    case 'integer':
      return fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: -1000, max: 2_000_000 }) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const cache = new WeakMap<JsonSchema, fc.Arbitrary<unknown>>();

/** Values that match `schema`. */
export function validArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  let arbitrary = cache.get(schema);
  if (arbitrary) return arbitrary;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) arbitrary = fc.oneof(...alternatives.map(validArbitrary));
  else if (Array.isArray(schema.type)) arbitrary = fc.oneof(...schema.type.map((t) => typedArbitrary(t, schema)));
  else arbitrary = typedArbitrary(schema.type ?? '', schema);
  cache.set(schema, arbitrary);
  return arbitrary;
}

/** The ways a valid value is broken. */
export const MUTATIONS = [
  'unknown-key',
  'missing-required',
  'leaf-type',
  'deep-nesting',
  'huge-string',
  'prototype-key',
  'number-edge',
  'empty-list',
  'list-for-object',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Paths to every value inside `value` (the root is []). */
function pathsOf(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value);
}

function setAt(root: unknown, path: (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path.at(-1)!] = next;
  return root;
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
  return value;
}

const OTHER_TYPES: unknown[] = ['12', 'abc', 12, 1.5, -1, true, null, {}, [], [1], { a: 1 }];
const NUMBER_EDGES: unknown[] = [2 ** 53, -(2 ** 53) - 2, 1e308, -1e308, 0.1, -0.5, 1e-300, Number.MAX_SAFE_INTEGER + 2];

/**
 * Applies `mutation` to a deep copy of `valid`; `pick` chooses the place (any non-negative integer), `junk` is a
 * random JSON value used where something unexpected is inserted. Deterministic for the same inputs.
 */
export function mutate(valid: unknown, schema: JsonSchema, mutation: Mutation, pick: number, junk: unknown): unknown {
  const value = structuredClone(valid) as unknown;
  const paths = pathsOf(value);
  const objects = paths.filter((p) => { const v = getAt(value, p); return v && typeof v === 'object' && !Array.isArray(v); });
  const leaves = paths.filter((p) => { const v = getAt(value, p); return !v || typeof v !== 'object'; });
  const lists = paths.filter((p) => Array.isArray(getAt(value, p)));
  const at = <T>(list: T[]) => list[pick % list.length];
  switch (mutation) {
    case 'unknown-key': {
      const target = (at(objects) ? getAt(value, at(objects)!) : value) as Record<string, unknown>;
      if (target && typeof target === 'object') target[`fuzz_unknown_${pick % 7}`] = junk;
      return value;
    }
    case 'missing-required': {
      const required = schema.required ?? [];
      if (required.length === 0 || !value || typeof value !== 'object') return mutate(valid, schema, 'unknown-key', pick, junk);
      delete (value as Record<string, unknown>)[required[pick % required.length]!];
      return value;
    }
    case 'leaf-type': {
      const path = at(leaves);
      if (!path || path.length === 0) return mutate(valid, schema, 'unknown-key', pick, junk);
      return setAt(value, path, OTHER_TYPES[pick % OTHER_TYPES.length]);
    }
    case 'deep-nesting': {
      const path = at(paths.filter((p) => p.length > 0)) ?? ['fuzz_deep'];
      return setAt(value && typeof value === 'object' ? value : {}, path, nested(30 + (pick % 40)));
    }
    case 'huge-string': {
      const path = at(leaves.filter((p) => p.length > 0)) ?? ['fuzz_huge'];
      return setAt(value && typeof value === 'object' ? value : {}, path, 'x'.repeat(20_000 + (pick % 50_000)));
    }
    case 'prototype-key': {
      const target = (at(objects) ? getAt(value, at(objects)!) : value) as Record<string, unknown>;
      const key = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'][pick % 5]!;
      if (target && typeof target === 'object') Object.defineProperty(target, key, { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
      return value;
    }
    case 'number-edge': {
      const numeric = leaves.filter((p) => p.length > 0 && typeof getAt(value, p) === 'number');
      const path = at(numeric) ?? at(leaves.filter((p) => p.length > 0));
      if (!path) return mutate(valid, schema, 'unknown-key', pick, junk);
      return setAt(value, path, NUMBER_EDGES[pick % NUMBER_EDGES.length]);
    }
    case 'empty-list': {
      const path = at(lists);
      if (!path) return mutate(valid, schema, 'leaf-type', pick, junk);
      return setAt(value, path, []);
    }
    case 'list-for-object': {
      const path = at(objects);
      if (!path) return mutate(valid, schema, 'leaf-type', pick, junk);
      return setAt(value, path, [getAt(value, path)]);
    }
  }
}

/** Mutated arguments for `schema`, with the mutation that made them. */
export function mutatedArbitrary(schema: JsonSchema): fc.Arbitrary<{ value: unknown; mutation: Mutation }> {
  return fc
    .tuple(validArbitrary(schema), fc.constantFrom(...MUTATIONS), fc.nat(), fc.jsonValue({ maxDepth: 2 }))
    .map(([valid, mutation, pick, junk]) => ({ value: mutate(valid, schema, mutation, pick, junk), mutation }));
}
