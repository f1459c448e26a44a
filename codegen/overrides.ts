import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Access } from '../runtime/catalog/types.ts';
import type { EntityReference } from './course-refs.ts';
import { ENTITY_TYPES } from './entities.ts';
import { CodegenError } from './errors.ts';
import { isObject } from './sources/validate.ts';

/** The reviewed overrides file shipped with the codegen. */
export const DEFAULT_OVERRIDES = fileURLToPath(new URL('./overrides.yaml', import.meta.url));

/** One reviewed correction for one function (codegen/overrides.yaml `functions.<name>`). */
export interface FunctionOverride {
  reason: string;
  access?: Access;
  /** Entity references to add (replacing a rule-found reference with the same path); course-bound or course-free. */
  references?: Omit<EntityReference, 'source'>[];
  /** Rule-found reference paths to drop. */
  removeReferences?: string[];
  /** READ functions only: result paths (outside lists) naming the course of the answer ('result' via). */
  resultCourseRefs?: string[];
  /** Output course paths to add. */
  outputCourseRefs?: string[];
  /** Forces the MCP destructiveHint. */
  destructive?: boolean;
}

export type Overrides = Record<string, FunctionOverride>;

const FIELDS = new Set(['reason', 'access', 'references', 'removeReferences', 'resultCourseRefs', 'outputCourseRefs', 'destructive']);
const REF_FIELDS = new Set(['path', 'entity', 'module', 'levelPath']);

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
    const refs = raw.references ?? [];
    if (!Array.isArray(refs)) return fail(`${at}.references`, 'expected a list');
    refs.forEach((ref: unknown, i: number) => {
      const here = `${at}.references[${i}]`;
      if (!isObject(ref) || typeof ref.path !== 'string') return fail(`${here}.path`, 'expected a path');
      for (const key of Object.keys(ref)) if (!REF_FIELDS.has(key)) fail(`${here}.${key}`, `unknown field (allowed: ${[...REF_FIELDS].join(', ')})`);
      if (typeof ref.entity !== 'string' || !Object.hasOwn(ENTITY_TYPES, ref.entity)) {
        fail(`${here}.entity`, `expected an entity type of codegen/entities.ts, got ${JSON.stringify(ref.entity)}`);
      }
      if ((ref.entity === 'module_instance') !== (typeof ref.module === 'string')) fail(`${here}.module`, 'module_instance references (only) need a module');
      if ((ref.entity === 'context_instance') !== (typeof ref.levelPath === 'string')) fail(`${here}.levelPath`, 'context_instance references (only) need a levelPath');
    });
    for (const list of ['removeReferences', 'resultCourseRefs', 'outputCourseRefs'] as const) {
      if (raw[list] !== undefined && (!Array.isArray(raw[list]) || !(raw[list] as unknown[]).every((p) => typeof p === 'string'))) {
        fail(`${at}.${list}`, 'expected a list of paths');
      }
    }
    result[name] = raw as unknown as FunctionOverride;
  }
  return result;
}
