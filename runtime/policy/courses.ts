import { LRUCache } from 'lru-cache';
import type { CatalogFunction, CourseRef, CourseRefVia } from '../catalog/types.ts';
import { tokenId } from '../shared/token-id.ts';
import {
  isMoodleLookup,
  lookupGroups,
  lookupModule,
  lookupResolver,
  MOODLE_LOOKUPS,
  RESOLVER_BATCH,
  RESOLVER_FUNCTION,
  type CallMoodle,
  type Found,
} from './course-lookups.ts';
import { asId, parsePath, valuesAt } from './paths.ts';
import type { CourseGap } from './types.ts';

export { RESOLVER_FUNCTION, type CallMoodle } from './course-lookups.ts';

/** How one reference of a call was mapped to its course: the provenance `policy explain` shows. */
export interface CourseFact {
  /** Argument path of the reference. */
  path: string;
  /** Entity type looked up (a context_instance ref takes the entity of its level: course, course_module, block_instance). */
  entity: string;
  module?: string;
  /** The entity id (an argument value: shown by explain, never audited). */
  id?: number;
  /** How it was mapped; `none` when it could not be. */
  via: CourseRefVia | 'none';
  /** The Moodle function that answered (`moodle` and `resolver` via). */
  moodleFunction?: string;
  /** The mapping came from the per-token cache (no Moodle call). */
  cached?: boolean;
  /**
   * `course` (see `course`), `nocourse` (exists outside any course), `result` (checked on the answer), `pending` (a
   * lookup is planned: see `resolve`), or why it could not be mapped.
   */
  outcome: 'course' | 'nocourse' | 'result' | 'pending' | CourseGap['why'];
  course?: number;
}

/** The course facts of one call. */
export interface CourseResolution {
  /** Distinct course ids the call references, ascending. */
  courses: number[];
  /** false when some reference could not be mapped (the policy denies under a course restriction). */
  resolved: boolean;
  /** Unmapped references by entity type and why (deduplicated; no ids). */
  gaps: CourseGap[];
  /** One fact per distinct reference (path, entity, id). */
  facts: CourseFact[];
  /** Some references are checked on the answer (read functions with resultCourseRefs). */
  resultCheck: boolean;
  /** Moodle calls made for this resolution (cache hits don't count): they count toward the rate budget. */
  lookups: number;
}

/** What the arguments alone tell, and the references still waiting for a lookup. */
export interface CoursePlan {
  readonly resolution: CourseResolution;
  /** References waiting for a Moodle lookup or the answer's course: a call with pending > 0 is decided twice. */
  readonly pending: number;
  /** @internal */
  readonly items: Item[];
}

export interface CourseResolverOptions {
  callMoodle: CallMoodle;
  /** Cache lifetime of a mapping that was found (course, or no course), default 5 minutes. */
  ttlMs?: number;
  /** Cache lifetime of a failed or unknown lookup, default 30 seconds: a refused caller can't make the gateway hammer Moodle. */
  failureTtlMs?: number;
  /** Cache size (entries), default 10 000. */
  max?: number;
  /** Distinct entities one call may need looked up before it counts as unresolved, default 50. */
  maxLookupsPerCall?: number;
  /** Told about each entity looked up: answered from the cache (hit), asked Moodle (miss), Moodle could not say (failure). */
  onLookup?(result: 'hit' | 'miss' | 'failure'): void;
}

export interface CourseResolver {
  /**
   * Maps what needs no lookup (course ids, context levels outside courses, refs nothing can resolve) and lists the
   * rest. `resolver`: the caller's site enables local_moodlemcp_resolve_courses. Never throws.
   */
  plan(fn: Pick<CatalogFunction, 'courseRefs' | 'access' | 'resultCourseRefs'> & { name?: string }, args: Record<string, unknown>, options: { resolver: boolean }): CoursePlan;
  /** Looks the pending references up with the caller's token: batched, at most one resolver call, cached per token. Never throws. */
  resolve(plan: CoursePlan, token: string): Promise<CourseResolution>;
  /** Forget cached mappings (e.g. after a Moodle change). */
  clear(): void;
}

type LookupVia = 'moodle' | 'result' | 'resolver';

