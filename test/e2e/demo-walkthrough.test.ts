// The demo as a newcomer meets it (`make run`, no Moodle configured): the three demo keys walk through the common
// reads — their courses, course contents, participants, forums, discussions and posts, assignments and submissions,
// grades, calendar, completion, quizzes and attempts, groups — through the gateway and the Moodle simulator.
// No answer is empty where the seeded site has content for that user, and every answer has the shape the
// function's output schema describes in the catalog of the bundled 4.5.6 snapshot (the simulator's Moodle; generated/
// may hold a university's own site, e.g. Moodle 5.0, whose mod_assign answers carry a required gradepenalty).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { newAjv } from '../codegen/helpers.ts';
import { bundledGeneratedDir } from '../helpers/bundled-catalog.ts';
import { listen, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
const catalog = await loadCatalog(await bundledGeneratedDir());
const ajv = newAjv();

before(async () => {
  gw = await startTestGateway();
  server = await listen(gw.gateway);
});
after(async () => {
  await server.close();
  await gw.close();
});

type Any = any;

/** Calls a function as the demo user; fails on an error or an answer that does not match the output schema. */
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Any> {
  const result = await client.callTool({ name: 'moodle_call_function', arguments: { name, arguments: args } });
  assert.equal(result.isError, undefined, `${name} ${JSON.stringify(args)}: ${text(result)}`);
  const value = JSON.parse(text(result));
  const validate = ajv.compile(catalog.schemas(name).output);
  assert.ok(validate(value), `${name}: answer does not match its output schema: ${ajv.errorsText(validate.errors)}`);
  return value;
}

const nonEmpty = (list: unknown, what: string) => {
  assert.ok(Array.isArray(list) && list.length > 0, `${what} is empty`);
  return list as Any[];
};

/** The reads of one course, as a student (own data) or as someone who sees everyone (teacher, manager). */
async function walkCourse(client: Client, courseid: number, me: number, seesEveryone: boolean) {
  const sections = nonEmpty(await call(client, 'core_course_get_contents', { courseid }), `course ${courseid} contents`);
  assert.ok(sections.some((s) => s.modules.length > 0), `course ${courseid}: no section has modules`);

  const participants = nonEmpty(await call(client, 'core_enrol_get_enrolled_users', { courseid }), `course ${courseid} participants`);
  const students = participants.filter((u) => u.roles.some((r: Any) => r.shortname === 'student'));
  nonEmpty(students, `course ${courseid} students`);

  const forums = nonEmpty(await call(client, 'mod_forum_get_forums_by_courses', { courseids: [courseid] }), `course ${courseid} forums`);
  const general = forums.find((f) => f.type === 'general')!;
  const { discussions } = await call(client, 'mod_forum_get_forum_discussions', { forumid: general.id });
  nonEmpty(discussions, `forum ${general.id} discussions`);
  const { posts } = await call(client, 'mod_forum_get_discussion_posts', { discussionid: discussions[0].discussion });
  nonEmpty(posts, `discussion ${discussions[0].discussion} posts`);
  assert.ok(posts.every((p: Any) => p.discussionid === discussions[0].discussion && p.author.fullname));

  const { courses } = await call(client, 'mod_assign_get_assignments', { courseids: [courseid] });
  const assignments = nonEmpty(courses[0]?.assignments, `course ${courseid} assignments`);
  const assignid = assignments[0].id;
  if (seesEveryone) {
    const { assignments: subs } = await call(client, 'mod_assign_get_submissions', { assignmentids: [assignid] });
    nonEmpty(subs[0]?.submissions, `assignment ${assignid} submissions`);
  } else {
    const status = await call(client, 'mod_assign_get_submission_status', { assignid });
    assert.ok(status.lastattempt, `assignment ${assignid}: no submission status`);
  }

  const gradeUser = seesEveryone ? students[0].id : me;
  const { usergrades } = await call(client, 'gradereport_user_get_grade_items', { courseid, userid: gradeUser });
  nonEmpty(usergrades[0]?.gradeitems, `course ${courseid} grade items of user ${gradeUser}`);

  const { events } = await call(client, 'core_calendar_get_calendar_events', { events: { courseids: [courseid] } });
  nonEmpty(events, `course ${courseid} calendar events`);

  const { statuses } = await call(client, 'core_completion_get_activities_completion_status', { courseid, userid: gradeUser });
  nonEmpty(statuses, `course ${courseid} completion of user ${gradeUser}`);

  const hasQuiz = sections.some((s) => s.modules.some((m: Any) => m.modname === 'quiz'));
  if (hasQuiz) {
    const { quizzes } = await call(client, 'mod_quiz_get_quizzes_by_courses', { courseids: [courseid] });
    nonEmpty(quizzes, `course ${courseid} quizzes`);
    // A student with attempts in this quiz (by the content rules) or, for a student, their own.
    const attemptsOf = async (userid: number) => (await call(client, 'mod_quiz_get_user_attempts', { quizid: quizzes[0].id, userid, status: 'all' })).attempts as Any[];
    if (seesEveryone) {
      let found = false;
      for (const s of students.slice(0, 4)) if ((await attemptsOf(s.id)).length) found = true;
      assert.ok(found, `quiz ${quizzes[0].id}: no attempts by the course's first students`);
    } else {
      nonEmpty(await attemptsOf(me), `quiz ${quizzes[0].id} attempts of user ${me}`);
    }
  }
}

test('demo-student: their courses and what a student sees in them', async () => {
  const client = await connectClient(server.url, 'demo-student');
  const me = (await call(client, 'core_webservice_get_site_info', {})).userid;
  const mine = nonEmpty(await call(client, 'core_enrol_get_users_courses', { userid: me }), 'my courses');
  assert.ok([2, 4].every((id) => mine.some((c) => c.id === id)), 'enrolled in courses 2 and 4');
  await walkCourse(client, 2, me, false);
  await walkCourse(client, 4, me, false);
  // A student sees their own data only.
  const other = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'gradereport_user_get_grade_items', arguments: { courseid: 4, userid: 8 } } });
  assert.equal(other.isError, true, 'a student may not read another student\'s grades');
  const { assignments, warnings } = await call(client, 'mod_assign_get_submissions', { assignmentids: [4] });
  assert.deepEqual(assignments, []);
  assert.equal(warnings[0].itemid, 4, 'submissions of others: a warning, as Moodle answers a student');
  await client.close();
});

