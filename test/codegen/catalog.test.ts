// The catalog generated from the bundled 4.5.6 snapshot (whatever generated/ holds): shape, order, access overrides,
// annotations and course references; reviewed entries for functions a site lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CourseRef } from '../../runtime/catalog/types.ts';
import { loadOverrides, parseOverrides, type Overrides } from '../../codegen/overrides.ts';
import { buildCatalog, SKIPPED_REASON } from '../../codegen/catalog.ts';
import { loadDescriptionOverrides } from '../../codegen/descriptions.ts';
import { courseRefsReport } from '../../codegen/emit/course-refs-report.ts';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';
import type { FunctionsDocument } from '../../codegen/sources/types.ts';
import { SNAPSHOT_5_0_6 } from '../helpers/bundled-catalog.ts';
import { titleFor } from '../../codegen/annotations.ts';
import { loadCatalog, schemasOf } from './helpers.ts';

const catalog = loadCatalog();
const byName = new Map(catalog.functions.map((f) => [f.name, f]));
const refs = (name: string) => byName.get(name)!.courseRefs.map(({ path, entity, module }: CourseRef) => ({ path, entity, ...(module ? { module } : {}) }));

test('catalog: format, Moodle release, 759 functions sorted by name, schema refs resolve', () => {
  assert.equal(catalog.format, 'moodle-mcp-catalog/1');
  assert.equal(catalog.moodle.release, '4.5.6 (Build: 20250811)');
  assert.equal(catalog.moodle.version, '2024100706');
  assert.equal(catalog.moodle.branch, '405');
  assert.equal(catalog.functions.length, 759);
  const names = catalog.functions.map((f) => f.name);
  assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : 1)));
  for (const fn of catalog.functions) {
    const [file, pointer] = fn.inputSchemaRef.split('#/');
    assert.equal(file, `schemas/${fn.component}.json`);
    assert.equal(pointer, `${fn.name}/input`);
    assert.ok(schemasOf(fn.component)[fn.name].output, fn.name);
    assert.equal(fn.annotations.readOnlyHint, fn.access === 'read');
    assert.equal(fn.annotations.openWorldHint, false);
    if (fn.access === 'read') assert.equal(fn.annotations.destructiveHint, false);
    assert.equal(fn.accessReason !== undefined, fn.access !== fn.type, fn.name);
    assert.doesNotMatch(fn.description, /\s{2}|^\s|\s$/, `${fn.name}: whitespace not normalised`);
  }
});

test('access overrides: view/log functions declared read are write, each with a reason', () => {
  for (const name of ['core_backup_submit_copy_form', 'mod_lti_view_lti', 'core_blog_view_entries', 'core_competency_competency_viewed']) {
    const fn = byName.get(name)!;
    assert.equal(fn.type, 'read');
    assert.equal(fn.access, 'write');
    assert.ok(fn.accessReason && fn.accessReason.length > 10);
    assert.equal(fn.annotations.readOnlyHint, false);
  }
  // Reads despite the name: calendar views render data, can_view checks access, get_content_pages_viewed lists pages.
  const readViews = /calendar_get_calendar_|_can_view_|_get_content_pages_viewed$/;
  const views = catalog.functions.filter((f) => /_view_|_view$|_viewed$/.test(f.name) && !readViews.test(f.name));
  assert.deepEqual(views.filter((f) => f.access === 'read').map((f) => f.name), []);
  assert.equal(byName.get('core_course_get_courses')!.access, 'read');
});

test('annotations: deletes are destructive, creates are not idempotent', () => {
  assert.equal(byName.get('core_course_delete_courses')!.annotations.destructiveHint, true);
  assert.equal(byName.get('enrol_manual_unenrol_users')!.annotations.destructiveHint, true);
  assert.equal(byName.get('core_course_create_courses')!.annotations.destructiveHint, false);
  assert.equal(byName.get('core_course_create_courses')!.annotations.idempotentHint, false);
  assert.equal(byName.get('core_course_delete_courses')!.annotations.idempotentHint, true);
  assert.equal(byName.get('tool_mobile_call_external_functions')!.annotations.destructiveHint, true, 'forced by override');
  assert.equal(byName.get('core_grades_grader_gradingpanel_point_store')!.annotations.destructiveHint, true);
  assert.equal(titleFor('core_course_get_courses', 'moodle'), 'Course: get courses');
  assert.equal(titleFor('mod_forum_add_discussion', 'mod_forum'), 'Forum: add discussion');
  assert.equal(titleFor('core_get_string', 'moodle'), 'Core: get string');
});

