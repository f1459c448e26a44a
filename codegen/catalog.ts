import type { Catalog, CatalogFunction, ComponentSchemas, CourseRef } from '../runtime/catalog/types.ts';
import { annotationsFor, titleFor } from './annotations.ts';
import { functionGuide, loadDescriptionOverrides, unknownDescribed } from './descriptions.ts';
import { ruleCourseRefs, ruleOutputCourseRefs } from './course-refs.ts';
import { CodegenError } from './errors.ts';
import type { FunctionOverride, Overrides } from './overrides.ts';
import { inputSchema } from './schema/input.ts';
import { outputSchema } from './schema/output.ts';
import { normaliseWhitespace } from './schema/text.ts';
import type { DescriptionNode, FunctionDescription, FunctionsDocument } from './sources/types.ts';

export interface CatalogOptions {
  /** Where the description came from, recorded in `catalog.moodle.source` (`snapshot:<file>`, `site:<url>`). */
  source: string;
  /** Release/version from the live site's core_webservice_get_site_info (else the document's). */
  site?: { release: string; version: string };
  /** Live introspection: the functions the token's service enables; others are excluded. */
  enabled?: ReadonlySet<string>;
}

export interface CatalogBuild {
  catalog: Catalog;
  /** JSON Schemas per component (`generated/schemas/<component>.json`). */
  schemas: Record<string, ComponentSchemas>;
}

/**
 * Builds the catalog and the per-component JSON Schemas from a description document and the reviewed
 * overrides. Pure: same input, same output (sorted by function name, no timestamps).
 */
export function buildCatalog(doc: FunctionsDocument, overrides: Overrides, options: CatalogOptions): CatalogBuild {
  const known = new Set(doc.functions.map((fn) => fn.name));
  for (const name of Object.keys(overrides)) {
    if (!known.has(name) && !options.enabled) throw new CodegenError(`overrides: functions.${name}: no such function in ${options.source}`);
  }
  const described = loadDescriptionOverrides();
  const unknown = options.enabled ? [] : unknownDescribed(described, known);
  if (unknown.length) throw new CodegenError(`descriptions: functions.${unknown[0]}: no such function in ${options.source}`);
  const excluded: { name: string; reason: string }[] = [];
  const functions: CatalogFunction[] = [];
  const schemas: Record<string, ComponentSchemas> = {};
  for (const fn of [...doc.functions].sort((a, b) => compare(a.name, b.name))) {
    if (options.enabled && !options.enabled.has(fn.name)) {
      excluded.push({ name: fn.name, reason: "not enabled in the token's external service" });
      continue;
    }
    const entry = { ...catalogFunction(fn, overrides[fn.name]), ...functionGuide(fn, described) };
    functions.push(entry);
    (schemas[fn.component] ??= {})[fn.name] = { input: inputSchema(fn.parameters), output: outputSchema(fn.returns) };
  }
  const catalog: Catalog = {
    format: 'moodle-mcp-catalog/1',
    moodle: {
      release: options.site?.release ?? doc.moodle.release,
      version: options.site?.version ?? doc.moodle.version,
      branch: doc.moodle.branch,
      source: options.source,
    },
    ...(options.enabled ? { excluded } : {}),
    functions,
  };
  return { catalog, schemas };
}

/** One catalog entry: rules first, then the reviewed override. */
export function catalogFunction(fn: FunctionDescription, override?: FunctionOverride): CatalogFunction {
  const title = titleFor(fn.name, fn.component);
  const access = override?.access ?? fn.type;
  return {
    name: fn.name,
    title,
    description: normaliseWhitespace(fn.description),
    component: fn.component,
    type: fn.type,
    access,
    ...(access !== fn.type ? { accessReason: normaliseWhitespace(override?.reason) } : {}),
    capabilities: [...fn.capabilities],
    ajax: fn.ajax,
    loginrequired: fn.loginrequired,
    deprecated: fn.deprecated,
    annotations: annotationsFor(fn.name, title, access, override?.destructive),
    inputSchemaRef: `schemas/${fn.component}.json#/${fn.name}/input`,
    outputSchemaRef: `schemas/${fn.component}.json#/${fn.name}/output`,
    courseRefs: courseRefs(fn, override),
    outputCourseRefs: outputCourseRefs(fn, override),
    services: [...(fn.service_memberships ?? [])].sort(compare),
  };
}

function courseRefs(fn: FunctionDescription, override?: FunctionOverride): CourseRef[] {
  const remove = new Set(override?.removeCourseRefs ?? []);
  const added = (override?.courseRefs ?? []).map((ref) => ({ ...ref, source: 'override' }) as CourseRef);
  for (const ref of added) remove.add(ref.path);
  const rule = ruleCourseRefs(fn);
  const known = new Set(rule.map((ref) => ref.path));
  for (const path of override?.removeCourseRefs ?? []) {
    if (!known.has(path)) throw new CodegenError(`overrides: functions.${fn.name}.removeCourseRefs: no rule-found ref ${path}`);
  }
  const paths = nodePaths(fn.parameters);
  for (const ref of added) {
    if (!paths.has(ref.path)) throw new CodegenError(`overrides: functions.${fn.name}.courseRefs: ${ref.path} is not an argument path`);
  }
  const refs = [...rule.filter((ref) => !remove.has(ref.path)), ...added];
  return refs.map(normaliseRef);
}

function outputCourseRefs(fn: FunctionDescription, override?: FunctionOverride): string[] {
  const paths = new Set(ruleOutputCourseRefs(fn.returns));
  // A path that is not in the result would match nothing at run time, and the filter would keep every item.
  const known = fn.returns ? nodePaths(fn.returns) : new Set<string>();
  for (const path of override?.outputCourseRefs ?? []) {
    if (!known.has(path)) throw new CodegenError(`overrides: functions.${fn.name}.outputCourseRefs: ${path} is not a result path`);
    paths.add(path);
  }
  return [...paths];
}

/** Fixed key order so that the JSON output is stable. */
function normaliseRef(ref: CourseRef): CourseRef {
  return {
    path: ref.path,
    kind: ref.kind,
    ...(ref.module ? { module: ref.module } : {}),
    ...(ref.entity ? { entity: ref.entity } : {}),
    source: ref.source,
  };
}

/** Every path below a description node (catalog path syntax): argument paths of `fn.parameters`, result paths of `fn.returns`. */
export function nodePaths(root: DescriptionNode): Set<string> {
  const paths = new Set<string>();
  const visit = (node: DescriptionNode, path: string) => {
    if (path) paths.add(path);
    if (node.kind === 'multiple_structure') visit(node.content, `${path}[]`);
    else if (node.kind !== 'value') for (const [key, child] of Object.entries(node.keys)) visit(child, path ? `${path}.${key}` : key);
  };
  visit(root, '');
  return paths;
}

/** Locale-independent string order. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