test('demo-teacher: their courses, with everyone\'s submissions, grades and attempts', async () => {
  const client = await connectClient(server.url, 'demo-teacher');
  const me = (await call(client, 'core_webservice_get_site_info', {})).userid;
  const mine = nonEmpty(await call(client, 'core_enrol_get_users_courses', { userid: me }), 'my courses');
  assert.ok(mine.some((c) => c.id === 2) && mine.some((c) => c.id === 3));
  await walkCourse(client, 2, me, true);
  await walkCourse(client, 3, me, true);
  nonEmpty(await call(client, 'core_group_get_course_groups', { courseid: 2 }), 'course 2 groups');
  await client.close();
});

test('what is due: the timeline and the upcoming view of the student and the teacher', async () => {
  for (const key of ['demo-student', 'demo-teacher']) {
    const client = await connectClient(server.url, key);
    const { events } = await call(client, 'core_calendar_get_action_events_by_timesort', { timesortfrom: 1794000000 });
    nonEmpty(events, `${key}: timeline`);
    assert.ok(events.every((e: Any) => e.action?.name), `${key}: every timeline event has an action`);
    const upcoming = await call(client, 'core_calendar_get_calendar_upcoming_view', {});
    nonEmpty(upcoming.events, `${key}: upcoming view`);
    await client.close();
  }
});

test('demo-manager: every course of the site', async () => {
  const client = await connectClient(server.url, 'demo-manager');
  const me = (await call(client, 'core_webservice_get_site_info', {})).userid;
  const all = nonEmpty(await call(client, 'core_course_get_courses', {}), 'all courses');
  assert.ok(all.length >= 5);
  await walkCourse(client, 4, me, true);
  await walkCourse(client, 5, me, true);
  nonEmpty(await call(client, 'core_group_get_course_groups', { courseid: 4 }), 'course 4 groups');
  await client.close();
});

test('answers are consistent across calls: the same discussion lists the same posts for student and teacher', async () => {
  const student = await connectClient(server.url, 'demo-student');
  const teacher = await connectClient(server.url, 'demo-teacher');
  const a = await call(student, 'mod_forum_get_discussion_posts', { discussionid: 8 }).catch(() => null);
  const b = await call(student, 'mod_forum_get_discussion_posts', { discussionid: 8 });
  assert.deepEqual(a, b);
  const s = await call(student, 'core_course_get_contents', { courseid: 2 });
  const t = await call(teacher, 'core_course_get_contents', { courseid: 2 });
  assert.deepEqual(s.map((x: Any) => x.modules.map((m: Any) => m.id)), t.map((x: Any) => x.modules.map((m: Any) => m.id)));
  await student.close();
  await teacher.close();
});

test('participants: Moodle\'s options groupid, limitfrom and limitnumber apply', async () => {
  const client = await connectClient(server.url, 'demo-teacher');
  const all = await call(client, 'core_enrol_get_enrolled_users', { courseid: 3 });
  const page = await call(client, 'core_enrol_get_enrolled_users', { courseid: 3, options: [{ name: 'limitfrom', value: '2' }, { name: 'limitnumber', value: '3' }] });
  assert.deepEqual(page.map((u: Any) => u.id), all.slice(2, 5).map((u: Any) => u.id));
  const alpha = await call(client, 'core_enrol_get_enrolled_users', { courseid: 2, options: [{ name: 'groupid', value: '1' }] });
  assert.ok(alpha.length > 0 && alpha.every((u: Any) => u.groups.some((g: Any) => g.id === 1)));
  await client.close();
});