test('course references of the key functions', () => {
  assert.deepEqual(refs('core_enrol_get_enrolled_users'), [{ path: 'courseid', entity: 'course' }]);
  assert.deepEqual(refs('mod_forum_get_forums_by_courses'), [{ path: 'courseids[]', entity: 'course' }]);
  assert.deepEqual(refs('mod_forum_get_forum_discussions'), [
    { path: 'forumid', entity: 'module_instance', module: 'forum' },
    { path: 'groupid', entity: 'group' },
  ], 'the group id beside the forum id is kept');
  assert.deepEqual(refs('mod_assign_get_submissions'), [{ path: 'assignmentids[]', entity: 'module_instance', module: 'assign' }]);
  assert.deepEqual(refs('enrol_manual_enrol_users'), [{ path: 'enrolments[].courseid', entity: 'course' }]);
  assert.deepEqual(refs('core_group_create_groups'), [{ path: 'groups[].courseid', entity: 'course' }]);
  assert.ok(refs('core_calendar_get_calendar_events').some((r) => r.path === 'events.courseids[]' && r.entity === 'course'));
  assert.deepEqual(refs('core_course_get_course_module'), [{ path: 'cmid', entity: 'course_module' }]);
  assert.deepEqual(refs('core_course_get_courses'), [{ path: 'options.ids[]', entity: 'course' }]);
  assert.deepEqual(refs('mod_quiz_get_user_attempts'), [{ path: 'quizid', entity: 'module_instance', module: 'quiz' }]);
  assert.deepEqual(refs('mod_forum_get_discussion_posts'), [{ path: 'discussionid', entity: 'forum_discussion' }]);
  assert.deepEqual(refs('core_group_add_group_members'), [{ path: 'members[].groupid', entity: 'group' }]);
  assert.deepEqual(refs('mod_lesson_get_page_data'), [
    { path: 'lessonid', entity: 'module_instance', module: 'lesson' },
    { path: 'pageid', entity: 'lesson_page' },
  ], 'a sub-entity next to an instance is kept');
  assert.deepEqual(refs('core_course_get_categories'), [], 'category ids are not course references');
  assert.equal(byName.get('core_course_get_courses')!.courseRefs[0].source, 'override');
  assert.equal(byName.get('core_enrol_get_enrolled_users')!.courseRefs[0].source, 'rule:course-id');
});

test('output course references', () => {
  const out = (name: string) => byName.get(name)!.outputCourseRefs;
  assert.deepEqual(out('core_enrol_get_users_courses'), ['[].id']);
  assert.deepEqual(out('core_course_get_courses'), ['[].id']);
  assert.ok(out('core_course_search_courses').includes('courses[].id'));
  assert.ok(out('mod_forum_get_forums_by_courses').includes('[].course'));
  assert.ok(out('mod_assign_get_assignments').includes('courses[].id'));
  assert.ok(out('core_calendar_get_calendar_events').includes('events[].courseid'));
});

function generateCatalogOnly(doc: FunctionsDocument, overrides: Overrides) {
  const { catalog, coverage } = buildCatalog(doc, overrides);
  const files = new Map([['course-refs.md', courseRefsReport(coverage, catalog.moodle, catalog.skippedOverrides)]]);
  return { catalog, files };
}

