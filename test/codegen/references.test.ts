// Issue 10 item 1: every argument that identifies a Moodle entity is classified, every reference of a call is kept,
// and each course-bound reference says how it resolves. Plus the codegen bits of issue 11 item 9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CourseRef } from '../../runtime/catalog/types.ts';
import { buildCatalog, classify, PLUGIN_FUNCTION_PREFIX } from '../../codegen/catalog.ts';
import { argumentLeaves, isIdLike, NOT_ENTITIES } from '../../codegen/course-refs.ts';
import { courseRefsReport } from '../../codegen/emit/course-refs-report.ts';
import { ENTITY_TYPES, resolverEntityTypes, resolverType } from '../../codegen/entities.ts';
import { loadOverrides, parseOverrides } from '../../codegen/overrides.ts';
import { functionSetSource } from '../../codegen/sources/fingerprint.ts';
import { DEFAULT_SNAPSHOT, loadSnapshot } from '../../codegen/sources/snapshot.ts';
import type { FunctionDescription, FunctionsDocument } from '../../codegen/sources/types.ts';
import { SNAPSHOT_5_0_6 } from '../helpers/bundled-catalog.ts';
import { GENERATED, loadCatalog } from './helpers.ts';

const doc = loadSnapshot();
const overrides = loadOverrides();
const build = buildCatalog(doc, overrides);
const byName = new Map(build.catalog.functions.map((f) => [f.name, f]));
const refsOf = (name: string) => byName.get(name)!.courseRefs;
const refAt = (name: string, path: string): CourseRef => {
  const ref = refsOf(name).find((r) => r.path === path);
  assert.ok(ref, `${name}: no course ref at ${path} (refs: ${refsOf(name).map((r) => r.path).join(', ')})`);
  return ref;
};
const leafType = (fn: FunctionDescription, path: string) => argumentLeaves(fn.parameters).find((l) => l.path === path)?.paramtype;
const fnNamed = (name: string) => doc.functions.find((f) => f.name === name)!;
/** A catalog of a few functions only, as a live site whose service enables just those (other overrides are not checked). */
const only = (d: FunctionsDocument) => ({ enabled: new Set(d.functions.map((f) => f.name)) });

test('enrol_meta: instances[].courseid is declared PARAM_RAW and is still a course reference', () => {
  for (const name of ['enrol_meta_add_instances', 'enrol_meta_delete_instances']) {
    assert.equal(leafType(fnNamed(name), 'instances[].courseid'), 'PARAM_RAW');
    assert.deepEqual(refAt(name, 'instances[].courseid'), { path: 'instances[].courseid', entity: 'course', via: ['argument'], source: 'rule:course-id' });
    assert.equal(refAt(name, 'instances[].metacourseid').entity, 'course');
  }
});

test('mod_forum_set_lock_state keeps both the forum and the discussion', () => {
  assert.deepEqual(refsOf('mod_forum_set_lock_state'), [
    { path: 'discussionid', entity: 'forum_discussion', via: ['resolver'], source: 'rule:mod_forum' },
    { path: 'forumid', entity: 'module_instance', module: 'forum', via: ['moodle', 'resolver'], source: 'rule:module-instance-id' },
  ]);
});

