import type { CatalogFunction } from '../catalog/types.ts';

export type RestrictionClass = 'resolvable' | 'lookup' | 'partly unresolvable' | 'site-level' | 'denied';

export interface RestrictionEntry {
  name: string;
  /**
   * Under a course restriction:
   * - `resolvable`: course ids are in the arguments;
   * - `lookup`: some refs are course-module or module-instance ids, resolved with Moodle lookups;
   * - `partly unresolvable`: some refs can't be mapped to a course: a call that uses them is denied;
   * - `site-level`: no course refs, allowed because `site_level_functions` lists it;
   * - `denied`: no course refs and not site-level: never callable under a restriction.
   */
  class: RestrictionClass;
  /** Results are filtered to the allowed courses (the function has output course refs). */
  filtered: boolean;
  /** Entities that can't be resolved (`discussion`, `post`, ...). */
  entities: string[];
}

/** Entities the gateway maps to courses with Moodle lookups today (the other course-bound ones are unresolvable). */
const LOOKUP_ENTITIES = new Set(['course_module', 'module_instance']);

/** How every catalog function behaves under a course restriction (for the README and reviewers). */
export function restrictionReport(functions: CatalogFunction[], siteLevel: readonly string[]): RestrictionEntry[] {
  const site = new Set(siteLevel);
  return functions
    .map((fn) => {
      const kinds = new Set(fn.courseRefs.map((r) => r.entity));
      const entities = [...new Set(fn.courseRefs.filter((r) => !LOOKUP_ENTITIES.has(r.entity) && r.entity !== 'course').map((r) => r.entity))].sort();
      const cls: RestrictionClass =
        fn.courseRefs.length === 0
          ? site.has(fn.name)
            ? 'site-level'
            : 'denied'
          : entities.length
            ? 'partly unresolvable'
            : kinds.has('course_module') || kinds.has('module_instance')
              ? 'lookup'
              : 'resolvable';
      return { name: fn.name, class: cls, filtered: fn.outputCourseRefs.length > 0, entities };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Markdown: a summary table of counts, then one line per class listing the functions. */
export function formatRestrictionReport(entries: RestrictionEntry[]): string {
  const classes: RestrictionClass[] = ['resolvable', 'lookup', 'partly unresolvable', 'site-level', 'denied'];
  const out = ['| Under a course restriction | Functions | of which results are filtered |', '| --- | ---: | ---: |'];
  for (const c of classes) {
    const list = entries.filter((e) => e.class === c);
    out.push(`| ${c} | ${list.length} | ${list.filter((e) => e.filtered).length} |`);
  }
  for (const c of classes) {
    const list = entries.filter((e) => e.class === c);
    if (!list.length) continue;
    out.push('', `**${c}** (${list.length}): ${list.map((e) => `\`${e.name}\`${e.filtered ? ' (filtered)' : ''}${e.entities.length ? ` (${e.entities.join(', ')})` : ''}`).join(', ')}`);
  }
  return out.join('\n') + '\n';
}
