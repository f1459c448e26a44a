/**
 * The policy contract: what TypeScript gathers (facts) and what Rego decides.
 * Entry point: `data.moodle_mcp.decision` → `{ allow, reasons }`, plus `rate_limited: true` when a rate limit denies.
 */

export interface PolicyInput {
  /** `tools/call` decides one call; `tools/list` asks whether a function may be listed (no courses, no rate). */
  action: 'tools/call' | 'tools/list';
  connection: {
    id: string;
    profile: string;
    scopes: string[];
    auth_method: string;
    /** true when the Moodle token belongs to a site administrator. */
    site_admin: boolean;
  };
  client_ip: string;
  function: {
    name: string;
    /** Effective access from the catalog (after overrides). */
    access: 'read' | 'write';
    /** true when the catalog lists course references for this function. */
    has_course_refs: boolean;
  };
  /** Courses the call references, resolved by TS from the catalog's course refs. */
  courses: number[];
  /** false when some course reference could not be resolved (unknown entity, lookup failed). */
  courses_resolved: boolean;
  /** The references that could not be mapped, by entity type and why (never their ids); absent when none. */
  unresolved?: CourseGap[];
  /**
   * true on the first evaluation of a call whose course facts need Moodle lookups: the course rules wait, every
   * other rule decides (a call refused then makes no lookup). Absent or false: the course rules decide.
   */
  courses_deferred?: boolean;
  /** true when some references of a read call are checked on its answer (a further evaluation with the answer's courses). */
  result_check?: boolean;
  /** Calls already made by this connection in the current window (before this one), per the rate limiter. */
  usage: { window_seconds: number; connection_calls: number; function_calls: number };
  /** Unix time in nanoseconds, passed in rather than read from a host builtin. */
  now_ns: number;
}

/** Why a course reference could not be mapped to a course (the policy words the reason). */
export interface CourseGap {
  /** Entity type (`forum_discussion`, `group`, ...; `result` for an answer without a readable course). */
  entity: string;
  /**
   * `no_resolver`: only local_moodlemcp_resolve_courses could map it and the site does not enable it;
   * `unknown`: Moodle does not know it, or the user may not see its course, or the lookup failed;
   * `invalid`: the value is not an id; `too_many`: more distinct entities than one call may look up;
   * `unmappable`: nothing can map it (the catalog lists no way for this function, e.g. a text id);
   * `no_result_course`: the answer of a result-checked call names no readable course.
   */
  why: 'no_resolver' | 'unknown' | 'invalid' | 'too_many' | 'unmappable' | 'no_result_course';
}

export interface Decision {
  allow: boolean;
  reasons: string[];
  /** true when a rate limit denies (the gateway answers 429); absent otherwise, also from policies built before it. */
  rate_limited?: boolean;
}

/** A profile as the policy sees it in `data.profiles[name]` (snake_case, as in the YAML). */
export interface PolicyProfile {
  scopes: string[];
  ip_allow: string[];
  allow: string[];
  deny: string[];
  /** Absent or null: no course restriction. */
  courses?: number[] | null;
  rate_per_minute?: number | null;
  rate_per_function_per_minute?: number | null;
  allow_site_admin: boolean;
}

/** `data` given to the policy: gateway mode, profiles, and site-level functions exempt from course resolution. */
export interface PolicyData {
  mode: 'read-only' | 'read-write';
  profiles: Record<string, PolicyProfile>;
  site_level_functions: string[];
}
