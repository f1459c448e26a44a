import type { CourseRef } from '../runtime/catalog/types.ts';
import type { DescriptionNode, FunctionDescription, StructureNode } from './sources/types.ts';

/**
 * Course references found by rules (the rules are documented, with examples, at the top of codegen/overrides.yaml).
 * Paths use the catalog syntax: dots for keys, `[]` for list items (`enrolments[].courseid`).
 */

/** Argument names whose value is a course id. */
const COURSE_NAMES = new Set(['courseid', 'courseids', 'sourcecourseid', 'metacourseid', 'course']);
/** Argument names whose value is a course-module id. */
const CM_NAMES = new Set(['cmid', 'cmids', 'coursemoduleid', 'coursemoduleids', 'targetcmid']);
/** Instance id names that differ from `<module>id` / `<module>ids`, per module. */
const INSTANCE_ALIASES: Record<string, string[]> = {
  assign: ['assignmentid', 'assignmentids', 'assignid'],
  data: ['databaseid', 'databaseids', 'dataid'],
};
/** Argument names of course-bound entities that the gateway cannot map to a course, and the entity they name. */
const ENTITIES: Record<string, string> = {
  discussionid: 'discussion', discussionids: 'discussion',
  postid: 'post', postids: 'post',
  attemptid: 'attempt', attemptids: 'attempt',
  submissionid: 'submission', submissionids: 'submission',
  assessmentid: 'assessment',
  groupid: 'group', groupids: 'group',
  groupingid: 'grouping', groupingids: 'grouping',
  contextid: 'context', contextids: 'context', pagecontextid: 'context',
  sectionid: 'section', sectionids: 'section', targetsectionid: 'section',
  entryid: 'entry',
  pageid: 'page',
  subwikiid: 'subwiki',
  scoid: 'sco',
  chapterid: 'chapter',
  recordingid: 'recording',
  slotid: 'slot',
  eventid: 'event', eventids: 'event',
  enrolid: 'enrolment instance',
  ueid: 'user enrolment',
  contentid: 'content', contentids: 'content',
  questionid: 'question',
  qubaid: 'question usage',
  definitionid: 'grading definition',
  coursecompetencyid: 'course competency',
};

interface Leaf {
  path: string;
  name: string;
  /** Keys of the structure that holds this leaf. */
  siblings: string[];
}

/** Integer leaves (and lists of integers) of a parameter tree, with catalog-style paths. */
export function integerLeaves(parameters: StructureNode): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (node: DescriptionNode, path: string, name: string, siblings: string[]) => {
    if (node.kind === 'value') {
      if (node.type === 'int') leaves.push({ path, name, siblings });
    } else if (node.kind === 'multiple_structure') {
      visit(node.content, `${path}[]`, name, siblings);
    } else {
      const keys = Object.keys(node.keys);
      for (const [key, child] of Object.entries(node.keys)) visit(child, path ? `${path}.${key}` : key, key, keys);
    }
  };
  visit(parameters, '', '', []);
  return leaves;
}

/** The module name of a `mod_<name>` component, else undefined. */
export function moduleOf(component: string): string | undefined {
  return /^mod_([a-z0-9]+)$/.exec(component)?.[1];
}

/**
 * Course references of one function by rule: course ids, course-module ids, instance ids of the function's own
 * module, and (only when none of those is present) ids of course-bound entities the gateway cannot resolve.
 */
export function ruleCourseRefs(fn: FunctionDescription): CourseRef[] {
  const module = moduleOf(fn.component);
  const instanceNames = module ? new Set([`${module}id`, `${module}ids`, ...(INSTANCE_ALIASES[module] ?? [])]) : new Set<string>();
  const resolvable: CourseRef[] = [];
  const unresolvable: CourseRef[] = [];
  for (const leaf of integerLeaves(fn.parameters)) {
    if (COURSE_NAMES.has(leaf.name)) {
      resolvable.push({ path: leaf.path, kind: 'course', source: 'rule:course-id' });
    } else if (CM_NAMES.has(leaf.name)) {
      resolvable.push({ path: leaf.path, kind: 'cm', source: 'rule:course-module-id' });
    } else if (module && instanceNames.has(leaf.name)) {
      resolvable.push({ path: leaf.path, kind: 'instance', module, source: 'rule:module-instance-id' });
    } else if (ENTITIES[leaf.name]) {
      unresolvable.push({ path: leaf.path, kind: 'unresolvable', entity: ENTITIES[leaf.name], source: 'rule:course-bound-entity' });
    } else if (leaf.name === 'instanceid' && leaf.siblings.includes('contextlevel')) {
      unresolvable.push({ path: leaf.path, kind: 'unresolvable', entity: 'context', source: 'rule:context-instance' });
    } else if (leaf.name === 'instanceid' && fn.component.startsWith('enrol_')) {
      unresolvable.push({ path: leaf.path, kind: 'unresolvable', entity: 'enrolment instance', source: 'rule:enrolment-instance' });
    }
  }
  return resolvable.length ? resolvable : unresolvable;
}

/**
 * Output paths carrying course ids, by rule: integer keys named `courseid` or `course`, `id` of the items of a list
 * named `courses`, and `id` of a structure named `course`.
 */
export function ruleOutputCourseRefs(returns: DescriptionNode | null): string[] {
  const paths: string[] = [];
  const visit = (node: DescriptionNode, path: string, name: string, parent: string) => {
    if (node.kind === 'value') {
      const isCourse = (name === 'courseid' || name === 'course') || (name === 'id' && (parent === 'courses[]' || parent === 'course'));
      if (node.type === 'int' && isCourse) paths.push(path);
    } else if (node.kind === 'multiple_structure') {
      visit(node.content, `${path}[]`, `${name}[]`, parent);
    } else {
      for (const [key, child] of Object.entries(node.keys)) visit(child, path ? `${path}.${key}` : key, key, name);
    }
  };
  if (returns) visit(returns, '', '', '');
  return paths;
}
