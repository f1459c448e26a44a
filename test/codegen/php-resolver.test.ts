// The course resolver of the local_moodlemcp plugin (local_moodlemcp_resolve_courses) through its PHP test harness
// (test/codegen/php/resolver-harness.php: the resolver's SQL runs on an in-memory SQLite copy of the Moodle tables it
// reads). For every entity type: found in a course the user can access -> that course; found in a course the user
// cannot access -> unknown; missing -> unknown; plus the 'nocourse' cases and the batching promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const php = spawnSync('php', ['-r', 'echo extension_loaded("pdo_sqlite") ? "yes" : "no";'], { encoding: 'utf8' });
const skip = php.status !== 0 ? 'php is not installed (scripts/setup.sh installs php-cli)'
  : php.stdout !== 'yes' ? 'the pdo_sqlite PHP extension is missing (scripts/setup.sh installs php-sqlite3)' : false;
const harness = fileURLToPath(new URL('./php/resolver-harness.php', import.meta.url));

type Row = Record<string, string | number | null>;
type Rows = Record<string, Row[]>;
interface Ref { type: string; id: number }
interface Result { type: string; id: number; status: 'course' | 'nocourse' | 'unknown'; courseid: number }

/** The calling user (a teacher of course 2, not of course 4), as on the seeded Moodle. */
const USER = 4;
const OTHER_USER = 6;
const ALLOWED = 2; // accessible course
const DENIED = 4; // existing course the user cannot access
const VISIBLE_CATEGORY = 1;
const HIDDEN_CATEGORY = 9;

/**
 * The world: front page (course 1), course 2 (accessible) and course 4 (not), each with one activity instance per
 * module (id 21 in course 2, 22 in course 4), course module 31/32, contexts as Moodle builds them.
 */
function world(): Rows {
  const rows: Rows = {};
  const add = (table: string, ...items: Row[]) => (rows[table] ??= []).push(...items);
  add('course', { id: 1, category: 0, shortname: 'site', visible: 1 }, { id: ALLOWED, category: VISIBLE_CATEGORY, shortname: 'PM101', visible: 1 },
    { id: DENIED, category: VISIBLE_CATEGORY, shortname: 'DS101', visible: 1 });
  add('modules', ...MODULES.map((name, i) => ({ id: i + 1, name })));
  add('course_modules', { id: 31, course: ALLOWED, module: 1, instance: 21 }, { id: 32, course: DENIED, module: 1, instance: 22 });
  add('context',
    { id: 1, contextlevel: 10, instanceid: 0, path: '/1', depth: 1 },
    { id: 2, contextlevel: 50, instanceid: 1, path: '/1/2', depth: 2 },
    { id: 3, contextlevel: 40, instanceid: VISIBLE_CATEGORY, path: '/1/3', depth: 2 },
    { id: 4, contextlevel: 40, instanceid: HIDDEN_CATEGORY, path: '/1/4', depth: 2 },
    { id: 30, contextlevel: 30, instanceid: USER, path: '/1/30', depth: 2 },
    { id: 31, contextlevel: 30, instanceid: OTHER_USER, path: '/1/31', depth: 2 },
    { id: 50, contextlevel: 50, instanceid: ALLOWED, path: '/1/3/50', depth: 3 },
    { id: 51, contextlevel: 50, instanceid: DENIED, path: '/1/3/51', depth: 3 },
    { id: 70, contextlevel: 70, instanceid: 31, path: '/1/3/50/70', depth: 4 },
    { id: 71, contextlevel: 70, instanceid: 32, path: '/1/3/51/71', depth: 4 },
    { id: 72, contextlevel: 70, instanceid: 99, path: '/1/3/51/72', depth: 4 }, // module context whose course module is gone
    { id: 80, contextlevel: 80, instanceid: 1, path: '/1/3/50/80', depth: 4 }, // block on the page of course 2
    { id: 81, contextlevel: 80, instanceid: 2, path: '/1/3/51/71/81', depth: 5 }, // block on an activity of course 4
    { id: 82, contextlevel: 80, instanceid: 3, path: '/1/82', depth: 2 }, // dashboard default block (system)
    { id: 83, contextlevel: 80, instanceid: 4, path: '/1/31/83', depth: 3 }, // block on another user's dashboard
  );
  for (const table of ['forum', 'quiz', 'lesson', 'wiki', 'glossary', 'data', 'workshop', 'scorm', 'book', 'bigbluebuttonbn', 'h5pactivity']) {
    add(table, { id: 21, course: ALLOWED }, { id: 22, course: DENIED });
  }
  return rows;
}
const MODULES = ['forum', 'quiz', 'assign', 'page'];

