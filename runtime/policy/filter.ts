import { asId, parsePath, valuesAt, type PathStep } from './paths.ts';

export interface FilteredResult<T> {
  /** The result without the list items of courses that aren't allowed: the input itself when nothing is removed, else a copy sharing its unchanged parts (the input is not modified). */
  result: T;
  /** How many list items were removed. */
  removed: number;
  /** Paths without `[]` (a single course id, e.g. `courseid`, `cm.course`) whose course isn't allowed: withhold the result. */
  blocked: string[];
}

/**
 * Removes list items whose course id (per the catalog's `outputCourseRefs`) isn't in `allowedCourses`.
 * For `courses[].id` the items of `courses` go; for `groupedbycourse[].events[].course.id` the `events` items
 * inside every group. Items without that field are kept (not bound to a course). `allowedCourses` null: no restriction.
 */
export function filterResultByCourses<T>(result: T, outputCourseRefs: string[], allowedCourses: readonly number[] | null | undefined): FilteredResult<T> {
  if (!allowedCourses || outputCourseRefs.length === 0) return { result, removed: 0, blocked: [] };
  const allowed = new Set(allowedCourses);
  const notAllowed = (v: unknown) => {
    const id = asId(v);
    // A present value that is not a readable id counts as not allowed (fail closed).
    return v !== undefined && v !== null && (id === undefined || !allowed.has(id));
  };
  let out: unknown = result;
  let removed = 0;
  const blocked: string[] = [];

  for (const path of outputCourseRefs) {
    const steps = parsePath(path);
    let last = -1;
    steps.forEach((s, i) => 'each' in s && (last = i));
    if (last === -1) {
      if (valuesAt(out, steps).some(notAllowed)) blocked.push(path);
      continue;
    }
    const itemSteps = steps.slice(last + 1);
    const keep = (item: unknown) => {
      const drop = valuesAt(item, itemSteps).some(notAllowed);
      if (drop) removed++;
      return !drop;
    };
    out = withoutItems(out, steps.slice(0, last), keep);
  }
  return { result: out as T, removed, blocked };
}

/**
 * `value` with the items that `keep` rejects removed from the lists at `steps` (a path ending with a key, or empty for
 * `value` itself). Copy on write: only the lists that lose items and the objects and lists above them are copied.
 */
function withoutItems(value: unknown, steps: PathStep[], keep: (item: unknown) => boolean): unknown {
  const [step, ...rest] = steps;
  if (!step) {
    if (!Array.isArray(value)) return value;
    const kept = value.filter(keep);
    return kept.length === value.length ? value : kept;
  }
  if ('each' in step) {
    if (!Array.isArray(value)) return value;
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = withoutItems(item, rest, keep);
      if (next !== item) (copy ??= value.slice())[i] = next;
    });
    return copy ?? value;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, step.key)) return value;
  const child = (value as Record<string, unknown>)[step.key];
  const next = withoutItems(child, rest, keep);
  return next === child ? value : { ...value, [step.key]: next };
}

/**
 * The courses a single-object answer names at `paths` (the function's resultCourseRefs), for a read whose references
 * are checked on its answer. Unresolved when a path holds a value that is not an id, or no path holds a course.
 */
export function resultCourses(result: unknown, paths: readonly string[]): { courses: number[]; resolved: boolean; gaps?: { entity: 'result'; why: 'no_result_course' }[] } {
  const values = paths.flatMap((p) => valuesAt(result, p));
  const ids = values.map(asId);
  const courses = [...new Set(ids.filter((id): id is number => id !== undefined && id > 0))].sort((a, b) => a - b);
  if (courses.length === 0 || ids.some((id) => id === undefined || id === 0)) return { courses, resolved: false, gaps: [{ entity: 'result', why: 'no_result_course' }] };
  return { courses, resolved: true };
}
