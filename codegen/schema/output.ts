import type { JsonSchema } from '../../runtime/catalog/types.ts';
import type { DescriptionNode, ListNode, StructureNode, ValueNode } from '../sources/types.ts';
import { paramTypeInfo } from './param-types.ts';
import { normaliseWhitespace } from './text.ts';

/**
 * Tolerant JSON Schema (draft 2020-12) for what Moodle answers, from the function's return description.
 * It accepts what Moodle's REST server really sends (all visible in the recorded exchanges):
 * - an object whose keys are all optional may arrive as `[]` (PHP's empty array);
 * - integers and floats may arrive as numeric strings, booleans as 0/1/"0"/"1", and PARAM_RAW/TEXT fields may
 *   carry numbers or booleans (PHP keeps the original scalar);
 * - `null` wherever Moodle allows null (`allownull`), keys beyond the description (no `additionalProperties: false`);
 * - functions without a return description answer the literal `null`; a return that is a single value is a bare scalar.
 * Keys that Moodle declares VALUE_REQUIRED stay required: Moodle refuses to send a response without them.
 */
export function outputSchema(returns: DescriptionNode | null): JsonSchema {
  if (returns === null) return { description: 'No return value: Moodle answers null.', type: 'null' };
  return convert(returns);
}

function convert(node: DescriptionNode): JsonSchema {
  switch (node.kind) {
    case 'value':
      return value(node);
    case 'multiple_structure':
      return list(node);
    default:
      return structure(node);
  }
}

function describe(schema: JsonSchema, node: DescriptionNode): JsonSchema {
  const text = normaliseWhitespace(node.desc);
  return text ? { description: text, ...schema } : schema;
}

function withNull(types: string[], node: DescriptionNode): string | string[] {
  const all = node.allownull ? [...types, 'null'] : types;
  return all.length === 1 ? all[0] : all;
}

function value(node: ValueNode): JsonSchema {
  switch (paramTypeInfo(node.type).json) {
    case 'integer':
      return describe({ type: withNull(['integer', 'string'], node), pattern: '^-?[0-9]+$' }, node);
    case 'number':
      return describe({ type: withNull(['number', 'string'], node), pattern: '^[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?$' }, node);
    case 'boolean':
      return describe({ enum: node.allownull ? [true, false, 0, 1, '0', '1', null] : [true, false, 0, 1, '0', '1'] }, node);
    default:
      return describe({ type: withNull(['string', 'number', 'boolean'], node) }, node);
  }
}

function list(node: ListNode): JsonSchema {
  return describe({ type: withNull(['array'], node), items: convert(node.content) }, node);
}

function structure(node: StructureNode): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, child] of Object.entries(node.keys)) {
    properties[key] = convert(child);
    if (child.required === 'VALUE_REQUIRED') required.push(key);
  }
  const object: JsonSchema = { type: 'object', properties };
  if (required.length) object.required = required;
  if (required.length === 0) {
    const branches: JsonSchema[] = [object, { type: 'array', maxItems: 0 }];
    if (node.allownull) branches.push({ type: 'null' });
    return describe({ anyOf: branches }, node);
  }
  if (node.allownull) object.type = ['object', 'null'];
  return describe(object, node);
}
