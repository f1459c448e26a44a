import { asId, parsePath, valuesAt, type PathStep } from './paths.ts';

export interface FilteredResult<T> {
  /** A copy of the result without the list items of courses that aren't allowed (the input is not modified). */
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
  let copy = structuredClone(result);
  let removed = 0;
  const blocked: string[] = [];

  for (const path of outputCourseRefs) {
    const steps = parsePath(path);
    let last = -1;
    steps.forEach((s, i) => 'each' in s && (last = i));
    if (last === -1) {
      if (valuesAt(copy, steps).some(notAllowed)) blocked.push(path);
      continue;
    }
    const listSteps = steps.slice(0, last);
    const itemSteps = steps.slice(last + 1);
    const keep = (item: unknown) => {
      const values = valuesAt(item, itemSteps);
      const drop = values.some(notAllowed);
      if (drop) removed++;
      return !drop;
    };
    if (listSteps.length === 0) {
      if (Array.isArray(copy)) copy = copy.filter(keep) as T;
      continue;
    }
    for (const { parent, key } of containers(copy, listSteps)) {
      const list = parent[key];
      if (Array.isArray(list)) parent[key] = list.filter(keep);
    }
  }
  return { result: copy, removed, blocked };
}

/** The objects holding the list at `steps` (which ends with a key), so the list can be replaced in place. */
function containers(root: unknown, steps: PathStep[]): { parent: Record<string, unknown>; key: string }[] {
  const lastStep = steps.at(-1)!;
  if ('each' in lastStep) return [];
  const parents = valuesAt(root, steps.slice(0, -1));
  return parents
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && !Array.isArray(p))
    .map((parent) => ({ parent, key: lastStep.key }));
}
