import type { JsonSchema } from '../../runtime/catalog/types.ts';
import type { DescriptionNode, ListNode, StructureNode, ValueNode } from '../sources/types.ts';
import { paramTypeInfo } from './param-types.ts';
import { normaliseWhitespace } from './text.ts';

/**
 * Strict JSON Schema (draft 2020-12) for a function's arguments, from Moodle's parameter description.
 *
 * - PARAM_INT → integer, PARAM_FLOAT → number, PARAM_BOOL → boolean, other PARAM_* → string with the pattern
 *   the type implies (see param-types.ts).
 * - VALUE_REQUIRED → `required`; VALUE_DEFAULT → `default` (when the default is a valid value); VALUE_OPTIONAL → optional.
 * - Objects have `additionalProperties: false` (Moodle rejects unknown keys).
 * - Null: Moodle's `allownull` is true unless a function opts out, but a REST form cannot carry null. The
 *   encoder leaves null out, so Moodle sees the key as absent. Null is therefore accepted (`type: [.., "null"]`)
 *   only where absence is allowed (VALUE_OPTIONAL / VALUE_DEFAULT keys, `allownull` not false), meaning "use
 *   Moodle's default"; a required key never accepts null (Moodle would answer "Missing required key").
 * - A required list must have an item, and a required structure whose keys are all optional a key: an empty
 *   list or object encodes to nothing, which Moodle reports as a missing required key.
 * - A default computed at request time (`default_dynamic`, e.g. `time()`) is stated in the description.
 */
export function inputSchema(parameters: StructureNode): JsonSchema {
  return structure(parameters, false);
}

function convert(node: DescriptionNode, inList: boolean): JsonSchema {
  switch (node.kind) {
    case 'value':
      return value(node, inList);
    case 'multiple_structure':
      return list(node, inList);
    default:
      return structure(node, inList);
  }
}

function nullable(node: DescriptionNode, inList: boolean): boolean {
  return node.allownull && node.required !== 'VALUE_REQUIRED' && !inList;
}

function describe(schema: JsonSchema, node: DescriptionNode, extra = ''): JsonSchema {
  const text = [normaliseWhitespace(node.desc), extra].filter(Boolean).join(' ');
  return text ? { description: text, ...schema } : schema;
}

function value(node: ValueNode, inList: boolean): JsonSchema {
  const info = paramTypeInfo(node.type);
  const schema: JsonSchema = { type: nullable(node, inList) ? [info.json, 'null'] : info.json };
  if (info.pattern) schema.pattern = info.pattern;
  if (info.enum) schema.enum = nullable(node, inList) ? [...info.enum, null] : info.enum;
  if (node.required === 'VALUE_DEFAULT') {
    const fallback = scalarDefault(node.default, info.json, info.pattern);
    if (fallback !== undefined && (!info.enum || info.enum.includes(fallback as never))) schema.default = fallback;
  }
  const dynamic = node.default_dynamic ? `Default: computed by Moodle when omitted (${node.default_dynamic}).` : '';
  return describe(schema, node, dynamic);
}

function list(node: ListNode, inList: boolean): JsonSchema {
  const schema: JsonSchema = { type: nullable(node, inList) ? ['array', 'null'] : 'array', items: convert(node.content, true) };
  if (node.required === 'VALUE_REQUIRED' || inList) schema.minItems = 1;
  if (node.required === 'VALUE_DEFAULT' && Array.isArray(node.default) && node.default.length === 0) schema.default = [];
  return describe(schema, node);
}

function structure(node: StructureNode, inList: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, child] of Object.entries(node.keys)) {
    properties[key] = convert(child, false);
    if (child.required === 'VALUE_REQUIRED') required.push(key);
  }
  const schema: JsonSchema = { type: nullable(node, inList) ? ['object', 'null'] : 'object', properties };
  if (required.length) schema.required = required;
  schema.additionalProperties = false;
  const root = node.kind === 'function_parameters';
  if (!root && required.length === 0 && (node.required === 'VALUE_REQUIRED' || inList) && Object.keys(properties).length) {
    schema.minProperties = 1;
  }
  if (node.required === 'VALUE_DEFAULT' && required.length === 0 && isEmptyPhpArray(node.default)) schema.default = {};
  return describe(schema, node);
}

function isEmptyPhpArray(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
}

const INT = /^-?(?:0|[1-9][0-9]*)$/;

/** Moodle's default converted to the JSON type, or undefined when it is null or not a valid value of the type. */
function scalarDefault(raw: unknown, json: string, pattern?: string): unknown {
  if (raw === null || raw === undefined) return undefined;
  switch (json) {
    case 'integer':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      if (typeof raw === 'string' && INT.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
      return undefined;
    case 'number':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
      return undefined;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 0 || raw === 1 || raw === '0' || raw === '1') return raw === 1 || raw === '1';
      return undefined;
    default: {
      const text = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
      if (text === undefined) return undefined;
      if (pattern && !new RegExp(pattern, 'u').test(text)) return undefined;
      return text;
    }
  }
}
