// A teaching assistant's session under a course restriction (issue 10), SDK client → gateway over a real socket →
// Moodle simulator (teacher dlindqvist, enrolled in PM101 = course 2, BUS120 = 3; not in DS101 = 4), profile
// restricted to course 2: the 24 calls about course 2 are allowed, the same calls with ids from courses 3 and 4 are
// refused, and Moodle lookups are counted (at most one per distinct entity per cache window).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { simulatorTokens } from '../../runtime/simulator/index.ts';
import { courseMoodle, type CourseMoodle } from '../helpers/course-moodle.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

const TEACHER = simulatorTokens['dlindqvist']!;
const env = { TA_KEY: 'k-ta', CAMPUS_KEY: 'k-campus', SLOW_KEY: 'k-slow', SLOW2_KEY: 'k-slow2', TEACHER_TOKEN: TEACHER };
const profile = (extra: Record<string, unknown> = {}) => ({ scopes: ['api.read', 'api.write'], allow: ['*'], courses: [2], ip_allow: ['127.0.0.0/8', '::1/128'], ...extra });

/** One call of the session: its arguments about course 2, and the same call about courses 3 and 4 (null: no such entity). */
type SessionCall = [fn: string, course2: Record<string, unknown>, course3: Record<string, unknown> | null, course4: Record<string, unknown> | null];

const SESSION: SessionCall[] = [
  ['core_webservice_get_site_info', {}, null, null],
  ['core_enrol_get_users_courses', { userid: 4 }, null, null],
  ['core_course_get_contents', { courseid: 2 }, { courseid: 3 }, { courseid: 4 }],
  ['core_enrol_get_enrolled_users', { courseid: 2 }, { courseid: 3 }, { courseid: 4 }],
  ['mod_forum_get_forums_by_courses', { courseids: [2] }, { courseids: [3] }, { courseids: [4] }],
  ['mod_forum_get_forum_discussions', { forumid: 5 }, { forumid: 6 }, { forumid: 7 }],
  ['mod_forum_get_discussion_posts', { discussionid: 1 }, { discussionid: 6 }, { discussionid: 8 }],
  ['mod_forum_get_discussion_post', { postid: 1 }, { postid: 12 }, { postid: 19 }],
  ['mod_assign_get_assignments', { courseids: [2] }, { courseids: [3] }, { courseids: [4] }],
  ['mod_assign_get_submissions', { assignmentids: [1] }, { assignmentids: [3] }, { assignmentids: [4] }],
  ['mod_assign_get_submission_status', { assignid: 1 }, { assignid: 3 }, { assignid: 4 }],
  ['mod_assign_list_participants', { assignid: 1, groupid: 0, filter: '' }, { assignid: 3, groupid: 0, filter: '' }, { assignid: 4, groupid: 0, filter: '' }],
  ['gradereport_user_get_grade_items', { courseid: 2 }, { courseid: 3 }, { courseid: 4 }],
  ['core_group_get_course_groups', { courseid: 2 }, { courseid: 3 }, { courseid: 4 }],
  ['core_group_get_group_members', { groupids: [1] }, null, { groupids: [5] }],
  ['mod_quiz_get_quizzes_by_courses', { courseids: [2] }, { courseids: [3] }, { courseids: [4] }],
  ['mod_quiz_get_user_attempts', { quizid: 1 }, null, { quizid: 2 }],
  ['mod_quiz_get_attempt_review', { attemptid: 1 }, null, { attemptid: 7 }],
  ['core_grades_get_gradeitems', { courseid: 2 }, { courseid: 3 }, { courseid: 4 }],
  ['core_completion_get_activities_completion_status', { courseid: 2, userid: 6 }, { courseid: 3, userid: 16 }, { courseid: 4, userid: 6 }],
  ['core_course_get_course_module', { cmid: 5 }, { cmid: 7 }, { cmid: 9 }],
  ['mod_page_get_pages_by_courses', { courseids: [2] }, { courseids: [3] }, { courseids: [4] }],
  ['core_calendar_get_action_events_by_timesort', { timesortfrom: 0 }, null, null],
  ['core_course_get_course_module_by_instance', { module: 'forum', instance: 5 }, { module: 'forum', instance: 6 }, { module: 'forum', instance: 7 }],
];

const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name: 'moodle_call_function', arguments: { name, arguments: args } });

