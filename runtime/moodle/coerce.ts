/**
 * Turns a decoded PHP-style form (see form.ts `decodeForm`: strings at the leaves, `{"0": .., "1": ..}` for
 * lists) back into typed arguments, guided by a function's input JSON Schema, the way Moodle's
 * validate_parameters() reads `$_POST`:
 * - `integer`: decimal text without sign `+`, leading zeros or spaces (`"12"`, `"-3"`) → number;
 * - `number`: PHP numeric text (`"1.5"`, `"-2"`, `"1e3"`) → number;
 * - `boolean`: `"1"` / `"0"` → true / false (the only forms PARAM_BOOL accepts);
 * - `array`: an object with any keys → its values in key order (Moodle re-indexes lists);
 * - `object`: keys converted one by one.
 * Anything that does not fit (text for an integer, a scalar for a list, unknown keys) is left as it is, so that
 * the schema validator run afterwards reports it with its path. Nothing is added: no defaults are applied.
 */

import type { PhpFormValue } from './form.ts';

type Schema = Record<string, unknown>;

const INT = /^-?(?:0|[1-9][0-9]*)$/;
const FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Converts decoded form arguments into typed arguments per `schema` (a function's input schema). */
export function coerceFormArgs(schema: Schema, decoded: Record<string, PhpFormValue>): Record<string, unknown> {
  const result = coerceValue(schema, decoded);
  return result as Record<string, unknown>;
}

/** Converts one decoded form value per its schema (see coerceFormArgs). */
export function coerceValue(schema: Schema | undefined, value: unknown): unknown {
  if (!schema || typeof schema !== 'object') return value;
  if (!schema.type && Array.isArray(schema.anyOf) && typeof value === 'object' && value !== null) {
    const wanted = isListLike(Object.entries(value)) && Object.keys(value).length ? 'array' : 'object';
    const branch = (schema.anyOf as Schema[]).find((b) => typesOf(b).includes(wanted));
    if (branch) return coerceValue(branch, value);
  }
  const types = typesOf(schema);
  if (typeof value === 'string') return coerceScalar(types, value);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (types.includes('array') && (!types.includes('object') || isListLike(entries))) {
    const items = schema.items as Schema | undefined;
    return entries.map(([, item]) => coerceValue(items, item));
  }
  if (types.includes('object')) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    return Object.fromEntries(entries.map(([key, item]) => [key, key in properties ? coerceValue(properties[key], item) : item]));
  }
  return value;
}

function coerceScalar(types: string[], text: string): unknown {
  for (const type of types) {
    if (type === 'integer' && INT.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
    if (type === 'number' && FLOAT.test(text) && Number.isFinite(Number(text))) return Number(text);
    if (type === 'boolean' && (text === '0' || text === '1')) return text === '1';
  }
  return text;
}

function isListLike(entries: [string, unknown][]): boolean {
  return entries.every(([key]) => INT.test(key));
}

/** The JSON types a schema allows: `type`, the union of its `anyOf` / `oneOf` branches, or its `enum` values' types. */
export function typesOf(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(branches)) return branches.flatMap(typesOf);
  if (Array.isArray(schema.enum)) {
    return [...new Set((schema.enum as unknown[]).map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)))];
  }
  return [];
}