/**
 * Per course-bound type: the rows of one entity with id `id` in the course of instance/course module/context
 * `at` (21/31/50/70 for course 2, 22/32/51/71 for course 4).
 */
interface Placement { instance: number; course: number; courseContext: number; moduleContext: number }
const IN_ALLOWED: Placement = { instance: 21, course: ALLOWED, courseContext: 50, moduleContext: 70 };
const IN_DENIED: Placement = { instance: 22, course: DENIED, courseContext: 51, moduleContext: 71 };

const ENTITY_ROWS: Record<string, (id: number, at: Placement) => Rows> = {
  course_module: (id, at) => ({ course_modules: [{ id, course: at.course, module: 2, instance: 100 + id }] }),
  course_section: (id, at) => ({ course_sections: [{ id, course: at.course, section: 1 }] }),
  group: (id, at) => ({ groups: [{ id, courseid: at.course }] }),
  grouping: (id, at) => ({ groupings: [{ id, courseid: at.course }] }),
  enrol_instance: (id, at) => ({ enrol: [{ id, enrol: 'manual', courseid: at.course }] }),
  user_enrolment: (id, at) => ({ enrol: [{ id: 200 + id, enrol: 'manual', courseid: at.course }], user_enrolments: [{ id, enrolid: 200 + id, userid: OTHER_USER }] }),
  grade_item: (id, at) => ({ grade_items: [{ id, courseid: at.course }] }),
  grade_category: (id, at) => ({ grade_categories: [{ id, courseid: at.course }] }),
  course_competency: (id, at) => ({ competency_coursecomp: [{ id, courseid: at.course, competencyid: 3 }] }),
  bigbluebuttonbn_recording: (id, at) => ({ bigbluebuttonbn_recordings: [{ id, bigbluebuttonbnid: at.instance, courseid: at.course }] }),
  book_chapter: (id, at) => ({ book_chapters: [{ id, bookid: at.instance }] }),
  data_record: (id, at) => ({ data_records: [{ id, dataid: at.instance }] }),
  data_field: (id, at) => ({ data_fields: [{ id, dataid: at.instance }] }),
  // The discussion row's own course column says course 2 in both: the forum's course is what counts.
  forum_discussion: (id, at) => ({ forum_discussions: [{ id, course: ALLOWED, forum: at.instance }] }),
  forum_post: (id, at) => ({ forum_discussions: [{ id: 300 + id, course: at.course, forum: at.instance }], forum_posts: [{ id, discussion: 300 + id }] }),
  glossary_entry: (id, at) => ({ glossary_entries: [{ id, glossaryid: at.instance }] }),
  glossary_category: (id, at) => ({ glossary_categories: [{ id, glossaryid: at.instance }] }),
  h5pactivity_attempt: (id, at) => ({ h5pactivity_attempts: [{ id, h5pactivityid: at.instance }] }),
  lesson_page: (id, at) => ({ lesson_pages: [{ id, lessonid: at.instance }] }),
  quiz_attempt: (id, at) => ({ quiz_attempts: [{ id, quiz: at.instance, userid: OTHER_USER }] }),
  quiz_grade_item: (id, at) => ({ quiz_grade_items: [{ id, quizid: at.instance }] }),
  quiz_override: (id, at) => ({ quiz_overrides: [{ id, quiz: at.instance }] }),
  quiz_slot: (id, at) => ({ quiz_slots: [{ id, quizid: at.instance }] }),
  scorm_sco: (id, at) => ({ scorm_scoes: [{ id, scorm: at.instance }] }),
  wiki_subwiki: (id, at) => ({ wiki_subwikis: [{ id, wikiid: at.instance }] }),
  wiki_page: (id, at) => ({ wiki_subwikis: [{ id: 300 + id, wikiid: at.instance }], wiki_pages: [{ id, subwikiid: 300 + id }] }),
  workshop_submission: (id, at) => ({ workshop_submissions: [{ id, workshopid: at.instance }] }),
  workshop_assessment: (id, at) => ({ workshop_submissions: [{ id: 300 + id, workshopid: at.instance }], workshop_assessments: [{ id, submissionid: 300 + id }] }),
  // Context-bound types.
  context: (id, at) => ({ context: [{ id, contextlevel: 70, instanceid: at === IN_ALLOWED ? 31 : 32, path: `/1/3/${at.courseContext}/${id}`, depth: 4 }] }),
  block_instance: (id, at) => ({ block_instances: [{ id, blockname: 'html', parentcontextid: at.courseContext }] }),
  analytics_prediction: (id, at) => ({ analytics_predictions: [{ id, contextid: at.courseContext }] }),
  contentbank_content: (id, at) => ({ contentbank_content: [{ id, contextid: at.courseContext }] }),
  comment: (id, at) => ({ comments: [{ id, contextid: at.courseContext }] }),
  dataprivacy_expired_context: (id, at) => ({ tool_dataprivacy_ctxexpired: [{ id, contextid: at.moduleContext }] }),
  grading_definition: (id, at) => ({ grading_areas: [{ id: 300 + id, contextid: at.moduleContext }], grading_definitions: [{ id, areaid: 300 + id }] }),
  guide_comment: (id, at) => ({ ...gradingDefinition(id, at), gradingform_guide_comments: [{ id, definitionid: 400 + id }] }),
  guide_criterion: (id, at) => ({ ...gradingDefinition(id, at), gradingform_guide_criteria: [{ id, definitionid: 400 + id }] }),
  rubric_criterion: (id, at) => ({ ...gradingDefinition(id, at), gradingform_rubric_criteria: [{ id, definitionid: 400 + id }] }),
  rubric_level: (id, at) => ({
    ...gradingDefinition(id, at), gradingform_rubric_criteria: [{ id: 500 + id, definitionid: 400 + id }],
    gradingform_rubric_levels: [{ id, criterionid: 500 + id }],
  }),
  // A question id is question_versions.questionid (not the version row's id).
  question: (id, at) => ({
    question_categories: [{ id: 300 + id, contextid: at.courseContext }], question_bank_entries: [{ id: 400 + id, questioncategoryid: 300 + id }],
    question_versions: [{ id: 600 + id, questionbankentryid: 400 + id, questionid: id }],
  }),
  question_category: (id, at) => ({ question_categories: [{ id, contextid: at.courseContext }] }),
  question_usage: (id, at) => ({ question_usages: [{ id, contextid: at.moduleContext }] }),
  question_attempt: (id, at) => ({ question_usages: [{ id: 300 + id, contextid: at.moduleContext }], question_attempts: [{ id, questionusageid: 300 + id }] }),
  // Course or site.
  badge: (id, at) => ({ badge: [{ id, type: 2, courseid: at.course }] }),
  lti_tool_type: (id, at) => ({ lti_types: [{ id, course: at.course }] }),
  note: (id, at) => ({ post: [{ id, module: 'notes', userid: OTHER_USER, courseid: at.course, publishstate: 'public', usermodified: USER }] }),
  scale: (id, at) => ({ scale: [{ id, courseid: at.course }] }),
  calendar_event: (id, at) => ({ event: [{ id, eventtype: 'course', courseid: at.course, categoryid: 0, groupid: 0, userid: USER }] }),
  calendar_subscription: (id, at) => ({ event_subscriptions: [{ id, eventtype: 'course', courseid: at.course, categoryid: 0, groupid: 0, userid: USER }] }),
  message_conversation: (id, at) => ({ message_conversations: [{ id, type: 2, contextid: at.courseContext }] }),
  message: (id, at) => ({ message_conversations: [{ id: 300 + id, type: 2, contextid: at.courseContext }], messages: [{ id, conversationid: 300 + id, useridfrom: OTHER_USER }] }),
  mod_forum: (id, at) => ({ course_modules: [{ id: 700 + id, course: at.course, module: 1, instance: id }] }),
  mod_quiz: (id, at) => ({ course_modules: [{ id: 900 + id, course: at.course, module: 2, instance: id }] }),
};
function gradingDefinition(id: number, at: Placement): Rows {
  return { grading_areas: [{ id: 300 + id, contextid: at.moduleContext }], grading_definitions: [{ id: 400 + id, areaid: 300 + id }] };
}

