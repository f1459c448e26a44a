import type { CourseRef } from '../../runtime/catalog/types.ts';
import type { FunctionCoverage } from '../catalog.ts';
import type { EntityReference } from '../course-refs.ts';
import { ENTITY_TYPES } from '../entities.ts';
import { HEADER } from './header.ts';

/**
 * `generated/course-refs.md`: every function's references (path, entity, how each resolves) or why it is
 * course-free, the entity types, and the id-like arguments no rule classified. Deterministic (input is sorted).
 */
export function courseRefsReport(
  coverage: FunctionCoverage[],
  source: { release: string; source: string },
  skipped: readonly { name: string; file: string; reason: string }[] = [],
): string {
  const unclassified = coverage.flatMap((fn) => fn.courseRefs.filter((ref) => ref.entity === 'unclassified').map((ref) => ({ fn, ref })));
  const bound = coverage.filter((fn) => fn.courseRefs.length > 0);
  const unresolvable = bound.filter((fn) => fn.courseRefs.some((ref) => ref.via.length === 0));
  const freeOnly = coverage.filter((fn) => fn.courseRefs.length === 0 && fn.courseFree.length > 0);
  const none = coverage.filter((fn) => fn.courseRefs.length === 0 && fn.courseFree.length === 0);
  const used = new Map<string, number>();
  for (const fn of coverage) {
    for (const entity of new Set([...fn.courseRefs, ...fn.courseFree].map((ref) => ref.entity))) used.set(entity, (used.get(entity) ?? 0) + 1);
  }

  const out: string[] = [
    `<!-- ${HEADER}: written by codegen/emit/course-refs-report.ts from codegen/course-refs.ts, codegen/entities.ts`,
    '     and codegen/overrides.yaml; run `make generate`. -->',
    '# Entity references of every function',
    '',
    `Moodle ${source.release} (${source.source}), ${coverage.length} functions. Every argument that identifies a Moodle entity is`,
    'classified into an entity type (codegen/entities.ts). Course-bound references are the catalog\'s `courseRefs`, checked under',
    'a course restriction; `via` says how each resolves, in order of preference: `argument` (the value is a course id), `moodle`',
    "(a Moodle core function, with the caller's token), `result` (read functions: the answer's course is checked before it is",
    'released), `resolver` (local_moodlemcp_resolve_courses, when the site enables it); `none`: refused under a course',
    'restriction. Course-free references are listed with their entity; the entity table says why each is course-free.',
    '',
    '| | functions |',
    '| --- | ---: |',
    `| with course-bound references | ${bound.length} |`,
    `| of which with a reference that nothing can resolve (\`none\`) | ${unresolvable.length} |`,
    `| course-free: only course-free references | ${freeOnly.length} |`,
    `| course-free: no argument names an entity | ${none.length} |`,
    `| with an unclassified id-like argument | ${new Set(unclassified.map((u) => u.fn.name)).size} |`,
    '',
    '## Unclassified id-like arguments',
    '',
  ];
  if (unclassified.length === 0) {
    out.push('None: every argument named like an id (…id, …ids, id, instance…, context…) is classified.');
  } else {
    out.push('Treated as course-bound and unresolvable (refused under a course restriction) until classified in',
      'codegen/course-refs.ts or codegen/overrides.yaml:', '');
    for (const { fn, ref } of unclassified) out.push(`- \`${fn.name}\`: \`${ref.path}\``);
  }
  if (skipped.length) {
    out.push('', '## Reviewed entries not applied', '',
      `${skipped.length} entries of the reviewed files name a function this site lacks, so they were skipped (the catalog's`,
      '`skippedOverrides`). Expected for functions a Moodle version removed or a site uninstalled; a misspelt name shows here too.', '',
      '| function | file | why |', '| --- | --- | --- |');
    for (const entry of skipped) out.push(`| \`${entry.name}\` | \`${entry.file}\` | ${cell(entry.reason)} |`);
  }

  out.push('', '## Entity types', '', '| entity | course-bound | resolves via | course chain, or why course-free | functions |', '| --- | --- | --- | --- | ---: |');
  for (const [name, type] of Object.entries(ENTITY_TYPES)) {
    const via = type.courseBound ? viaText(name) : '';
    const why = type.courseBound ? type.chain ?? '' : type.courseFreeReason ?? '';
    out.push(`| \`${name}\` | ${type.courseBound ? 'yes' : 'no'} | ${via} | ${cell(`${type.description}: ${why}`)} | ${used.get(name) ?? 0} |`);
  }

  out.push('', '## Functions', '', '| function | access | course-bound references: path → entity (via) | course-free references: path → entity (why: entity types above) |', '| --- | --- | --- | --- |');
  for (const fn of coverage) {
    const refs = fn.courseRefs.length ? fn.courseRefs.map(courseRefText).join('<br>') : 'none: course-free';
    const free = fn.courseFree.length
      ? fn.courseFree.map(freeText).join('<br>')
      : fn.courseRefs.length ? '' : 'no argument names an entity';
    const result = fn.resultCourseRefs.length ? `<br>result course: ${fn.resultCourseRefs.map((p) => `\`${p}\``).join(', ')}` : '';
    out.push(`| \`${fn.name}\` | ${fn.access} | ${refs}${result} | ${free} |`);
  }
  return out.join('\n') + '\n';
}

function viaText(entity: string): string {
  const type = ENTITY_TYPES[entity]!;
  if (entity === 'course') return 'argument';
  if (entity === 'context_instance') return 'by level';
  const via = [...(type.moodle ? [`moodle (${type.moodle})`] : []), ...(type.resolver === false ? [] : ['resolver'])];
  return via.join(', ') || 'none (result only)';
}

function courseRefText(ref: CourseRef): string {
  const entity = ref.module ? `${ref.entity} ${ref.module}` : ref.levelPath ? `${ref.entity} (level \`${ref.levelPath}\`)` : ref.entity;
  return `\`${ref.path}\` → ${entity} (${ref.via.join(', ') || 'none'})`;
}

function freeText(ref: EntityReference): string {
  return `\`${ref.path}\` → ${ref.entity}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
