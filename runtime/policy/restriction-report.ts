import type { CatalogFunction, CourseRef } from '../catalog/types.ts';
import { isMoodleLookup } from './course-lookups.ts';

export type RestrictionClass = 'arguments' | 'moodle' | 'answer' | 'resolver' | 'refused' | 'site-level' | 'denied';

export interface RestrictionEntry {
  name: string;
  /**
   * Under a course restriction, by the hardest of the function's references (how the gateway maps it, per `via`):
   * - `arguments`: course ids are in the arguments;
   * - `moodle`: some are mapped with Moodle's own functions (course modules, module instances, groups, groupings);
   * - `answer`: some are checked on the answer (a read whose answer names its course);
   * - `resolver`: some need local_moodlemcp_resolve_courses: without it such a call is refused, naming the entity;
   * - `refused`: some can't be mapped at all: a call that uses them is refused;
   * - `site-level`: no course refs, allowed because `site_level_functions` lists it;
   * - `denied`: no course refs and not site-level: never callable under a restriction.
   */
  class: RestrictionClass;
  /** Results are filtered to the allowed courses (the function has output course refs). */
  filtered: boolean;
  /** Entity types that need the resolver or can't be mapped (`forum_discussion`, ...). */
  entities: string[];
}

const ORDER: RestrictionClass[] = ['arguments', 'moodle', 'answer', 'resolver', 'refused'];

/** How the runtime maps one reference without lookups failing (courses.ts applies the same rules). */
function refClass(fn: CatalogFunction, ref: CourseRef): RestrictionClass {
  if (ref.entity === 'course') return 'arguments';
  for (const via of ref.via) {
    if (via === 'moodle' && (isMoodleLookup(ref.entity) || ref.entity === 'context_instance')) return 'moodle';
    if (via === 'result' && fn.access === 'read' && (fn.resultCourseRefs?.length ?? 0) > 0) return 'answer';
    if (via === 'resolver') return 'resolver';
  }
  return 'refused';
}

/** How every catalog function behaves under a course restriction (for the README and reviewers). */
export function restrictionReport(functions: CatalogFunction[], siteLevel: readonly string[]): RestrictionEntry[] {
  const site = new Set(siteLevel);
  return functions
    .map((fn) => {
      const classes = fn.courseRefs.map((r) => refClass(fn, r));
      const entities = [...new Set(fn.courseRefs.filter((r, i) => classes[i] === 'resolver' || classes[i] === 'refused').map((r) => r.entity))].sort();
      const cls: RestrictionClass =
        fn.courseRefs.length === 0 ? (site.has(fn.name) ? 'site-level' : 'denied') : ORDER[Math.max(...classes.map((c) => ORDER.indexOf(c)))]!;
      return { name: fn.name, class: cls, filtered: fn.outputCourseRefs.length > 0, entities };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Markdown: a summary table of counts, then one line per class listing the functions. */
export function formatRestrictionReport(entries: RestrictionEntry[]): string {
  const classes: RestrictionClass[] = [...ORDER, 'site-level', 'denied'];
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
