import { LRUCache } from 'lru-cache';
import type { CatalogFunction, CourseRef } from '../catalog/types.ts';
import { tokenId } from '../shared/token-id.ts';
import { asId, valuesAt } from './paths.ts';

/** Calls a Moodle web-service function with the given token (the caller's own); rejects on a Moodle error. */
export type CallMoodle = (token: string, fn: string, args: Record<string, unknown>) => Promise<unknown>;

export interface CourseResolution {
  /** Distinct course ids the call references, ascending. */
  courses: number[];
  /** false when some reference could not be mapped to a course (the policy denies under a course restriction). */
  resolved: boolean;
  /** Which references failed, as `path` or `path (entity)`, for audit and explain; no argument values. */
  unresolved?: string[];
}

export interface CourseResolverOptions {
  callMoodle: CallMoodle;
  /** Cache lifetime of a cm/instance → course mapping, default 5 minutes. */
  ttlMs?: number;
  /** Cache size (entries), default 10 000. */
  max?: number;
  /** Distinct lookups one call may need before it counts as unresolved, default 50. */
  maxLookupsPerCall?: number;
  /** Told about each lookup: answered from the cache (hit), asked Moodle (miss), Moodle could not say (failure). */
  onLookup?(result: 'hit' | 'miss' | 'failure'): void;
}

export interface CourseResolver {
  /** Courses referenced by validated `args` of `fn`, per the catalog's `courseRefs`. Never throws: failures give resolved=false. */
  resolve(fn: Pick<CatalogFunction, 'name' | 'courseRefs'>, args: Record<string, unknown>, token: string): Promise<CourseResolution>;
  /** Forget cached mappings (e.g. after a Moodle change). */
  clear(): void;
}

const RESOLVED_HERE = new Set(['course', 'course_module', 'module_instance']);

type Lookup = { kind: 'cm'; id: number } | { kind: 'instance'; module: string; id: number };

const lookupKey = (l: Lookup) => (l.kind === 'cm' ? `cm:${l.id}` : `instance:${l.module}:${l.id}`);

function courseOfModule(response: unknown): number | undefined {
  const cm = (response as { cm?: { course?: unknown } } | null)?.cm;
  const course = asId(cm?.course);
  return course !== undefined && course > 0 ? course : undefined;
}

/** Resolves course references: `course` refs directly, `cm` and module `instance` refs with cached Moodle lookups. */
export function createCourseResolver(opts: CourseResolverOptions): CourseResolver {
  const cache = new LRUCache<string, number>({ max: opts.max ?? 10_000, ttl: opts.ttlMs ?? 5 * 60_000 });
  const inflight = new Map<string, Promise<number | undefined>>();
  const maxLookups = opts.maxLookupsPerCall ?? 50;

  async function fetchCourse(token: string, l: Lookup): Promise<number | undefined> {
    try {
      const response =
        l.kind === 'cm'
          ? await opts.callMoodle(token, 'core_course_get_course_module', { cmid: l.id })
          : await opts.callMoodle(token, 'core_course_get_course_module_by_instance', { module: l.module, instance: l.id });
      return courseOfModule(response);
    } catch {
      return undefined; // unknown or invisible entity, or Moodle unreachable: unresolved (fail closed)
    }
  }

  function lookup(token: string, l: Lookup): Promise<number | undefined> {
    // Per token: what a user can see differs per user.
    const key = `${tokenId(token)}:${lookupKey(l)}`;
    const cached = cache.get(key);
    opts.onLookup?.(cached !== undefined ? 'hit' : 'miss');
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = inflight.get(key);
    if (!pending) {
      pending = fetchCourse(token, l).then((course) => {
        if (course === undefined) opts.onLookup?.('failure');
        inflight.delete(key);
        if (course !== undefined) cache.set(key, course); // failures are not cached
        return course;
      });
      inflight.set(key, pending);
    }
    return pending;
  }

  return {
    async resolve(fn, args, token) {
      const courses = new Set<number>();
      const unresolved = new Set<string>();
      const lookups = new Map<string, { lookup: Lookup; paths: Set<string> }>();
      const want = (ref: CourseRef, l: Lookup) => {
        const key = lookupKey(l);
        const entry = lookups.get(key) ?? { lookup: l, paths: new Set<string>() };
        entry.paths.add(ref.path);
        lookups.set(key, entry);
      };

      for (const ref of fn.courseRefs) {
        let values: unknown[];
        try {
          values = valuesAt(args, ref.path);
        } catch {
          unresolved.add(ref.path);
          continue;
        }
        for (const value of values) {
          const id = asId(value);
          // Until the resolver and the other lookups are wired in (issue 10), only courses, course modules and module
          // instances resolve; every other course-bound entity is unresolved.
          if (id === 0 && ref.entity !== 'course') {
            // No entity has id 0: Moodle's "none" default (cmid=0, groupid=0). Not a reference.
          } else if (!RESOLVED_HERE.has(ref.entity) || (ref.entity === 'module_instance' && !ref.module)) {
            unresolved.add(`${ref.path} (${ref.entity})`);
          } else if (id === undefined) {
            unresolved.add(ref.path);
          } else if (ref.entity === 'course') {
            courses.add(id); // 0 (all courses) and 1 (the site course) count as courses: fail closed
          } else if (ref.entity === 'course_module') {
            want(ref, { kind: 'cm', id });
          } else if (ref.entity === 'module_instance' && ref.module) {
            want(ref, { kind: 'instance', module: ref.module, id });
          } else {
            unresolved.add(ref.path);
          }
        }
      }

      if (lookups.size > maxLookups) {
        for (const { paths } of lookups.values()) for (const p of paths) unresolved.add(p);
      } else {
        const entries = [...lookups.values()];
        const found = await Promise.all(entries.map((e) => lookup(token, e.lookup)));
        found.forEach((course, i) => {
          if (course !== undefined) courses.add(course);
          else for (const p of entries[i]!.paths) unresolved.add(p);
        });
      }

      const result: CourseResolution = { courses: [...courses].sort((a, b) => a - b), resolved: unresolved.size === 0 };
      if (unresolved.size) result.unresolved = [...unresolved].sort();
      return result;
    },
    clear() {
      cache.clear();
    },
  };
}
