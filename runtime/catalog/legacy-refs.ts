import type { CourseRef } from './types.ts';

/** A course ref as catalogs generated before the entity vocabulary wrote it (`kind` instead of `entity` + `via`). */
interface LegacyCourseRef {
  path: string;
  kind: 'course' | 'cm' | 'instance' | 'unresolvable';
  module?: string;
  entity?: string;
  source: string;
}

/**
 * Reads a course ref of either catalog shape: an older catalog's `kind` maps to the same entity and resolution the
 * gateway used then (`cm`/`instance` through Moodle, `unresolvable` through the resolver only).
 */
export function normalizeCourseRef(ref: CourseRef | LegacyCourseRef): CourseRef {
  if (!('kind' in ref) || 'via' in ref) return ref as CourseRef;
  const { path, source, module } = ref;
  switch (ref.kind) {
    case 'course':
      return { path, entity: 'course', via: ['argument'], source };
    case 'cm':
      return { path, entity: 'course_module', via: ['moodle'], source };
    case 'instance':
      return { path, entity: 'module_instance', module, via: ['moodle'], source };
    default:
      return { path, entity: ref.entity ?? 'unknown', via: ['resolver'], source };
  }
}
