/**
 * Validation issues as a client can act on them: the field, the type the function declares (nullable and
 * union types included, read from the input JSON Schema) and the JSON type that was given. Never the
 * value itself: issues are also written to the audit trail.
 */
import type { z } from 'zod';
import { formatPath } from '../shared/issue-path.ts';
import { schemaAt, typesOf } from './coerce-args.ts';

type Schema = Record<string, unknown>;

/** One issue of a failed Zod parse as `{ path, message }`. */
export function describeIssue(issue: z.core.$ZodIssue, schema: Schema | undefined, args: unknown): { path: string; message: string } {
  const path = formatPath(issue.path);
  if (issue.code !== 'invalid_type' && issue.code !== 'invalid_union') return { path, message: issue.message };
  const expected = expectedType(schemaAt(schema, issue.path));
  const given = givenType(valueAt(args, issue.path));
  if (!expected) return { path, message: issue.message };
  if (given === 'nothing') return { path, message: `required: expected ${expected}` };
  return { path, message: `expected ${expected}, got ${given}` };
}

/** "integer", "integer or null", "list of integer", "object", ... */
export function expectedType(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  const types = [...new Set(typesOf(schema))];
  if (types.includes('number')) types.splice(types.indexOf('integer'), 1);
  if (!types.length) return undefined;
  const named = types.map((t) => {
    if (t === 'array') {
      const items = schemaAt(schema, [0]);
      const of = items ? expectedType(items) : undefined;
      return of ? `list of ${of}` : 'list';
    }
    if (t === 'integer') return 'integer (whole number)';
    return t;
  });
  const nonNull = named.filter((t) => t !== 'null');
  const text = nonNull.join(' or ');
  return named.includes('null') ? `${text} or null` : text;
}

function valueAt(args: unknown, path: readonly PropertyKey[]): unknown {
  let current = args;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

function givenType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'string') return /^\s*[+-]?\d+(\.\d+)?\s*$/.test(value) ? 'a string of digits that is not a canonical integer' : 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return 'an object';
}