/** One distinct entity waiting for a lookup. */
interface Item {
  entity: string;
  module?: string;
  id: number;
  /** Methods left to try, in the catalog's order of preference. */
  methods: LookupVia[];
  facts: CourseFact[];
  /** A lookup was tried and failed (then an exhausted item is `unknown`). */
  tried?: boolean;
  /** The outcome when no method could be tried (`no_resolver` when the resolver could help). */
  fallback: 'unmappable' | 'no_resolver';
}

interface Cached {
  found: number | null;
  via: 'moodle' | 'resolver';
  moodleFunction: string;
}

// Context levels as web-service functions take them: names (core_competency, core_grades, ...) or numbers.
const LEVELS: Record<string, 'system' | 'user' | 'category' | 'course' | 'module' | 'block'> = {
  system: 'system', '10': 'system', user: 'user', '30': 'user', coursecat: 'category', category: 'category', '40': 'category',
  course: 'course', '50': 'course', module: 'module', '70': 'module', block: 'block', '80': 'block',
};

const itemKey = (entity: string, module: string | undefined, id: number) => `${entity}:${module ?? ''}:${id}`;

/** The `type` local_moodlemcp_resolve_courses takes: the entity type, `mod_<module>` for a module instance. */
const resolverType = (item: Pick<Item, 'entity' | 'module'>) => (item.entity === 'module_instance' ? `mod_${item.module}` : item.entity);

/** The values at `ref.path`, each with the value of its sibling `levelPath` (context_instance refs). */
function referenced(ref: CourseRef, args: Record<string, unknown>): { value: unknown; level?: unknown }[] {
  if (!ref.levelPath) return valuesAt(args, ref.path).map((value) => ({ value }));
  const steps = parsePath(ref.path);
  const last = steps.at(-1);
  const levelLast = parsePath(ref.levelPath).at(-1);
  if (!last || !('key' in last) || !levelLast || !('key' in levelLast)) return valuesAt(args, ref.path).map((value) => ({ value, level: undefined }));
  return valuesAt(args, steps.slice(0, -1)).flatMap((parent) => {
    const p = parent as Record<string, unknown>;
    if (!p || typeof p !== 'object' || !Object.hasOwn(p, last.key)) return [];
    return [{ value: p[last.key], level: Object.hasOwn(p, levelLast.key) ? p[levelLast.key] : undefined }];
  });
}