test('overrides: every entry has a reason; unknown paths and fields are refused', () => {
  const overrides = loadOverrides();
  assert.ok(Object.values(overrides).every((o) => o.reason.trim().length > 0));
  assert.throws(() => parseOverrides({ functions: { x: { access: 'write' } } }), /reason/);
  assert.throws(() => parseOverrides({ functions: { x: { reason: 'r', acess: 'write' } } }), /unknown field/);
  assert.throws(() => parseOverrides({ functions: { x: { reason: 'r', references: [{ path: 'a', entity: 'module_instance' }] } } }), /module/);
  assert.throws(() => parseOverrides({ functions: { x: { reason: 'r', references: [{ path: 'a', entity: 'context_instance' }] } } }), /levelPath/);
  assert.throws(() => parseOverrides({ functions: { x: { reason: 'r', references: [{ path: 'a', entity: 'discussion' }] } } }), /entity type of codegen\/entities\.ts/);
  assert.throws(() => parseOverrides({ functions: { x: { reason: 'r', courseRefs: [] } } }), /unknown field/);
  const doc = loadSnapshot();
  assert.throws(() => buildCatalog(doc, parseOverrides({ functions: { core_course_get_courses: { reason: 'r', references: [{ path: 'options.nope[]', entity: 'course' }] } } })), /not an argument path/);
});

test('reviewed entries naming a function the site lacks are skipped and listed, in the catalog and course-refs.md', () => {
  const doc = loadSnapshot();
  const { catalog, files } = generateCatalogOnly(doc, parseOverrides({ functions: {
    nope_fn: { reason: 'r', access: 'write' },
    core_course_get_courses: { reason: 'r', access: 'write' },
  } }));
  assert.deepEqual(catalog.skippedOverrides, [{ name: 'nope_fn', file: 'codegen/overrides.yaml', reason: SKIPPED_REASON }]);
  assert.equal(catalog.functions.find((f) => f.name === 'core_course_get_courses')!.access, 'write', 'the others apply');
  assert.match(files.get('course-refs.md')!, /## Reviewed entries not applied\n[^]*\| `nope_fn` \| `codegen\/overrides\.yaml` \| no such function on this site \|/);
  // The same on the live route (a service enabling what the site has) and for descriptions.yaml: a site without
  // mod_forum (uninstalled), whose functions both files name.
  const withoutForum = { ...doc, functions: doc.functions.filter((fn) => fn.component !== 'mod_forum') };
  const live = buildCatalog(withoutForum, loadOverrides(), { enabled: new Set(withoutForum.functions.map((fn) => fn.name)) }).catalog;
  const skippedFiles = new Set(live.skippedOverrides!.map((s) => s.file));
  assert.deepEqual([...skippedFiles].sort(), ['codegen/descriptions.yaml', 'codegen/overrides.yaml'], JSON.stringify(live.skippedOverrides));
  assert.ok(live.skippedOverrides!.every((s) => s.reason === SKIPPED_REASON && s.name.startsWith('mod_forum_')));
  assert.ok(live.skippedOverrides!.some((s) => s.name === 'mod_forum_get_discussion_posts'));
  assert.equal(buildCatalog(doc, loadOverrides()).catalog.skippedOverrides, undefined, 'every reviewed entry applies to the bundled 4.5.6');
});

test('every reviewed entry names a function of a bundled snapshot (4.5.6 or 5.0.6): a misspelt name is caught here', () => {
  const names = new Set([...loadSnapshot().functions, ...loadSnapshot(SNAPSHOT_5_0_6).functions].map((fn) => fn.name));
  const described = loadDescriptionOverrides();
  const unknown = [...Object.keys(loadOverrides()), ...Object.keys(described.functions)].filter((name) => !names.has(name));
  assert.deepEqual(unknown, []);
});

test('overrides: an output course reference that is not a result path is refused (else the filter keeps every item)', () => {
  const doc = loadSnapshot();
  const build = (outputCourseRefs: string[]) => buildCatalog(doc, parseOverrides({ functions: { core_enrol_get_users_courses: { reason: 'r', outputCourseRefs } } }));
  assert.throws(() => build(['[].ids']), /core_enrol_get_users_courses\.outputCourseRefs: \[\]\.ids is not a result path/);
  assert.throws(() => build(['id']), /is not a result path/);
  const fn = build(['[].id']).catalog.functions.find((f) => f.name === 'core_enrol_get_users_courses')!;
  assert.deepEqual(fn.outputCourseRefs, ['[].id']);
});
