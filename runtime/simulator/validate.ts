/**
 * Moodle's parameter validation (external_api::validate_parameters) over the decoded PHP-style form:
 * structures must be arrays, values must be scalars, unknown keys and missing required keys are refused,
 * VALUE_DEFAULT fills in defaults, and each scalar must survive its PARAM_* cleaning unchanged.
 * Cleaning follows Moodle's clean_param for the common types; rare types are accepted as raw text
 * (a documented approximation of the test double).
 */
import type { PhpFormValue } from '../moodle/form.ts';
import type { DescNode, MultipleNode, StructureNode, ValueNode } from './descriptions.ts';
import { invalidParameter } from './errors.ts';

type Input = PhpFormValue | unknown;

/** Validates `input` against a `parameters` tree; returns the cleaned, typed parameters or throws `invalidparameter`. */
export function validateParameters(desc: StructureNode, input: Record<string, PhpFormValue>): Record<string, unknown> {
  return validateNode(desc, input, '') as Record<string, unknown>;
}

function validateNode(desc: DescNode, input: Input, path: string): unknown {
  if (desc.kind === 'value') return validateValue(desc, input, path);
  if (desc.kind === 'multiple_structure') return validateMultiple(desc, input, path);
  return validateStructure(desc, input, path);
}

function isArrayLike(input: Input): input is Record<string, unknown> | unknown[] {
  return typeof input === 'object' && input !== null;
}

function validateStructure(desc: StructureNode, input: Input, path: string): Record<string, unknown> {
  if (!isArrayLike(input)) throw invalidParameter(`${path || 'parameters'}: only arrays accepted`);
  const given = Array.isArray(input) ? Object.fromEntries(input.entries()) : (input as Record<string, unknown>);
  const result: Record<string, unknown> = {};
  const unexpected = new Set(Object.keys(given));
  for (const [key, sub] of Object.entries(desc.keys)) {
    const at = path ? `${path}[${key}]` : key;
    unexpected.delete(key);
    if (!Object.hasOwn(given, key)) {
      if (sub.required === 'VALUE_REQUIRED') throw invalidParameter(`${at}: missing required key`);
      if (sub.required === 'VALUE_DEFAULT') result[key] = defaultOf(sub, at);
      continue;
    }
    result[key] = validateNode(sub, given[key], at);
  }
  if (unexpected.size) throw invalidParameter(`${path || 'parameters'}: unexpected keys (${[...unexpected].join(', ')})`);
  return result;
}

function validateMultiple(desc: MultipleNode, input: Input, path: string): unknown[] {
  if (!isArrayLike(input)) throw invalidParameter(`${path}: only arrays accepted`);
  const items = Array.isArray(input) ? input : Object.values(input);
  return items.map((item, i) => validateNode(desc.content, item, `${path}[${i}]`));
}

function defaultOf(desc: DescNode, path: string): unknown {
  if (desc.kind === 'value' && desc.default_dynamic === 'time()') return Math.floor(Date.now() / 1000);
  if (desc.default === null || desc.default === undefined) return null;
  return validateNode(desc, desc.default, path);
}

function validateValue(desc: ValueNode, input: Input, path: string): unknown {
  if (input === null || input === undefined) {
    if (desc.allownull) return null;
    throw invalidParameter(`${path}: null not allowed`);
  }
  if (typeof input === 'object') throw invalidParameter(`${path}: scalar type expected, array or object received`);
  if (desc.type === 'bool') {
    if (typeof input === 'boolean') return input;
    if (input === 0 || input === 1 || input === '0' || input === '1') return input === 1 || input === '1';
    throw invalidParameter(`${path}: "${desc.type}" expected`);
  }
  const text = typeof input === 'boolean' ? (input ? '1' : '') : String(input);
  if (desc.type === 'int') {
    // PHP: (string)(int)$value must equal (string)$value, so "02", "+3", " 4" and "abc" are refused.
    if (!/^-?\d+$/.test(text) || String(Number.parseInt(text, 10)) !== text) throw invalidParameter(`${path}: "int" expected`);
    return Number.parseInt(text, 10);
  }
  if (desc.type === 'float') {
    if (typeof input === 'number') return input;
    if (!/^[+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?$/i.test(text) || text === '' || Number.isNaN(Number(text))) {
      throw invalidParameter(`${path}: "float" expected`);
    }
    return Number(text);
  }
  const cleaned = cleanText(desc.type, text);
  if (cleaned !== text) throw invalidParameter(`${path}: value not valid for "${desc.type}"`);
  return cleaned;
}

const COMPONENT = /^[a-z][a-z0-9]*(_[a-z][a-z0-9_]*)?[a-z0-9]+$/;

/** clean_param for the text PARAM_* types (approximations of Moodle's rules; unknown types pass as raw). */
function cleanText(type: string, value: string): string {
  switch (type) {
    case 'alpha':
      return value.replace(/[^a-zA-Z]/g, '');
    case 'alphaext':
      return value.replace(/[^a-zA-Z_-]/g, '');
    case 'alphanum':
      return value.replace(/[^A-Za-z0-9]/g, '');
    case 'alphanumext':
      return value.replace(/[^A-Za-z0-9_-]/g, '');
    case 'sequence':
      return value.replace(/[^0-9,]/g, '');
    case 'safedir':
      return value.replace(/[^a-zA-Z0-9_-]/g, '');
    case 'safepath':
      return value.replace(/[^a-zA-Z0-9/_-]/g, '');
    case 'notags':
    case 'text':
      return value.replace(/<[^>]*>/g, '');
    case 'raw_trimmed':
      return value.trim();
    case 'component':
    case 'plugin':
    case 'area':
      return value === '' || COMPONENT.test(value) || /^[a-z][a-z0-9_]*$/.test(value) ? value : '';
    case 'email':
      return value === '' || /^[^\s@]+@[^\s@]+$/.test(value) ? value : '';
    case 'url':
    case 'localurl':
      return value === '' || /^(https?:\/\/|\/)[^\s]*$/i.test(value) || /^[a-z0-9._\/-]+(\?[^\s]*)?$/i.test(value) ? value : '';
    case 'file':
      return value.replace(/[\x00-\x1f\x7f/\\:*?"<>|]/g, '');
    case 'path':
      return value.replace(/[\x00-\x1f\x7f\\:*?"<>|]/g, '');
    default:
      return value;
  }
}
