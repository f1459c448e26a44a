/**
 * The catalog contract between codegen (which writes `generated/catalog.json` and
 * `generated/schemas/<component>.json`) and the runtime (which reads them). The catalog is the single
 * source of truth about Moodle functions: nothing else re-derives access or course references.
 */

export type Access = 'read' | 'write';

/** A JSON Schema (draft 2020-12) object. */
export type JsonSchema = Record<string, unknown>;

/**
 * An argument path that names a course or a course-bound entity.
 * Path syntax: dots for object keys, `[]` for every item of a list: `courseid`, `courseids[]`,
 * `options.ids[]`, `enrolments[].courseid`, `events.courseids[]`.
 */
export interface CourseRef {
  path: string;
  /**
   * - `course`: the value is a course id;
   * - `cm`: a course-module id (resolved with core_course_get_course_module);
   * - `instance`: a module instance id of `module` (resolved with core_course_get_course_module_by_instance);
   * - `unresolvable`: a course-bound entity that the gateway cannot map to a course (`entity` says which);
   *   under a course restriction such a call is denied.
   */
  kind: 'course' | 'cm' | 'instance' | 'unresolvable';
  /** Module name for `instance` refs (`forum`, `assign`, `quiz`, ...). */
  module?: string;
  /** Entity name for `unresolvable` refs (`discussion`, `post`, `group`, ...). */
  entity?: string;
  /** `rule:<name>` when found by a codegen rule, `override` when set in codegen/overrides.yaml. */
  source: string;
}

/** MCP tool annotations (2025-06-18 / 2025-11-25). */
export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: false;
}

export interface CatalogFunction {
  name: string;
  /** Human title, e.g. "Course: get courses". */
  title: string;
  /** Moodle's description, whitespace normalised. */
  description: string;
  /** Moodle component (`moodle` for core functions named core_*; `mod_forum`, ...). */
  component: string;
  /** The type that Moodle declares. */
  type: Access;
  /** Effective access after reviewed overrides: what the policy uses. */
  access: Access;
  /** Why access differs from type (from codegen/overrides.yaml), when it does. */
  accessReason?: string;
  capabilities: string[];
  ajax: boolean;
  loginrequired: boolean;
  deprecated: boolean;
  annotations: ToolAnnotations;
  /** `schemas/<component>.json#/<name>/input` and `#/<name>/output`: where the JSON Schemas live. */
  inputSchemaRef: string;
  outputSchemaRef: string;
  /** Argument paths naming courses or course-bound entities. Empty when none. */
  courseRefs: CourseRef[];
  /** Output paths whose values are course ids (for filtering list results), same path syntax (`[].id`, `courses[].id`). */
  outputCourseRefs: string[];
  /** Services (on the introspected site) that enable this function. */
  services: string[];
  /** What it does and returns in a few words, and whether it writes (codegen/descriptions.ts): search result lines. */
  summary?: string;
  /** Description for models (direct tools, moodle_describe_function): does, returns, arguments, where ids come from. */
  guide?: string;
  /** Its parameters' names and descriptions, for the function search index. */
  searchText?: string;
}

export interface Catalog {
  format: 'moodle-mcp-catalog/1';
  moodle: { release: string; version: string; branch: string; source: string };
  /** Functions left out because the token's service does not enable them (live introspection only). */
  excluded?: { name: string; reason: string }[];
  functions: CatalogFunction[];
}

/** `generated/schemas/<component>.json`: `{ [functionName]: { input, output } }`. */
export type ComponentSchemas = Record<string, { input: JsonSchema; output: JsonSchema }>;