test('mod_quiz_get_attempt_access_information has the quiz and the attempt; module-scoped names follow the component', () => {
  assert.deepEqual(refsOf('mod_quiz_get_attempt_access_information').map(({ path, entity, module }) => ({ path, entity, module })), [
    { path: 'attemptid', entity: 'quiz_attempt', module: undefined },
    { path: 'quizid', entity: 'module_instance', module: 'quiz' },
  ]);
  assert.equal(refAt('mod_h5pactivity_get_results', 'attemptids[]').entity, 'h5pactivity_attempt');
  assert.equal(refAt('mod_lesson_get_page_data', 'pageid').entity, 'lesson_page');
  assert.equal(refAt('mod_wiki_get_page_contents', 'pageid').entity, 'wiki_page');
  assert.deepEqual(refAt('mod_page_view_page', 'pageid'), { path: 'pageid', entity: 'module_instance', module: 'page', via: ['moodle', 'resolver'], source: 'rule:module-instance-id' });
  assert.equal(refAt('mod_glossary_get_entries_by_category', 'categoryid').entity, 'glossary_category');
  assert.equal(refAt('mod_data_get_entry', 'entryid').entity, 'data_record');
  assert.equal(refAt('mod_bigbluebuttonbn_get_recordings_to_import', 'sourcebigbluebuttonbnid').module, 'bigbluebuttonbn');
  assert.equal(refAt('mod_bigbluebuttonbn_get_recordings_to_import', 'sourcecourseid').entity, 'course');
});

test('contextlevel + instanceid is a context_instance with its levelPath; a lone contextlevel is course-free', () => {
  assert.deepEqual(refAt('core_files_get_files', 'instanceid'), {
    path: 'instanceid', entity: 'context_instance', levelPath: 'contextlevel', via: ['argument', 'moodle', 'resolver'], source: 'rule:context-instance',
  });
  assert.equal(refAt('core_files_get_files', 'contextid').entity, 'context');
  assert.equal(refAt('core_course_check_updates', 'tocheck[].id').levelPath, 'tocheck[].contextlevel');
  assert.equal(refAt('core_competency_list_templates', 'context.instanceid').levelPath, 'context.contextlevel');
  assert.equal(refAt('core_role_assign_roles', 'assignments[].instanceid').levelPath, 'assignments[].contextlevel');
  const defaults = classify(fnNamed('tool_dataprivacy_set_context_defaults'), overrides.tool_dataprivacy_set_context_defaults);
  assert.equal(defaults.find((r) => r.path === 'contextlevel')?.entity, 'context_level');
  assert.equal(ENTITY_TYPES.context_level!.courseBound, false);
});