/** Entities outside any course: each must answer 'nocourse' (visible) or 'unknown' (not visible to the user). */
const OUTSIDE: Array<{ name: string; ref: Ref; rows: Rows; status: 'course' | 'nocourse' | 'unknown' }> = [
  { name: 'system context', ref: { type: 'context', id: 1 }, rows: {}, status: 'nocourse' },
  { name: 'visible category context', ref: { type: 'context', id: 3 }, rows: {}, status: 'nocourse' },
  { name: 'hidden category context', ref: { type: 'context', id: 4 }, rows: {}, status: 'unknown' },
  { name: 'own user context', ref: { type: 'context', id: 30 }, rows: {}, status: 'nocourse' },
  { name: "another user's context", ref: { type: 'context', id: 31 }, rows: {}, status: 'unknown' },
  { name: 'front page course context', ref: { type: 'context', id: 2 }, rows: {}, status: 'unknown' },
  { name: 'module context whose course module is gone', ref: { type: 'context', id: 72 }, rows: {}, status: 'unknown' },
  { name: 'dashboard block (system parent)', ref: { type: 'context', id: 82 }, rows: {}, status: 'nocourse' },
  { name: "block on another user's dashboard", ref: { type: 'context', id: 83 }, rows: {}, status: 'unknown' },
  { name: 'block instance in the system context', ref: { type: 'block_instance', id: 901 }, rows: { block_instances: [{ id: 901, blockname: 'timeline', parentcontextid: 1 }] }, status: 'nocourse' },
  { name: 'question category in a visible category', ref: { type: 'question_category', id: 902 }, rows: { question_categories: [{ id: 902, contextid: 3 }] }, status: 'nocourse' },
  { name: 'site event', ref: { type: 'calendar_event', id: 903 }, rows: { event: [{ id: 903, eventtype: 'site', courseid: 1, categoryid: 0, groupid: 0, userid: 2 }] }, status: 'nocourse' },
  { name: 'event of a visible category', ref: { type: 'calendar_event', id: 904 }, rows: { event: [{ id: 904, eventtype: 'category', courseid: 0, categoryid: VISIBLE_CATEGORY, groupid: 0, userid: 2 }] }, status: 'nocourse' },
  { name: 'event of a hidden category', ref: { type: 'calendar_event', id: 905 }, rows: { event: [{ id: 905, eventtype: 'category', courseid: 0, categoryid: HIDDEN_CATEGORY, groupid: 0, userid: 2 }] }, status: 'unknown' },
  { name: 'own user event', ref: { type: 'calendar_event', id: 906 }, rows: { event: [{ id: 906, eventtype: 'user', courseid: 0, categoryid: 0, groupid: 0, userid: USER }] }, status: 'nocourse' },
  { name: "another user's event", ref: { type: 'calendar_event', id: 907 }, rows: { event: [{ id: 907, eventtype: 'user', courseid: 0, categoryid: 0, groupid: 0, userid: OTHER_USER }] }, status: 'unknown' },
  { name: 'group event of course 2', ref: { type: 'calendar_event', id: 908 }, rows: { event: [{ id: 908, eventtype: 'group', courseid: ALLOWED, categoryid: 0, groupid: 1, userid: OTHER_USER }] }, status: 'course' },
  { name: 'site subscription', ref: { type: 'calendar_subscription', id: 909 }, rows: { event_subscriptions: [{ id: 909, eventtype: 'site', courseid: 1, categoryid: 0, groupid: 0, userid: 2 }] }, status: 'nocourse' },
  { name: "another user's subscription", ref: { type: 'calendar_subscription', id: 910 }, rows: { event_subscriptions: [{ id: 910, eventtype: 'user', courseid: 0, categoryid: 0, groupid: 0, userid: OTHER_USER }] }, status: 'unknown' },
  { name: 'site badge', ref: { type: 'badge', id: 911 }, rows: { badge: [{ id: 911, type: 1, courseid: null }] }, status: 'nocourse' },
  { name: 'site tool type', ref: { type: 'lti_tool_type', id: 912 }, rows: { lti_types: [{ id: 912, course: 1 }] }, status: 'nocourse' },
  { name: 'standard scale', ref: { type: 'scale', id: 913 }, rows: { scale: [{ id: 913, courseid: 0 }] }, status: 'nocourse' },
  { name: 'site note', ref: { type: 'note', id: 914 }, rows: { post: [{ id: 914, module: 'notes', userid: OTHER_USER, courseid: 1, publishstate: 'site', usermodified: 3 }] }, status: 'nocourse' },
  { name: "someone else's personal note on the front page", ref: { type: 'note', id: 915 }, rows: { post: [{ id: 915, module: 'notes', userid: OTHER_USER, courseid: 1, publishstate: 'draft', usermodified: 3 }] }, status: 'unknown' },
  { name: 'a blog entry is not a note', ref: { type: 'note', id: 916 }, rows: { post: [{ id: 916, module: 'blog', userid: USER, courseid: ALLOWED, publishstate: 'site', usermodified: USER }] }, status: 'unknown' },
  { name: 'individual conversation of the user', ref: { type: 'message_conversation', id: 917 }, rows: { message_conversations: [{ id: 917, type: 1, contextid: null }], message_conversation_members: [{ id: 1, conversationid: 917, userid: USER }, { id: 2, conversationid: 917, userid: OTHER_USER }] }, status: 'nocourse' },
  { name: "other people's conversation", ref: { type: 'message_conversation', id: 918 }, rows: { message_conversations: [{ id: 918, type: 1, contextid: null }], message_conversation_members: [{ id: 3, conversationid: 918, userid: 3 }, { id: 4, conversationid: 918, userid: OTHER_USER }] }, status: 'unknown' },
  { name: "a message in the user's own conversation", ref: { type: 'message', id: 919 }, rows: { message_conversations: [{ id: 919, type: 3, contextid: null }], message_conversation_members: [{ id: 5, conversationid: 919, userid: USER }], messages: [{ id: 919, conversationid: 919, useridfrom: USER }] }, status: 'nocourse' },
  { name: "a message in other people's conversation", ref: { type: 'message', id: 920 }, rows: { messages: [{ id: 920, conversationid: 918, useridfrom: 3 }], message_conversations: [{ id: 918, type: 1, contextid: null }], message_conversation_members: [{ id: 3, conversationid: 918, userid: 3 }] }, status: 'unknown' },
  { name: 'a forum id sent as a quiz instance', ref: { type: 'mod_quiz', id: 21 }, rows: {}, status: 'unknown' },
  { name: 'a type that does not exist', ref: { type: 'no_such_entity', id: 21 }, rows: {}, status: 'unknown' },
  { name: 'id 0', ref: { type: 'course_module', id: 0 }, rows: {}, status: 'unknown' },
  { name: 'negative id', ref: { type: 'group', id: -5 }, rows: {}, status: 'unknown' },
];