/** Maps course references: course ids directly, the rest through Moodle's own functions, the answer, or the resolver. */
export function createCourseResolver(opts: CourseResolverOptions): CourseResolver {
  const cache = new LRUCache<string, Cached>({ max: opts.max ?? 10_000, ttl: opts.ttlMs ?? 5 * 60_000 });
  // Failures per method (`moodle:` or `resolver:` + item key): the next method may still know the entity.
  const failures = new LRUCache<string, true>({ max: opts.max ?? 10_000, ttl: opts.failureTtlMs ?? 30_000 });
  const maxLookups = opts.maxLookupsPerCall ?? 50;
  const inflight = new Map<string, Promise<Found>>();

  function plan(fn: Pick<CatalogFunction, 'courseRefs' | 'access' | 'resultCourseRefs'> & { name?: string }, args: Record<string, unknown>, options: { resolver: boolean }): CoursePlan {
    const courses = new Set<number>();
    const facts: CourseFact[] = [];
    const seen = new Set<string>();
    const items = new Map<string, Item>();
    const resultPossible = fn.access === 'read' && (fn.resultCourseRefs?.length ?? 0) > 0;

    const fact = (f: CourseFact) => {
      const key = `${f.path}|${f.entity}|${f.module ?? ''}|${f.id ?? ''}|${f.outcome}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      facts.push(f);
      return f;
    };

    for (const ref of fn.courseRefs) {
      let values: { value: unknown; level?: unknown }[];
      try {
        values = referenced(ref, args);
      } catch {
        fact({ path: ref.path, entity: ref.entity, via: 'none', outcome: 'invalid' });
        continue;
      }
      for (const { value, level } of values) {
        const id = asId(value);
        let entity = ref.entity;
        let methods = ref.via.filter((v): v is LookupVia => v !== 'argument');
        if (id === undefined) {
          fact({ path: ref.path, entity, via: 'none', outcome: 'invalid' });
          continue;
        }
        if (ref.levelPath) {
          const lvl = LEVELS[String(level ?? '').toLowerCase()];
          if (!lvl) {
            fact({ path: ref.levelPath, entity: 'context_level', via: 'none', outcome: 'invalid' });
            continue;
          }
          if (lvl === 'system' || lvl === 'user' || lvl === 'category') {
            fact({ path: ref.path, entity: `${lvl}_context`, id, via: 'argument', outcome: 'nocourse' });
            continue;
          }
          entity = lvl === 'course' ? 'course' : lvl === 'module' ? 'course_module' : 'block_instance';
          methods = lvl === 'module' ? ['moodle', ...methods.filter((m) => m !== 'moodle')] : lvl === 'block' ? ['resolver'] : methods;
        }
        if (entity === 'course') {
          courses.add(id); // 0 (all courses) and 1 (the site course) count as courses: fail closed
          fact({ path: ref.path, entity, id, via: 'argument', outcome: 'course', course: id });
          continue;
        }
        if (id === 0) continue; // no course module, group, discussion, ... has id 0: Moodle's "none" default, not a reference
        // The lookup function itself (core_course_get_course_module for its own cmid) is checked on its answer instead:
        // the same call, made once.
        const selfLookup = resultPossible && isMoodleLookup(entity) && MOODLE_LOOKUPS[entity] === fn.name;
        const usable = methods.filter(
          (m) =>
            (m === 'moodle' && isMoodleLookup(entity) && (entity !== 'module_instance' || !!ref.module) && !selfLookup) ||
            (m === 'result' && resultPossible) ||
            (m === 'resolver' && options.resolver && (entity !== 'module_instance' || !!ref.module)),
        );
        const key = itemKey(entity, ref.module, id);
        // Without a usable method: the resolver is the remedy when it could map the entity; else nothing can.
        const fallback = !options.resolver && methods.includes('resolver') ? 'no_resolver' : 'unmappable';
        const f = fact({ path: ref.path, entity, module: ref.module, id, via: 'none', outcome: usable.length ? 'pending' : fallback });
        if (!usable.length) continue;
        let item = items.get(key);
        if (!item) items.set(key, (item = { entity, module: ref.module, id, methods: usable, facts: [], fallback }));
        if (f) item.facts.push(f);
      }
    }

    const resolution = summarize({ courses, facts, resultCheck: false, lookups: 0 });
    if (items.size > maxLookups) {
      for (const item of items.values()) for (const f of item.facts) f.outcome = 'too_many';
      return { resolution: summarize({ courses, facts, resultCheck: false, lookups: 0 }), pending: 0, items: [] };
    }
    return { resolution, pending: items.size, items: [...items.values()] };
  }

  function settle(item: Item, via: 'moodle' | 'resolver', moodleFunction: string, found: number | null, cached: boolean) {
    for (const f of item.facts) {
      Object.assign(f, { via, moodleFunction, outcome: found === null ? 'nocourse' : 'course' }, found === null ? {} : { course: found });
      if (cached) f.cached = true;
    }
    item.methods = [];
  }

  async function resolve(p: CoursePlan, token: string): Promise<CourseResolution> {
    const tid = tokenId(token);
    const courses = new Set(p.resolution.courses);
    let lookups = 0;
    let resultCheck = false;
    const open = p.items.filter((item) => {
      const hit = cache.get(`${tid}|${itemKey(item.entity, item.module, item.id)}`);
      if (hit) settle(item, hit.via, hit.moodleFunction, hit.found, true);
      opts.onLookup?.(hit ? 'hit' : 'miss');
      return !hit;
    });
    // Skips methods that failed for this token within the failure window.
    const advance = (item: Item) => {
      while (item.methods.length && item.methods[0] !== 'result' && failures.has(`${tid}|${item.methods[0]}|${itemKey(item.entity, item.module, item.id)}`)) {
        item.methods.shift();
        item.tried = true;
      }
    };
    const record = (item: Item, via: 'moodle' | 'resolver', moodleFunction: string, found: Found) => {
      const key = itemKey(item.entity, item.module, item.id);
      if (found === undefined) {
        opts.onLookup?.('failure');
        failures.set(`${tid}|${via}|${key}`, true);
        item.methods.shift();
        item.tried = true;
        return;
      }
      cache.set(`${tid}|${key}`, { found, via, moodleFunction });
      settle(item, via, moodleFunction, found, false);
    };

    // 1. Moodle's own functions: one call per course module or instance, one per batch of groups or groupings.
    open.forEach(advance);
    const viaMoodle = open.filter((i) => i.methods[0] === 'moodle');
    const batches = new Map<'group' | 'grouping', Item[]>();
    const singles: Promise<void>[] = [];
    for (const item of viaMoodle) {
      if (item.entity === 'group' || item.entity === 'grouping') {
        batches.set(item.entity, [...(batches.get(item.entity) ?? []), item]);
        continue;
      }
      const entity = item.entity as 'course_module' | 'module_instance';
      // Concurrent calls naming the same module share one lookup (only the call that starts it counts it).
      const key = `${tid}|${itemKey(entity, item.module, item.id)}`;
      let pending = inflight.get(key);
      if (!pending) {
        lookups++;
        pending = lookupModule(opts.callMoodle, token, entity, item.id, item.module).catch(() => undefined);
        inflight.set(key, pending);
        void pending.finally(() => inflight.delete(key));
      }
      singles.push(pending.then((found) => record(item, 'moodle', MOODLE_LOOKUPS[entity], found)));
    }
    for (const [entity, list] of batches) {
      lookups++;
      singles.push(
        lookupGroups(opts.callMoodle, token, entity, list.map((i) => i.id)).then(
          (found) => list.forEach((i) => record(i, 'moodle', MOODLE_LOOKUPS[entity], found.get(i.id))),
          () => list.forEach((i) => record(i, 'moodle', MOODLE_LOOKUPS[entity], undefined)),
        ),
      );
    }
    await Promise.all(singles);

    // 2. The answer, for read functions: checked after the call (the pipeline decides on the answer's courses).
    open.forEach(advance);
    for (const item of open) {
      if (item.methods[0] !== 'result') continue;
      resultCheck = true;
      for (const f of item.facts) Object.assign(f, { via: 'result', outcome: 'result' });
      item.methods = [];
    }

    // 3. Everything else: one call of the local_moodlemcp resolver.
    const viaResolver = open.filter((i) => i.methods[0] === 'resolver');
    if (viaResolver.length > RESOLVER_BATCH) {
      for (const item of viaResolver) for (const f of item.facts) f.outcome = 'too_many';
    } else if (viaResolver.length) {
      lookups++;
      let found = new Map<string, Found>();
      try {
        found = await lookupResolver(opts.callMoodle, token, viaResolver.map((i) => ({ type: resolverType(i), id: i.id })));
      } catch {
        // Moodle unreachable or the plugin failed: every reference is unknown (fail closed), cached briefly.
      }
      for (const item of viaResolver) record(item, 'resolver', RESOLVER_FUNCTION, found.get(`${resolverType(item)}:${item.id}`));
    }

    for (const item of p.items) {
      for (const f of item.facts) {
        if (f.outcome === 'course' && f.course !== undefined) courses.add(f.course);
        else if (f.outcome === 'pending') f.outcome = item.tried ? 'unknown' : item.fallback;
      }
    }
    return summarize({ courses, facts: p.resolution.facts, resultCheck, lookups });
  }

  return {
    plan,
    resolve,
    clear() {
      cache.clear();
      failures.clear();
    },
  };
}

// A planned lookup is no gap yet: the call is decided on its facts only after `resolve`.
const GAPS = new Set<CourseFact['outcome']>(['no_resolver', 'unknown', 'invalid', 'too_many', 'unmappable']);

function summarize(r: { courses: Set<number>; facts: CourseFact[]; resultCheck: boolean; lookups: number }): CourseResolution {
  const gaps = new Map<string, CourseGap>();
  for (const f of r.facts) {
    if (GAPS.has(f.outcome)) gaps.set(`${f.entity}|${f.outcome}`, { entity: f.entity, why: f.outcome as CourseGap['why'] });
  }
  return {
    courses: [...r.courses].sort((a, b) => a - b),
    resolved: gaps.size === 0,
    gaps: [...gaps.values()].sort((a, b) => a.entity.localeCompare(b.entity) || a.why.localeCompare(b.why)),
    facts: r.facts,
    resultCheck: r.resultCheck,
    lookups: r.lookups,
  };
}
