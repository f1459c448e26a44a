/**
 * Coerces a client's JSON arguments to the types a function declares, only where Moodle's own
 * validate_parameters() would accept the value and nothing is lost (Moodle 4.5 `external_api` +
 * `core\param::validate_param`, which refuses any value whose cleaned text differs from the text given):
 * - `integer`: a canonical decimal integer string (`"2"`, `"-3"`; not `"02"`, `"+2"`, `" 2"`, `"2.0"`) → number;
 * - `string` (PARAM_RAW, PARAM_TEXT, ...): a finite number written without exponent (`2`, `-1.5`) → its decimal text;
 * - `boolean`: `0` / `1` / `"0"` / `"1"` → false / true (validate_parameters' PARAM_BOOL special case).
 *   `"true"` / `"false"` are NOT coerced: PARAM_BOOL cleans them to 1 / 0, and validate_param then refuses
 *   them because `"true" !== "1"`.
 * Nothing else changes: values that do not fit are left as they are, so the schema validator reports them
 * with their path. The input is not mutated; lists and objects are copied.
 */

import { typesOf as schemaTypes } from '../moodle/coerce.ts';

type Schema = Record<string, unknown>;

const CANONICAL_INT = /^(?:0|-?[1-9][0-9]*)$/;

/** `args` with every coercible value converted per `schema` (a function's input JSON Schema). */
export function coerceArguments(schema: Schema | undefined, args: unknown): unknown {
  if (!schema || typeof schema !== 'object') return args;
  const types = typesOf(schema);
  if (Array.isArray(args)) {
    if (!types.includes('array')) return args;
    const items = itemsOf(schema);
    return args.map((item) => coerceArguments(items, item));
  }
  if (args && typeof args === 'object') {
    if (!types.includes('object')) return args;
    const properties = propertiesOf(schema);
    return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, Object.hasOwn(properties, key) ? coerceArguments(properties[key], value) : value]));
  }
  return coerceScalar(types, args);
}

function coerceScalar(types: string[], value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (types.includes(jsonTypeOf(value))) return value;
  if (typeof value === 'string' && types.includes('integer') && CANONICAL_INT.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  if (typeof value === 'number' && types.includes('string') && Number.isFinite(value) && !/e/i.test(String(value))) return String(value);
  if (types.includes('boolean') && (value === 0 || value === 1 || value === '0' || value === '1')) return value === 1 || value === '1';
  return value;
}

function jsonTypeOf(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The JSON types a schema allows (moodle/coerce.ts `typesOf`), `integer` included wherever `number` is. */
export function typesOf(schema: Schema): string[] {
  const types = schemaTypes(schema);
  return types.includes('number') && !types.includes('integer') ? [...types, 'integer'] : types;
}

function branchesOf(schema: Schema): Schema[] {
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  return Array.isArray(branches) ? [schema, ...branches] : [schema];
}

function itemsOf(schema: Schema): Schema | undefined {
  return branchesOf(schema).find((b) => b.items && typeof b.items === 'object')?.items as Schema | undefined;
}

function propertiesOf(schema: Schema): Record<string, Schema> {
  return (branchesOf(schema).find((b) => b.properties && typeof b.properties === 'object')?.properties ?? {}) as Record<string, Schema>;
}

/** The sub-schema at a validation path (object keys and list indexes), or undefined when the path leaves the schema. */
export function schemaAt(schema: Schema | undefined, path: readonly PropertyKey[]): Schema | undefined {
  let current = schema;
  for (const key of path) {
    if (!current) return undefined;
    current = typeof key === 'number' ? itemsOf(current) : propertiesOf(current)[String(key)];
  }
  return current;
}
