/**
 * The catalog contract between codegen (which writes `generated/catalog.json` and
 * `generated/schemas/<component>.json`) and the runtime (which reads them). The catalog is the single
 * source of truth about Moodle functions: nothing else re-derives access or course references.
 */

export type Access = 'read' | 'write';

/** A JSON Schema (draft 2020-12) object. */
export type JsonSchema = Record<string, unknown>;

/** How the gateway resolves a reference to a course, in order of preference. */
export type CourseRefVia = 'argument' | 'moodle' | 'result' | 'resolver';

/**
 * An argument path that names a course or a course-bound entity (codegen/entities.ts is the vocabulary).
 * Path syntax: dots for object keys, `[]` for every item of a list: `courseid`, `courseids[]`,
 * `options.ids[]`, `enrolments[].courseid`, `events.courseids[]`.
 */
export interface CourseRef {
  /** Argument path (dots for keys, [] for list items). */
  path: string;
  /** Entity type: 'course', 'course_module', 'module_instance', 'group', 'forum_discussion', ... (Catalog.entities). */
  entity: string;
  /** module_instance only: the module name (forum, quiz, assign, ...). */
  module?: string;
  /** entity 'context_instance' only: path of the sibling contextlevel argument (the ref's value is the instanceid). */
  levelPath?: string;
  /**
   * How the gateway resolves it, in order of preference: 'argument' (the value IS a course id), 'moodle' (a Moodle
   * core function the caller may call, Catalog.entities[entity].moodle), 'result' (READ functions only: the answer's
   * course, at the function's resultCourseRefs paths, is checked before it is released), 'resolver'
   * (local_moodlemcp_resolve_courses, when the site enables it). Empty: the call is refused under a course restriction.
   */
  via: CourseRefVia[];
  /** `rule:<name>` when found by a codegen rule, `override` when set in codegen/overrides.yaml. */
  source: string;
}

/** One entity type of the catalog (codegen/entities.ts). */
export interface CatalogEntity {
  /** Whether a course restriction must check it (course-free entities are not course refs). */
  courseBound: boolean;
  /** Moodle core function used for the 'moodle' via. */
  moodle?: string;
  description: string;
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
  /** Every argument path naming a course or a course-bound entity. Empty when none. */
  courseRefs: CourseRef[];
  /** READ functions whose single-object answer names its course: the result paths holding that course id. */
  resultCourseRefs?: string[];
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
  /**
   * The site's release, version and branch, and `source`: `functions:sha256:<hex>`, the SHA-256 of the described
   * function set (codegen/sources/fingerprint.ts), never a path or URL.
   */
  moodle: { release: string; version: string; branch: string; source: string };
  /** Functions left out: not enabled in the token's service (live introspection), the gateway's own plugin functions. */
  excluded?: { name: string; reason: string }[];
  /** Reviewed entries (codegen/overrides.yaml, descriptions.yaml) not applied because the site lacks their function. */
  skippedOverrides?: { name: string; file: string; reason: string }[];
  /** Every entity type that course refs name (codegen/entities.ts), by name. */
  entities: Record<string, CatalogEntity>;
  functions: CatalogFunction[];
}

/** `generated/schemas/<component>.json`: `{ [functionName]: { input, output } }`. */
export type ComponentSchemas = Record<string, { input: JsonSchema; output: JsonSchema }>;