function merge(...parts: Rows[]): Rows {
  const out: Rows = {};
  for (const part of parts) {
    for (const [table, items] of Object.entries(part)) {
      for (const item of items) {
        const list = (out[table] ??= []);
        if (!list.some((r) => r.id === item.id)) list.push(item);
      }
    }
  }
  return out;
}

function runHarness(input: unknown): { batches: Array<{ results: Result[]; queries: number }>; types?: string[] } {
  const run = spawnSync('php', [harness], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = JSON.parse(run.stdout || '{}') as { batches: Array<{ results: Result[]; queries: number }>; error?: string; types?: string[] };
  assert.equal(out.error, undefined, `harness failed: ${out.error} ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  return out;
}

function resolve(rows: Rows, batches: Ref[][], options: { accessible?: number[] } = {}) {
  return runHarness({ rows, userid: USER, accessible: options.accessible ?? [ALLOWED], categories: [VISIBLE_CATEGORY], batches }).batches;
}

const COURSE_BOUND_TYPES = Object.keys(ENTITY_ROWS);

test('every entity type: in an accessible course -> its course; in an inaccessible course -> unknown; missing -> unknown', { skip }, () => {
  const rows = merge(world(), ...COURSE_BOUND_TYPES.flatMap((type) => [ENTITY_ROWS[type](101, IN_ALLOWED), ENTITY_ROWS[type](102, IN_DENIED)]));
  const batches = COURSE_BOUND_TYPES.map((type) => [{ type, id: 101 }, { type, id: 102 }, { type, id: 103 }]);
  const answers = resolve(rows, batches);
  COURSE_BOUND_TYPES.forEach((type, i) => {
    assert.deepEqual(answers[i].results, [
      { type, id: 101, status: 'course', courseid: ALLOWED },
      { type, id: 102, status: 'unknown', courseid: 0 },
      { type, id: 103, status: 'unknown', courseid: 0 },
    ], type);
  });
  // With access to course 4 as well, the entity in course 4 resolves to it (the 'unknown' above was the access rule).
  const widened = resolve(rows, batches, { accessible: [ALLOWED, DENIED] });
  COURSE_BOUND_TYPES.forEach((type, i) => {
    assert.deepEqual(widened[i].results.map((r) => [r.status, r.courseid]), [['course', ALLOWED], ['course', DENIED], ['unknown', 0]], type);
  });
});

test('entities outside any course: nocourse only when the user may see them, unknown otherwise', { skip }, () => {
  const cases = OUTSIDE;
  const answers = resolve(merge(world(), ...cases.map((c) => c.rows)), cases.map((c) => [c.ref]));
  cases.forEach((c, i) => {
    const [result] = answers[i].results;
    assert.equal(result.status, c.status, c.name);
    assert.equal(result.courseid, c.status === 'course' ? ALLOWED : 0, c.name);
  });
});

test('context levels: course, module and block contexts resolve to their course (blocks through their parent)', { skip }, () => {
  const [answer] = resolve(world(), [[50, 51, 70, 71, 80, 81, 2, 999].map((id) => ({ type: 'context', id }))]);
  assert.deepEqual(answer.results.map((r) => [r.id, r.status, r.courseid]), [
    [50, 'course', ALLOWED], [51, 'unknown', 0], [70, 'course', ALLOWED], [71, 'unknown', 0],
    [80, 'course', ALLOWED], [81, 'unknown', 0], [2, 'unknown', 0], [999, 'unknown', 0],
  ]);
  // The front page is a course like any other: answered when the user can access it.
  const [front] = resolve(world(), [[{ type: 'context', id: 2 }, { type: 'course', id: 1 }]], { accessible: [1, ALLOWED] });
  assert.deepEqual(front.results.map((r) => [r.status, r.courseid]), [['course', 1], ['course', 1]]);
});

test('one batch of every type costs one query per type plus contexts, block parents and courses; answers keep the order', { skip }, () => {
  const rows = merge(world(), ...COURSE_BOUND_TYPES.flatMap((type) => [ENTITY_ROWS[type](101, IN_ALLOWED), ENTITY_ROWS[type](102, IN_DENIED)]));
  // 100 refs, every type, duplicates and a block context (so that block parents are read too).
  const refs: Ref[] = [{ type: 'context', id: 81 }];
  for (let i = 0; refs.length < 100; i++) refs.push({ type: COURSE_BOUND_TYPES[i % COURSE_BOUND_TYPES.length], id: 101 + (i % 3) });
  const [answer] = resolve(rows, [refs]);
  assert.deepEqual(answer.results.map((r) => [r.type, r.id]), refs.map((r) => [r.type, r.id]));
  const distinctTypes = new Set(refs.map((r) => r.type)).size;
  assert.ok(answer.queries <= distinctTypes + 3, `${answer.queries} queries for ${distinctTypes} types`);
  for (const [i, r] of answer.results.entries()) {
    const expected = r.id === 101 ? ['course', ALLOWED] : ['unknown', 0];
    if (i > 0) assert.deepEqual([r.status, r.courseid], expected, `${r.type} ${r.id}`);
  }
});

test('the PHP resolver covers every course-bound entity type of codegen/entities.ts that the resolver is meant for', { skip }, async () => {
  const phpTypes = runHarness({ list_types: true }).types!;
  // Every type listed by the PHP side is exercised by the tests above (mod_* through mod_forum and mod_quiz).
  const tested = new Set([...COURSE_BOUND_TYPES.map((t) => (t.startsWith('mod_') ? 'mod_*' : t)), 'course']);
  assert.deepEqual(phpTypes.filter((t) => !tested.has(t)), []);
  const entitiesModule = '../../codegen/entities.ts';
  const entities = (await import(entitiesModule).catch(() => undefined)) as
    { resolverEntityTypes(): string[]; ENTITY_TYPES: Record<string, { courseBound: boolean }> } | undefined;
  if (!entities) return; // codegen/entities.ts (issue 10 vocabulary) not merged yet; the check below runs once it is.
  const wanted = entities.resolverEntityTypes().map((t) => (t === 'module_instance' ? 'mod_*' : t));
  assert.deepEqual(wanted.filter((t) => !phpTypes.includes(t)), [], 'course-bound types the PHP resolver does not cover');
  const courseBound = Object.entries(entities.ENTITY_TYPES).filter(([, e]) => e.courseBound).map(([n]) => n);
  assert.deepEqual(phpTypes.filter((t) => t !== 'mod_*' && !courseBound.includes(t)), [], 'PHP types that are not course-bound entity types');
});
