import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Access, CourseRef } from '../runtime/catalog/types.ts';
import { CodegenError } from './errors.ts';
import { isObject } from './sources/validate.ts';

/** The reviewed overrides file shipped with the codegen. */
export const DEFAULT_OVERRIDES = fileURLToPath(new URL('./overrides.yaml', import.meta.url));

/** One reviewed correction for one function (codegen/overrides.yaml `functions.<name>`). */
export interface FunctionOverride {
  reason: string;
  access?: Access;
  /** Course references to add (replacing a rule-found ref with the same path). */
  courseRefs?: Omit<CourseRef, 'source'>[];
  /** Rule-found course reference paths to drop. */
  removeCourseRefs?: string[];
  /** Output course paths to add. */
  outputCourseRefs?: string[];
  /** Forces the MCP destructiveHint. */
  destructive?: boolean;
}

export type Overrides = Record<string, FunctionOverride>;

const KINDS = new Set(['course', 'cm', 'instance', 'unresolvable']);
const FIELDS = new Set(['reason', 'access', 'courseRefs', 'removeCourseRefs', 'outputCourseRefs', 'destructive']);

/** Reads and validates codegen/overrides.yaml; every entry must have a `reason`. */
export function loadOverrides(path: string = DEFAULT_OVERRIDES): Overrides {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CodegenError(`cannot read overrides ${path}: ${(error as Error).message}`);
  }
  return parseOverrides(doc, path);
}

/** Validates a parsed overrides document (`{ functions: { name: FunctionOverride } }`). */
export function parseOverrides(doc: unknown, origin = 'overrides'): Overrides {
  const fail = (at: string, why: string): never => {
    throw new CodegenError(`${origin}: ${at}: ${why}`);
  };
  if (!isObject(doc) || !isObject(doc.functions)) return fail('functions', 'expected a map of function name → override');
  const result: Overrides = {};
  for (const [name, raw] of Object.entries(doc.functions)) {
    const at = `functions.${name}`;
    if (!isObject(raw)) return fail(at, 'expected an object');
    for (const key of Object.keys(raw)) if (!FIELDS.has(key)) fail(`${at}.${key}`, `unknown field (allowed: ${[...FIELDS].join(', ')})`);
    if (typeof raw.reason !== 'string' || raw.reason.trim() === '') fail(`${at}.reason`, 'every override needs a reason');
    if (raw.access !== undefined && raw.access !== 'read' && raw.access !== 'write') fail(`${at}.access`, 'expected read or write');
    if (raw.destructive !== undefined && typeof raw.destructive !== 'boolean') fail(`${at}.destructive`, 'expected a boolean');
    const refs = raw.courseRefs ?? [];
    if (!Array.isArray(refs)) return fail(`${at}.courseRefs`, 'expected a list');
    refs.forEach((ref: unknown, i: number) => {
      if (!isObject(ref) || typeof ref.path !== 'string') return fail(`${at}.courseRefs[${i}].path`, 'expected a path');
      if (!KINDS.has(ref.kind as string)) fail(`${at}.courseRefs[${i}].kind`, 'expected course, cm, instance or unresolvable');
      if (ref.kind === 'instance' && typeof ref.module !== 'string') fail(`${at}.courseRefs[${i}].module`, 'instance refs need a module');
      if (ref.kind === 'unresolvable' && typeof ref.entity !== 'string') fail(`${at}.courseRefs[${i}].entity`, 'unresolvable refs need an entity');
    });
    for (const list of ['removeCourseRefs', 'outputCourseRefs'] as const) {
      if (raw[list] !== undefined && (!Array.isArray(raw[list]) || !(raw[list] as unknown[]).every((p) => typeof p === 'string'))) {
        fail(`${at}.${list}`, 'expected a list of paths');
      }
    }
    result[name] = raw as unknown as FunctionOverride;
  }
  return result;
}