/** A gateway whose Moodle is the counting simulator; `resolver`: the site enables local_moodlemcp_resolve_courses. */
async function start(resolver: boolean) {
  const moodle = courseMoodle({ resolver });
  const config = testConfig(
    {
      mode: 'read-write',
      profiles: {
        default: { scopes: ['api.read'], allow: ['*'] },
        demo: { scopes: ['api.read'], allow: ['*'] },
        ta: profile(),
        'ta-campus': profile({ ip_allow: ['10.0.0.0/8'] }),
        'ta-slow': profile({ rate_per_minute: 2 }),
      },
      connections: [
        { id: 'ta', key_env: 'TA_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'ta' },
        { id: 'campus', key_env: 'CAMPUS_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'ta-campus' },
        { id: 'slow', key_env: 'SLOW_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'ta-slow' },
        { id: 'slow2', key_env: 'SLOW2_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'ta-slow' },
      ],
    },
    env,
  );
  const gw = await startTestGateway(config, { env, moodleFetch: moodle.fetch });
  const server = await listen(gw.gateway);
  return { moodle, gw, server, connect: (key: string) => connectClient(server.url, key) };
}

describe('teaching-assistant session under courses: [2], resolver enabled', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let client: Client;
  before(async () => {
    s = await start(true);
    client = await s.connect('k-ta');
  });
  after(async () => {
    await client.close();
    await s.server.close();
    await s.gw.close();
  });

  test('every one of the 24 calls about course 2 is allowed', async () => {
    assert.equal(SESSION.length, 24);
    const refused: string[] = [];
    for (const [fn, args] of SESSION) {
      const result = await call(client, fn, args);
      if (result.isError) refused.push(`${fn}: ${text(result)}`);
    }
    assert.deepEqual(refused, []);
  });

  /**
   * The entities the gateway looked up: one per resolver ref, one per call of a Moodle lookup function, without the
   * session's own calls of those functions (core_course_get_course_module is also a call of the session).
   */
  function lookedUp(session: SessionCall[]): string[] {
    const key = (fn: string, args: Record<string, unknown>) =>
      `${fn}:${JSON.stringify(Object.fromEntries(Object.entries(args).filter(([k]) => !k.startsWith('ws') && k !== 'moodlewsrestformat').map(([k, v]) => [k, String(v)])))}`;
    const own = session.map(([fn, args]) => key(fn, args));
    const out: string[] = [];
    for (const l of s.moodle.lookups) {
      if (l.fn === 'local_moodlemcp_resolve_courses') {
        out.push(...Object.values(l.args.refs as Record<string, { type: string; id: string }>).map((r) => `${r.type}:${r.id}`));
        continue;
      }
      const k = key(l.fn, l.args);
      const mine = own.indexOf(k);
      if (mine >= 0) own.splice(mine, 1);
      else out.push(k);
    }
    return out;
  }

  test('Moodle lookups: at most one per distinct entity per cache window (the session again makes none)', async () => {
    const entities = lookedUp(SESSION);
    assert.ok(entities.length >= 5, `course modules, instances, groups, posts and attempts were looked up: ${entities.join(', ')}`);
    assert.equal(new Set(entities).size, entities.length, `an entity was looked up twice: ${entities.join(', ')}`);
    assert.ok((s.moodle.calls.get('local_moodlemcp_resolve_courses') ?? 0) <= SESSION.length, 'at most one resolver call per tools/call');
    s.moodle.reset();
    for (const [fn, args] of SESSION) await call(client, fn, args);
    assert.deepEqual(lookedUp(SESSION), [], 'cached for the window');
  });

  test('the same calls with ids from courses 3 and 4 are refused, without the answer', async () => {
    const allowed: string[] = [];
    for (const [fn, , course3, course4] of SESSION) {
      for (const [course, args] of [[3, course3], [4, course4]] as const) {
        if (!args) continue;
        const result = await call(client, fn, args);
        if (!result.isError) allowed.push(`${fn} (course ${course}) ${JSON.stringify(args)}`);
        else assert.match(text(result), /course restriction|is not allowed for profile 'ta'|requireloginerror/, fn); // the gateway refuses, or Moodle does (a read checked on its answer)
      }
    }
    assert.deepEqual(allowed, []);
  });

  test('mod_forum_set_lock_state on the allowed forum 5 with discussion 6 (course 3) is refused before Moodle', async () => {
    const result = await call(client, 'mod_forum_set_lock_state', { forumid: 5, discussionid: 6, targetstate: 0 });
    assert.equal(result.isError, true);
    assert.match(text(result), /course 3 is not allowed for profile 'ta'/);
    assert.equal(s.moodle.calls.get('mod_forum_set_lock_state') ?? 0, 0);
  });

  test('audit records say how each reference was mapped, with course ids but no entity ids', async () => {
    const records = (await s.gw.audited()).filter((r) => r.moodle_function === 'mod_forum_get_discussion_posts');
    assert.ok(records.length > 0);
    for (const r of records) {
      for (const line of r.course_refs ?? []) assert.doesNotMatch(line.replace(/course \d+/g, ''), /\d/, `no entity id in ${line}`);
    }
    assert.ok(records.some((r) => r.decision === 'allowed' && r.course_ids?.includes(2)));
  });
});

describe('course restriction without the resolver', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start(false);
  });
  after(async () => {
    await s.server.close();
    await s.gw.close();
  });

  test('only references that Moodle\'s own functions cannot map are refused, each naming its entity and the remedy', async () => {
    const client = await s.connect('k-ta');
    const refused = new Map<string, string>();
    for (const [fn, args] of SESSION) {
      const result = await call(client, fn, args);
      if (result.isError) refused.set(fn, text(result));
    }
    await client.close();
    for (const [fn, message] of refused) {
      assert.match(message, /ids can be checked only when the local_moodlemcp resolver is enabled|the answer names no course/, `${fn} refused for another reason: ${message}`);
    }
    // Course ids, course modules, module instances, groups and answers that name their course need no resolver:
    // only the post and the attempt (forum_post, quiz_attempt) are left.
    assert.deepEqual([...refused.keys()].sort(), ['mod_forum_get_discussion_post', 'mod_quiz_get_attempt_review']);
    assert.match(refused.get('mod_forum_get_discussion_post')!, /forum_post ids can be checked only when the local_moodlemcp resolver is enabled/);
    assert.match(refused.get('mod_quiz_get_attempt_review')!, /quiz_attempt ids can be checked only when the local_moodlemcp resolver is enabled/);
  });

  test('mod_forum_set_lock_state on an allowed forum with a discussion of course 3 is refused', async () => {
    const client = await s.connect('k-ta');
    const result = await call(client, 'mod_forum_set_lock_state', { forumid: 5, discussionid: 6, targetstate: 0 });
    await client.close();
    assert.equal(result.isError, true);
    assert.match(text(result), /forum_discussion ids can be checked only when the local_moodlemcp resolver is enabled/);
    assert.equal(s.moodle.calls.get('mod_forum_set_lock_state') ?? 0, 0, 'never reaches Moodle');
  });

  test('the enrol_meta bypass (a course id written as a string) is refused', async () => {
    const client = await s.connect('k-ta');
    for (const fn of ['enrol_meta_add_instances', 'enrol_meta_delete_instances']) {
      const result = await call(client, fn, { instances: [{ metacourseid: 2, courseid: '4' }] });
      assert.equal(result.isError, true, fn);
      assert.match(text(result), /course 4 is not allowed for profile 'ta'/);
      assert.equal(s.moodle.calls.get(fn) ?? 0, 0, 'never reaches Moodle');
    }
    await client.close();
  });

  test('a call refused by IP or by rate makes no lookup, and its reasons name no course', async () => {
    s.moodle.reset();
    // From outside ip_allow (the socket peer is 127.0.0.1; the campus profile allows only 10.0.0.0/8).
    const outside = await s.connect('k-campus');
    const byIp = await call(outside, 'core_group_get_activity_groupmode', { cmid: 10 });
    await outside.close();
    assert.equal(byIp.isError, true);
    assert.match(text(byIp), /is not in the ip_allow list/);
    assert.doesNotMatch(text(byIp), /course \d/);

    const slow = await s.connect('k-slow');
    assert.equal((await call(slow, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
    assert.equal((await call(slow, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
    const byRate = await call(slow, 'core_group_get_activity_groupmode', { cmid: 10 });
    await slow.close();
    assert.equal(byRate.isError, true);
    assert.match(text(byRate), /rate limit reached/);
    assert.doesNotMatch(text(byRate), /course \d/);
    assert.deepEqual(s.moodle.lookups, [], 'no lookup for calls refused before their course facts');
  });

  test('lookups count toward the connection\'s rate budget', async () => {
    s.moodle.reset();
    const slow = await s.connect('k-slow2');
    // 2 calls per minute: a call with one lookup uses both (the call and its lookup); the next one is refused.
    const first = await call(slow, 'core_group_get_activity_groupmode', { cmid: 6 });
    assert.equal(first.isError, undefined, text(first));
    const next = await call(slow, 'core_course_get_contents', { courseid: 2 });
    await slow.close();
    assert.equal(next.isError, true);
    assert.match(text(next), /rate limit reached/);
  });
});
