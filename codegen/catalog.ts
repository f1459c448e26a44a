import { PLUGIN_FUNCTION_PREFIX } from '../runtime/moodle/plugin.ts';
import type { Catalog, CatalogEntity, CatalogFunction, ComponentSchemas, CourseRef, CourseRefVia } from '../runtime/catalog/types.ts';
import { annotationsFor, titleFor } from './annotations.ts';
import { argumentLeaves, isIdLike, NOT_ENTITIES, ruleOutputCourseRefs, ruleReferences, type EntityReference } from './course-refs.ts';
import { ENTITY_TYPES, viaFor } from './entities.ts';
import { functionGuide, loadDescriptionOverrides, unknownDescribed } from './descriptions.ts';
import { CodegenError } from './errors.ts';
import type { FunctionOverride, Overrides } from './overrides.ts';
import { inputSchema } from './schema/input.ts';
import { outputSchema } from './schema/output.ts';
import { normaliseWhitespace } from './schema/text.ts';
import { functionSetSource } from './sources/fingerprint.ts';
import type { DescriptionNode, FunctionDescription, FunctionsDocument } from './sources/types.ts';

export interface CatalogOptions {
  /** Release/version from the live site's core_webservice_get_site_info (else the document's). */
  site?: { release: string; version: string };
  /** Live introspection: the functions the token's service enables; others are excluded. */
  enabled?: ReadonlySet<string>;
  /** Keep the gateway's own plugin functions (local_moodlemcp_*) as tools; by default they are excluded. */
  includePluginFunctions?: boolean;
}

/**
 * Why an entry of codegen/overrides.yaml or descriptions.yaml was not applied: it names a function this site lacks
 * (Moodle 5.0 removed mod_chat, a site may uninstall a module). Listed in the catalog and in course-refs.md.
 */
export const SKIPPED_REASON = 'no such function on this site';

/** The gateway's own Moodle plugin (codegen/moodle/local_moodlemcp): its functions serve the gateway, not the clients. */
export { PLUGIN_FUNCTION_PREFIX };

/** Every classified argument of one function, for the generated report (generated/course-refs.md). */
export interface FunctionCoverage {
  name: string;
  access: 'read' | 'write';
  /** Course-bound references as in the catalog (with via), unclassified id-like arguments included. */
  courseRefs: CourseRef[];
  /** Course-free references (not course refs), with their entity. */
  courseFree: EntityReference[];
  /** Result paths naming the answer's course ('result' via). */
  resultCourseRefs: string[];
}

export interface CatalogBuild {
  catalog: Catalog;
  /** JSON Schemas per component (`generated/schemas/<component>.json`). */
  schemas: Record<string, ComponentSchemas>;
  /** Per function (sorted by name), every classified argument. */
  coverage: FunctionCoverage[];
}

/**
 * Builds the catalog and the per-component JSON Schemas from a description document and the reviewed
 * overrides. Pure: same input, same output (sorted by function name, no timestamps).
 */
export function buildCatalog(doc: FunctionsDocument, overrides: Overrides, options: CatalogOptions = {}): CatalogBuild {
  const known = new Set(doc.functions.map((fn) => fn.name));
  const described = loadDescriptionOverrides();
  const skippedOverrides = [
    ...Object.keys(overrides).filter((name) => !known.has(name)).map((name) => ({ name, file: 'codegen/overrides.yaml' })),
    ...unknownDescribed(described, known).map((name) => ({ name, file: 'codegen/descriptions.yaml' })),
  ].map(({ name, file }) => ({ name, file, reason: SKIPPED_REASON })).sort((a, b) => compare(a.name, b.name) || compare(a.file, b.file));
  const excluded: { name: string; reason: string }[] = [];
  const functions: CatalogFunction[] = [];
  const coverage: FunctionCoverage[] = [];
  const schemas: Record<string, ComponentSchemas> = {};
  for (const fn of [...doc.functions].sort((a, b) => compare(a.name, b.name))) {
    if (options.enabled && !options.enabled.has(fn.name)) {
      excluded.push({ name: fn.name, reason: "not enabled in the token's external service" });
      continue;
    }
    if (fn.name.startsWith(PLUGIN_FUNCTION_PREFIX) && !options.includePluginFunctions) {
      excluded.push({ name: fn.name, reason: "the gateway's own plugin function (codegen --include-plugin-functions keeps it)" });
      continue;
    }
    const built = catalogEntry(fn, overrides[fn.name]);
    const entry = { ...built.entry, ...functionGuide(fn, described) };
    const courseFree = built.courseFree;
    functions.push(entry);
    coverage.push({ name: fn.name, access: entry.access, courseRefs: entry.courseRefs, courseFree, resultCourseRefs: entry.resultCourseRefs ?? [] });
    (schemas[fn.component] ??= {})[fn.name] = { input: inputSchema(fn.parameters), output: outputSchema(fn.returns) };
  }
  const catalog: Catalog = {
    format: 'moodle-mcp-catalog/1',
    moodle: {
      release: options.site?.release ?? doc.moodle.release,
      version: options.site?.version ?? doc.moodle.version,
      branch: doc.moodle.branch,
      source: functionSetSource(doc),
    },
    ...(options.enabled || excluded.length ? { excluded } : {}),
    ...(skippedOverrides.length ? { skippedOverrides } : {}),
    entities: catalogEntities(),
    functions,
  };
  return { catalog, schemas, coverage };
}