test('no id-like argument of the 759 functions is unclassified, and every one is a reference or a known non-entity', () => {
  assert.equal(doc.functions.length, 759);
  const unclassified: string[] = [];
  for (const fn of doc.functions) {
    const refs = classify(fn, overrides[fn.name]);
    const paths = new Set(refs.map((r) => r.path));
    const levels = new Set(refs.flatMap((r) => (r.levelPath ? [r.levelPath] : [])));
    for (const r of refs) if (r.entity === 'unclassified') unclassified.push(`${fn.name}: ${r.path}`);
    for (const leaf of argumentLeaves(fn.parameters)) {
      if (isIdLike(leaf.name) && !Object.hasOwn(NOT_ENTITIES, leaf.name)) {
        assert.ok(paths.has(leaf.path) || levels.has(leaf.path), `${fn.name}: ${leaf.path} is neither a reference nor a level`);
      }
    }
  }
  assert.deepEqual(unclassified, []);
  assert.match(readFileSync(new URL('course-refs.md', GENERATED), 'utf8'), /## Unclassified id-like arguments\n\nNone: every argument/);
});

test('Moodle 5.0.6 (754 functions) classifies fully with the same rules and overrides', () => {
  const trimmed = loadSnapshot(SNAPSHOT_5_0_6);
  assert.equal(trimmed.functions.length, 754);
  const unclassified = trimmed.functions.flatMap((fn) => classify(fn, overrides[fn.name]).filter((r) => r.entity === 'unclassified').map((r) => `${fn.name}: ${r.path}`));
  assert.deepEqual(unclassified, []);
  const moved = classify(trimmed.functions.find((f) => f.name === 'core_question_move_questions')!, undefined);
  assert.deepEqual(moved.map((r) => `${r.path}=${r.entity}`), ['newcategoryid=question_category', 'newcontextid=context', 'questionids=question']);
});

test('an id-like argument no rule knows is listed as unclassified and fails closed (course-bound, no way to resolve)', () => {
  const fn = structuredClone(fnNamed('core_enrol_get_enrolled_users'));
  fn.parameters.keys.widgetid = { kind: 'value', type: 'int', paramtype: 'PARAM_INT', required: 'VALUE_REQUIRED', default: null, allownull: false, desc: '' };
  const one: FunctionsDocument = { ...doc, functions: [fn] };
  const { catalog, coverage } = buildCatalog(one, {}, { ...only(one) });
  const ref = catalog.functions[0]!.courseRefs.find((r) => r.path === 'widgetid');
  assert.deepEqual(ref, { path: 'widgetid', entity: 'unclassified', via: [], source: 'rule:unclassified-id' });
  assert.equal(catalog.entities.unclassified!.courseBound, true);
  assert.match(courseRefsReport(coverage, { release: 'x', source: 'test' }), /- `core_enrol_get_enrolled_users`: `widgetid`/);
  // Removing a rule's reference does not hide an id-like argument: it is unclassified again.
  const removed = classify(fnNamed('core_enrol_get_enrolled_users'), parseOverrides({ functions: { f: { reason: 'r', removeReferences: ['courseid'] } } }).f);
  assert.deepEqual(removed.filter((r) => r.path === 'courseid').map((r) => r.entity), ['unclassified']);
});

test('via: argument for courses, moodle only for the four entities with a Moodle lookup, result only for reads', () => {
  const moodleEntities = new Set(['course_module', 'module_instance', 'group', 'grouping']);
  for (const fn of build.catalog.functions) {
    for (const ref of fn.courseRefs) {
      const type = ENTITY_TYPES[ref.entity];
      assert.ok(type?.courseBound, `${fn.name}: ${ref.path} names ${ref.entity}, not a course-bound entity`);
      if (ref.entity === 'course') assert.deepEqual(ref.via, ['argument'], `${fn.name}: ${ref.path}`);
      if (ref.via.includes('moodle')) assert.ok(moodleEntities.has(ref.entity) || ref.entity === 'context_instance', `${fn.name}: ${ref.path}`);
      if (ref.via.includes('result')) assert.ok(fn.access === 'read' && fn.resultCourseRefs?.length, `${fn.name}: result via on a write`);
      const resolvable = ref.entity !== 'course' && (ref.entity === 'context_instance' || resolverType(ref.entity, ref.module) !== undefined);
      assert.equal(ref.via.includes('resolver'), resolvable, `${fn.name}: ${ref.path} (${ref.entity})`);
    }
  }
  assert.equal(ENTITY_TYPES.group!.moodle, 'core_group_get_groups');
  assert.equal(ENTITY_TYPES.grouping!.moodle, 'core_group_get_groupings');
  const posts = byName.get('mod_forum_get_discussion_posts')!;
  assert.deepEqual(posts.resultCourseRefs, ['courseid']);
  assert.deepEqual(refAt('mod_forum_get_discussion_posts', 'discussionid').via, ['result', 'resolver']);
  assert.deepEqual(refAt('core_group_get_group_members', 'groupids[]').via, ['moodle', 'resolver']);
  assert.deepEqual(refAt('mod_quiz_get_attempt_review', 'attemptid').via, ['resolver']);
});

test('resultCourseRefs: refused on a write, on a path inside a list and on a path that is not in the result', () => {
  const one = (name: string, resultCourseRefs: string[]) =>
    buildCatalog({ ...doc, functions: [fnNamed(name)] }, parseOverrides({ functions: { [name]: { reason: 'r', resultCourseRefs } } }), { enabled: new Set([name]) });
  assert.throws(() => one('mod_forum_set_lock_state', ['discussionid']), /only READ functions/);
  assert.throws(() => one('mod_forum_get_discussion_posts', ['posts[].id']), /inside a list/);
  assert.throws(() => one('mod_forum_get_discussion_posts', ['course']), /is not a result path/);
  assert.deepEqual(one('mod_forum_get_discussion_posts', ['courseid']).catalog.functions[0]!.resultCourseRefs, ['courseid']);
});

test('entities: the catalog map matches codegen/entities.ts; course-bound types have a chain, course-free ones a reason', () => {
  const catalog = loadCatalog();
  assert.deepEqual(Object.keys(catalog.entities), Object.keys(ENTITY_TYPES));
  for (const [name, type] of Object.entries(ENTITY_TYPES)) {
    assert.equal(catalog.entities[name]!.courseBound, type.courseBound, name);
    assert.ok(type.description.length > 5, name);
    if (type.courseBound) assert.ok(type.chain && type.chain.length > 5, `${name}: chain`);
    else assert.ok(type.courseFreeReason && type.courseFreeReason.length > 5, `${name}: reason`);
  }
  for (const fn of catalog.functions) for (const ref of fn.courseRefs) assert.ok(catalog.entities[ref.entity]?.courseBound, `${fn.name}: ${ref.entity}`);
  const types = resolverEntityTypes();
  for (const name of ['context', 'forum_discussion', 'forum_post', 'quiz_attempt', 'group', 'block_instance']) assert.ok(types.includes(name), name);
  for (const name of ['course', 'context_instance', 'chat_session', 'user']) assert.ok(!types.includes(name), name);
  assert.equal(resolverType('module_instance', 'forum'), 'mod_forum');
  assert.equal(resolverType('module_instance'), undefined);
});

test('the plugin\'s own functions (local_moodlemcp_*) are left out of the tools unless asked', () => {
  const plugin = { ...structuredClone(fnNamed('core_webservice_get_site_info')), name: `${PLUGIN_FUNCTION_PREFIX}export_functions`, component: 'local_moodlemcp' };
  const withPlugin: FunctionsDocument = { ...doc, functions: [fnNamed('core_webservice_get_site_info'), plugin] };
  const left = buildCatalog(withPlugin, {}, { ...only(withPlugin) }).catalog;
  assert.deepEqual(left.functions.map((f) => f.name), ['core_webservice_get_site_info']);
  assert.deepEqual(left.excluded, [{ name: 'local_moodlemcp_export_functions', reason: "the gateway's own plugin function (codegen --include-plugin-functions keeps it)" }]);
  const kept = buildCatalog(withPlugin, {}, { ...only(withPlugin), includePluginFunctions: true }).catalog;
  assert.deepEqual(kept.functions.map((f) => f.name), ['core_webservice_get_site_info', 'local_moodlemcp_export_functions']);
  assert.deepEqual(kept.excluded, []);
  // From a snapshot (no service list) too.
  const snapshot = buildCatalog({ ...doc, functions: [...doc.functions, plugin] }, overrides).catalog;
  assert.equal(snapshot.functions.length, 759);
  assert.deepEqual(snapshot.excluded?.map((e) => e.name), ['local_moodlemcp_export_functions']);
});

test('the catalog records its source by content: the same functions from another file, path or site give the same source', () => {
  const source = functionSetSource(doc);
  assert.match(source, /^functions:sha256:[0-9a-f]{64}$/);
  // Another export of the same site: other address, notes, database, key order of the envelope and functions reversed.
  const elsewhere = { ...doc, moodle: { ...doc.moodle, wwwroot: 'https://elsewhere.example' }, notes: [], functions: [...doc.functions].reverse() };
  assert.equal(functionSetSource(elsewhere), source);
  assert.equal(buildCatalog(elsewhere, overrides).catalog.moodle.source, source);
  // Any change to a function changes it.
  const changed = { ...doc, functions: doc.functions.map((fn, i) => (i === 0 ? { ...fn, description: fn.description + '.' } : fn)) };
  assert.notEqual(functionSetSource(changed), source);
  assert.doesNotMatch(JSON.stringify(build.catalog.moodle), /functions-4\.5\.6\.json|127\.0\.0\.1/);
});
