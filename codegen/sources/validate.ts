import { CodegenError } from '../errors.ts';
import type { DescriptionNode, FunctionsDocument } from './types.ts';

const REQUIREDNESS = new Set(['VALUE_REQUIRED', 'VALUE_OPTIONAL', 'VALUE_DEFAULT']);

/**
 * Checks that a parsed JSON value is a `moodle-external-functions/1` document and returns it typed.
 * Throws CodegenError naming the first bad field (`functions[12].parameters.keys.courseid.kind`).
 */
export function validateDocument(value: unknown, origin: string): FunctionsDocument {
  const fail = (path: string, why: string): never => {
    throw new CodegenError(`${origin}: ${path}: ${why}`);
  };
  if (!isObject(value)) return fail('(root)', 'expected a JSON object');
  if (value.format !== 'moodle-external-functions/1') fail('format', `expected "moodle-external-functions/1", got ${JSON.stringify(value.format)}`);
  if (!isObject(value.moodle)) fail('moodle', 'expected an object with release, version, branch');
  for (const key of ['release', 'version', 'branch']) {
    if (typeof (value.moodle as Record<string, unknown>)[key] !== 'string') fail(`moodle.${key}`, 'expected a string');
  }
  if (!Array.isArray(value.functions)) return fail('functions', 'expected an array');
  const seen = new Set<string>();
  value.functions.forEach((fn: unknown, i: number) => {
    const at = `functions[${i}]`;
    if (!isObject(fn)) return fail(at, 'expected an object');
    if (typeof fn.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(fn.name)) fail(`${at}.name`, 'expected a function name');
    if (seen.has(fn.name as string)) fail(`${at}.name`, `duplicate function ${fn.name}`);
    seen.add(fn.name as string);
    if (typeof fn.component !== 'string') fail(`${at}.component`, 'expected a string');
    if (fn.type !== 'read' && fn.type !== 'write') fail(`${at}.type`, 'expected "read" or "write"');
    if (typeof fn.description !== 'string') fail(`${at}.description`, 'expected a string');
    if (!Array.isArray(fn.capabilities)) fail(`${at}.capabilities`, 'expected an array');
    for (const flag of ['ajax', 'loginrequired', 'deprecated']) {
      if (typeof fn[flag] !== 'boolean') fail(`${at}.${flag}`, 'expected a boolean');
    }
    if (!isObject(fn.parameters) || (fn.parameters.kind !== 'function_parameters' && fn.parameters.kind !== 'single_structure')) {
      fail(`${at}.parameters`, 'expected a function_parameters node');
    }
    validateNode(fn.parameters, `${at}.parameters`, fail);
    if (fn.returns !== null) validateNode(fn.returns, `${at}.returns`, fail);
  });
  if (!Array.isArray(value.errors)) fail('errors', 'expected an array');
  return value as unknown as FunctionsDocument;
}

function validateNode(node: unknown, at: string, fail: (path: string, why: string) => never): asserts node is DescriptionNode {
  if (!isObject(node)) fail(at, 'expected a description node');
  const n = node as Record<string, unknown>;
  if (!REQUIREDNESS.has(n.required as string)) fail(`${at}.required`, 'expected VALUE_REQUIRED, VALUE_OPTIONAL or VALUE_DEFAULT');
  if (typeof n.allownull !== 'boolean') fail(`${at}.allownull`, 'expected a boolean');
  switch (n.kind) {
    case 'value':
      if (typeof n.type !== 'string' || n.type === '') fail(`${at}.type`, 'expected a PARAM_* type');
      return;
    case 'single_structure':
    case 'function_parameters':
      if (!isObject(n.keys)) fail(`${at}.keys`, 'expected an object');
      for (const [key, child] of Object.entries(n.keys as Record<string, unknown>)) validateNode(child, `${at}.keys.${key}`, fail);
      return;
    case 'multiple_structure':
      validateNode(n.content, `${at}.content`, fail);
      return;
    default:
      fail(`${at}.kind`, `unknown node kind ${JSON.stringify(n.kind)}`);
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