/** The catalog's entity map (codegen/entities.ts, in the contract's shape). */
export function catalogEntities(): Record<string, CatalogEntity> {
  return Object.fromEntries(Object.entries(ENTITY_TYPES).map(([name, e]) => [
    name,
    { courseBound: e.courseBound, ...(e.moodle ? { moodle: e.moodle } : {}), description: e.description },
  ]));
}

/** One catalog entry: rules first, then the reviewed override. */
export function catalogFunction(fn: FunctionDescription, override?: FunctionOverride): CatalogFunction {
  return catalogEntry(fn, override).entry;
}

function catalogEntry(fn: FunctionDescription, override?: FunctionOverride): { entry: CatalogFunction; courseFree: EntityReference[] } {
  const title = titleFor(fn.name, fn.component);
  const access = override?.access ?? fn.type;
  const references = classify(fn, override);
  const resultRefs = resultCourseRefs(fn, access, override);
  const courseRefs = references.filter((ref) => ENTITY_TYPES[ref.entity]!.courseBound).map((ref) => courseRef(ref, resultRefs.length > 0));
  const courseFree = references.filter((ref) => !ENTITY_TYPES[ref.entity]!.courseBound);
  const entry: CatalogFunction = {
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
    courseRefs,
    ...(resultRefs.length ? { resultCourseRefs: resultRefs } : {}),
    outputCourseRefs: outputCourseRefs(fn, override),
    services: [...(fn.service_memberships ?? [])].sort(compare),
  };
  return { entry, courseFree };
}

/**
 * Every classified argument of a function: rule-found references, corrected by the override, plus every id-like
 * argument that neither classifies (entity `unclassified`: course-bound, unresolvable, so it fails closed).
 * Sorted by path.
 */
export function classify(fn: FunctionDescription, override?: FunctionOverride): EntityReference[] {
  const at = `overrides: functions.${fn.name}`;
  const remove = new Set(override?.removeReferences ?? []);
  const added = (override?.references ?? []).map((ref) => ({ ...ref, source: 'override' }) as EntityReference);
  for (const ref of added) remove.add(ref.path);
  const { references: rule, levels } = ruleReferences(fn);
  const known = new Set(rule.map((ref) => ref.path));
  for (const path of override?.removeReferences ?? []) {
    if (!known.has(path)) throw new CodegenError(`${at}.removeReferences: no rule-found reference ${path}`);
  }
  const valueLeaves = argumentLeaves(fn.parameters);
  const leaves = new Set(valueLeaves.map((leaf) => leaf.path));
  for (const ref of added) {
    if (!leaves.has(ref.path)) throw new CodegenError(`${at}.references: ${ref.path} is not an argument path (of a value)`);
    if (ref.levelPath && !leaves.has(ref.levelPath)) throw new CodegenError(`${at}.references: ${ref.levelPath} is not an argument path`);
    if (ref.levelPath) levels.add(ref.levelPath);
  }
  const references = [...rule.filter((ref) => !remove.has(ref.path)), ...added];
  const classified = new Set(references.map((ref) => ref.path));
  for (const leaf of valueLeaves) {
    // A removed id-like reference is unclassified again: only a reference to another entity replaces it.
    if (classified.has(leaf.path) || levels.has(leaf.path)) continue;
    if (isIdLike(leaf.name) && !Object.hasOwn(NOT_ENTITIES, leaf.name)) {
      references.push({ path: leaf.path, entity: 'unclassified', source: 'rule:unclassified-id' });
    }
  }
  return references.map(normaliseReference).sort((a, b) => compare(a.path, b.path));
}

/** A course-bound reference as a catalog CourseRef, with how it resolves. */
function courseRef(ref: EntityReference, resultVia: boolean): CourseRef {
  const via: CourseRefVia[] = [...viaFor(ref.entity)];
  // module_instance needs its module for both Moodle's lookup and the resolver.
  const usable = ref.entity === 'module_instance' && !ref.module ? [] : via;
  if (resultVia && ref.entity !== 'course') {
    const at = usable.indexOf('resolver');
    usable.splice(at === -1 ? usable.length : at, 0, 'result');
  }
  return {
    path: ref.path,
    entity: ref.entity,
    ...(ref.module ? { module: ref.module } : {}),
    ...(ref.levelPath ? { levelPath: ref.levelPath } : {}),
    via: usable,
    source: ref.source,
  };
}

/** Result paths naming the course of a READ function's single-object answer (overrides.yaml resultCourseRefs). */
function resultCourseRefs(fn: FunctionDescription, access: string, override?: FunctionOverride): string[] {
  const paths = override?.resultCourseRefs ?? [];
  if (!paths.length) return [];
  const at = `overrides: functions.${fn.name}.resultCourseRefs`;
  if (access !== 'read') throw new CodegenError(`${at}: only READ functions may be checked on their result (this one writes)`);
  const known = fn.returns ? nodePaths(fn.returns) : new Set<string>();
  for (const path of paths) {
    if (!known.has(path)) throw new CodegenError(`${at}: ${path} is not a result path`);
    if (path.includes('[]')) throw new CodegenError(`${at}: ${path} is inside a list: the answer's course must be a single value`);
  }
  return [...paths];
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
function normaliseReference(ref: EntityReference): EntityReference {
  return {
    path: ref.path,
    entity: ref.entity,
    ...(ref.module ? { module: ref.module } : {}),
    ...(ref.levelPath ? { levelPath: ref.levelPath } : {}),
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
