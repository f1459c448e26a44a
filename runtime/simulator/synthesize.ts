/**
 * Minimal answers built from a function's `returns` description, for calls that neither a recorded
 * exchange nor the seeded site data can answer: empty lists, zeros, empty strings, false, and
 * `null` when the function returns nothing. Known values (`known`) are laid over the skeleton.
 * Optional keys are left out, except `warnings`, which Moodle functions always send (as `[]`).
 * A structure left with no keys is `[]`: PHP's json_encode writes an empty array so (e.g. `activitybadge: []`).
 * This is what makes the simulator a test double: such answers are well-formed, not realistic.
 */
import type { DescNode } from './descriptions.ts';

/** A value of the shape `desc` describes, using `known` wherever it provides a value. */
export function synthesize(desc: DescNode | null, known?: unknown): unknown {
  if (!desc) return null;
  if (desc.kind === 'value') {
    if (known !== undefined) return known;
    if (desc.default !== null && desc.default !== undefined && desc.required === 'VALUE_DEFAULT') return desc.default;
    return zeroOf(desc.type);
  }
  if (desc.kind === 'multiple_structure') {
    return Array.isArray(known) ? known.map((item) => synthesize(desc.content, item)) : [];
  }
  const source = known && typeof known === 'object' ? (known as Record<string, unknown>) : {};
  const result: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(desc.keys)) {
    if (source[key] !== undefined) result[key] = synthesize(sub, source[key]);
    else if (sub.required !== 'VALUE_OPTIONAL' || key === 'warnings') result[key] = synthesize(sub);
  }
  return Object.keys(result).length ? result : [];
}

function zeroOf(type: string): unknown {
  if (type === 'int' || type === 'float') return 0;
  if (type === 'bool') return false;
  return '';
}
