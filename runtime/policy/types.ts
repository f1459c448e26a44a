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
  /** Calls already made by this connection in the current window (before this one), per the rate limiter. */
  usage: { window_seconds: number; connection_calls: number; function_calls: number };
  /** Unix time in nanoseconds, passed in rather than read from a host builtin. */
  now_ns: number;
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
