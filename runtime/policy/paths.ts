import { PolicyError } from './errors.ts';

/** A parsed catalog path (`courseids[]`, `enrolments[].courseid`, `[].id`): object keys and `[]` (every list item). */
export type PathStep = { key: string } | { each: true };

const cache = new Map<string, PathStep[]>();

/** Parses the catalog's path syntax; throws PolicyError on a malformed path (names the path). */
export function parsePath(path: string): PathStep[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const steps: PathStep[] = [];
  path.split('.').forEach((part, i) => {
    const m = /^([^.[\]]*)((?:\[\])*)$/.exec(part);
    // Only the first segment may be a bare `[]` (the result itself is a list: `[].id`).
    if (!m || (!m[1] && (i > 0 || !m[2]))) {
      throw new PolicyError(`course ref path ${JSON.stringify(path)}: malformed segment ${JSON.stringify(part)} (expected key, key[] or [])`);
    }
    if (m[1]) steps.push({ key: m[1] });
    for (let n = 0; n < m[2]!.length / 2; n++) steps.push({ each: true });
  });
  cache.set(path, steps);
  return steps;
}

/** Every value at `path` in `value` (lists expanded item by item; missing keys yield nothing). */
export function valuesAt(value: unknown, path: string | PathStep[]): unknown[] {
  const steps = typeof path === 'string' ? parsePath(path) : path;
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('each' in step) {
        // A loop, not push(...v): spreading a list of ~150k items or more overflows the call stack.
        if (Array.isArray(v)) for (const item of v) next.push(item);
      } else if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key)) {
        const child = (v as Record<string, unknown>)[step.key];
        if (child !== undefined && child !== null) next.push(child);
      }
    }
    current = next;
  }
  return current;
}

/** A course or entity id as Moodle sends it (an integer, or an integer in a string); undefined otherwise. */
export function asId(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
