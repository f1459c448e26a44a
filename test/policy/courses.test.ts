import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogFunction, CourseRef } from '../../runtime/catalog/types.ts';
import { createCourseResolver, type CallMoodle, type CourseResolver } from '../../runtime/policy/courses.ts';
import { parsePath, valuesAt } from '../../runtime/policy/paths.ts';
import { PolicyError } from '../../runtime/policy/errors.ts';

const VIA: Record<string, CourseRef['via']> = {
  course: ['argument'],
  course_module: ['moodle', 'resolver'],
  module_instance: ['moodle', 'resolver'],
  group: ['moodle', 'resolver'],
  grouping: ['moodle', 'resolver'],
  context_instance: ['argument', 'moodle', 'resolver'],
};
const ref = (path: string, entity: string, extra: Partial<CourseRef> = {}): CourseRef => ({ path, entity, via: VIA[entity] ?? ['resolver'], source: 'rule:test', ...extra });
type Fn = Pick<CatalogFunction, 'courseRefs' | 'access' | 'resultCourseRefs'> & { name?: string };
const read = (...courseRefs: CourseRef[]): Fn => ({ access: 'read', courseRefs });

/** Plans and resolves in one go, as the gateway does under a restriction. */
const resolve = (r: CourseResolver, fn: Fn, args: Record<string, unknown>, token: string, resolver = false) => r.resolve(r.plan(fn, args, { resolver }), token);

/**
 * A fake Moodle: course modules 10..12 in course 2, 20 in course 3; forum instance 7 → course 3; groups 1, 2 in
 * course 2 and 5 in course 4 (a batch with an unknown id fails as a whole, as Moodle does); the resolver knows
 * discussions 1 (course 2) and 6 (course 3) and the system-level block 9 (no course). Tokens see everything except 'guest'.
 */
function fakeMoodle() {
  const calls: { token: string; fn: string; args: Record<string, unknown> }[] = [];
  const cms: Record<number, number> = { 10: 2, 11: 2, 12: 2, 20: 3 };
  const instances: Record<string, number> = { 'forum:7': 3, 'assign:8': 2 };
  const groups: Record<number, number> = { 1: 2, 2: 2, 5: 4 };
  const resolved: Record<string, number | null> = { 'forum_discussion:1': 2, 'forum_discussion:6': 3, 'block_instance:9': null, 'mod_forum:7': 3 };
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const callMoodle: CallMoodle = async (token, fn, args) => {
    calls.push({ token, fn, args });
    if (gate) await gate;
    if (token === 'guest') throw new Error('Moodle exception: requireloginerror');
    if (fn === 'core_course_get_course_module') {
      const course = cms[args.cmid as number];
      if (course === undefined) throw new Error('Moodle exception: invalidrecord');
      return { cm: { id: args.cmid, course }, warnings: [] };
    }
    if (fn === 'core_course_get_course_module_by_instance') {
      const course = instances[`${args.module}:${args.instance}`];
      if (course === undefined) throw new Error('Moodle exception: invalidrecord');
      return { cm: { id: 99, course }, warnings: [] };
    }
    if (fn === 'core_group_get_groups' || fn === 'core_group_get_groupings') {
      const ids = (args.groupids ?? args.groupingids) as number[];
      if (ids.some((id) => groups[id] === undefined)) throw new Error('Moodle exception: invalidrecord');
      return ids.map((id) => ({ id, courseid: groups[id], name: `g${id}` }));
    }
    if (fn === 'local_moodlemcp_resolve_courses') {
      const refs = args.refs as { type: string; id: number }[];
      return {
        results: refs.map(({ type, id }) => {
          const course = resolved[`${type}:${id}`];
          return course === undefined ? { type, id, status: 'unknown', courseid: 0 } : course === null ? { type, id, status: 'nocourse', courseid: 0 } : { type, id, status: 'course', courseid: course };
        }),
      };
    }
    throw new Error(`unexpected ${fn}`);
  };
  return {
    calls,
    callMoodle,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = undefined;
      release?.();
    },
  };
}

describe('course ref paths', () => {
  it('parses keys, dots and [] and collects nested values item by item', () => {
    assert.deepEqual(parsePath('enrolments[].courseid'), [{ key: 'enrolments' }, { each: true }, { key: 'courseid' }]);
    assert.deepEqual(parsePath('[].id'), [{ each: true }, { key: 'id' }]);
    assert.deepEqual(valuesAt({ options: { ids: [1, 2] } }, 'options.ids[]'), [1, 2]);
    assert.deepEqual(valuesAt({ a: [{ b: [{ c: 1 }, { c: 2 }] }, { b: [{ c: 3 }, {}] }] }, 'a[].b[].c'), [1, 2, 3]);
    assert.deepEqual(valuesAt({}, 'courseid'), []);
    assert.deepEqual(valuesAt({ courseids: 'x' }, 'courseids[]'), []);
  });

  it('collects the items of a list too long to spread into a call (a 1 MiB body carries ~500k ids)', () => {
    const ids = Array.from({ length: 500_000 }, (_, i) => i);
    const values = valuesAt({ courseids: ids }, 'courseids[]');
    assert.equal(values.length, ids.length);
    assert.equal(values.at(-1), 499_999);
  });

  it('rejects malformed paths with the path in the message', () => {
    for (const bad of ['a..b', '', 'a.[]', 'a[', 'a]']) assert.throws(() => parsePath(bad), (e: Error) => e instanceof PolicyError && e.message.includes(JSON.stringify(bad)));
  });
});

describe('course resolution', () => {
  const brief = (r: Awaited<ReturnType<CourseResolver['resolve']>>) => ({ courses: r.courses, resolved: r.resolved, gaps: r.gaps });

  it('takes course ids directly, from lists and nested lists (string ids too), deduplicated and sorted, with no lookup', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('courseid', 'course'), ref('options.ids[]', 'course'), ref('instances[].courseid', 'course'));
    const plan = r.plan(fn, { courseid: 5, options: { ids: [3, '2'] }, instances: [{ courseid: 5 }, { courseid: '9' }] }, { resolver: false });
    assert.equal(plan.pending, 0);
    assert.deepEqual(brief(plan.resolution), { courses: [2, 3, 5, 9], resolved: true, gaps: [] });
    assert.deepEqual(plan.resolution.facts.find((f) => f.id === 9), { path: 'instances[].courseid', entity: 'course', id: 9, via: 'argument', outcome: 'course', course: 9 });
    assert.equal(m.calls.length, 0);
  });

  it('the enrol_meta bypass: a course id written as a string is a course like any other', async () => {
    const r = createCourseResolver({ callMoodle: fakeMoodle().callMoodle });
    const fn: Fn = { access: 'write', courseRefs: [ref('instances[].metacourseid', 'course'), ref('instances[].courseid', 'course')] };
    assert.deepEqual(r.plan(fn, { instances: [{ metacourseid: 2, courseid: '4' }] }, { resolver: false }).resolution.courses, [2, 4]);
  });

  it('maps a cmid and a module instance id with the caller token, one call each', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('cmid', 'course_module'), ref('forumid', 'module_instance', { module: 'forum' }));
    const got = await resolve(r, fn, { cmid: 10, forumid: 7 }, 'tok-a');
    assert.deepEqual(brief(got), { courses: [2, 3], resolved: true, gaps: [] });
    assert.equal(got.lookups, 2);
    assert.deepEqual(
      m.calls.map((c) => [c.token, c.fn, c.args]),
      [
        ['tok-a', 'core_course_get_course_module', { cmid: 10 }],
        ['tok-a', 'core_course_get_course_module_by_instance', { module: 'forum', instance: 7 }],
      ],
    );
    assert.deepEqual(got.facts.map((f) => [f.entity, f.via, f.moodleFunction, f.course]), [
      ['course_module', 'moodle', 'core_course_get_course_module', 2],
      ['module_instance', 'moodle', 'core_course_get_course_module_by_instance', 3],
    ]);
  });

  it('maps groups and groupings in one batched call each', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const got = await resolve(r, read(ref('groupids[]', 'group'), ref('groupingid', 'grouping')), { groupids: [1, 2, 1], groupingid: 5 }, 't');
    assert.deepEqual(brief(got), { courses: [2, 4], resolved: true, gaps: [] });
    assert.deepEqual(m.calls.map((c) => [c.fn, c.args]), [
      ['core_group_get_groups', { groupids: [1, 2] }],
      ['core_group_get_groupings', { groupingids: [5] }],
    ]);
    assert.equal(got.lookups, 2);
  });

  it('a resolvable id never excuses an unchecked one beside it: without the resolver, the discussion is a gap naming its entity', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('forumid', 'module_instance', { module: 'forum' }), ref('discussionid', 'forum_discussion'));
    const got = await resolve(r, fn, { forumid: 7, discussionid: 6 }, 't');
    assert.deepEqual(brief(got), { courses: [3], resolved: false, gaps: [{ entity: 'forum_discussion', why: 'no_resolver' }] });
    assert.equal(m.calls.length, 1, 'only the forum is looked up');
  });

  it('with the resolver: one call for everything Moodle functions do not cover, module instances as mod_<module>', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('forumid', 'module_instance', { module: 'forum', via: ['resolver'] }), ref('discussionids[]', 'forum_discussion'));
    const got = await resolve(r, fn, { forumid: 7, discussionids: [1, 6] }, 't', true);
    assert.deepEqual(brief(got), { courses: [2, 3], resolved: true, gaps: [] });
    assert.deepEqual(m.calls.map((c) => [c.fn, c.args]), [
      ['local_moodlemcp_resolve_courses', { refs: [{ type: 'mod_forum', id: 7 }, { type: 'forum_discussion', id: 1 }, { type: 'forum_discussion', id: 6 }] }],
    ]);
    assert.equal(got.facts[1]!.via, 'resolver');
    assert.equal(got.lookups, 1);
  });

  it('falls back to the resolver when Moodle\'s own function refuses (e.g. a teacher without managegroups)', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const got = await resolve(r, read(ref('groupid', 'group')), { groupid: 77 }, 't', true);
    assert.deepEqual(m.calls.map((c) => c.fn), ['core_group_get_groups', 'local_moodlemcp_resolve_courses']);
    assert.deepEqual(brief(got), { courses: [], resolved: false, gaps: [{ entity: 'group', why: 'unknown' }] });
  });

  it('context instances resolve by level: course, module (course module lookup), block (resolver), system/user/category (no course)', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('contexts[].instanceid', 'context_instance', { levelPath: 'contexts[].contextlevel' }));
    const got = await resolve(r, fn, { contexts: [{ contextlevel: 'course', instanceid: 2 }, { contextlevel: 70, instanceid: 20 }, { contextlevel: 'block', instanceid: 9 }, { contextlevel: 'system', instanceid: 0 }, { contextlevel: 'user', instanceid: 6 }] }, 't', true);
    assert.deepEqual(brief(got), { courses: [2, 3], resolved: true, gaps: [] });
    assert.deepEqual(got.facts.map((f) => [f.entity, f.via, f.outcome]), [
      ['course', 'argument', 'course'],
      ['course_module', 'moodle', 'course'],
      ['block_instance', 'resolver', 'nocourse'],
      ['system_context', 'argument', 'nocourse'],
      ['user_context', 'argument', 'nocourse'],
    ]);
    const noResolver = await resolve(r, fn, { contexts: [{ contextlevel: 'block', instanceid: 9 }] }, 't2');
    assert.deepEqual(noResolver.gaps, [{ entity: 'block_instance', why: 'no_resolver' }]);
    const badLevel = await resolve(r, fn, { contexts: [{ contextlevel: 'galaxy', instanceid: 9 }] }, 't2');
    assert.deepEqual(badLevel.gaps, [{ entity: 'context_level', why: 'invalid' }]);
  });

  it('a read whose answer names its course is checked on the answer; a write never is', async () => {
    const r = createCourseResolver({ callMoodle: fakeMoodle().callMoodle });
    const ref6 = ref('discussionid', 'forum_discussion', { via: ['result', 'resolver'] });
    const readFn: Fn = { access: 'read', courseRefs: [ref6], resultCourseRefs: ['courseid'] };
    const got = await resolve(r, readFn, { discussionid: 6 }, 't');
    assert.equal(got.resultCheck, true);
    assert.equal(got.resolved, true);
    assert.equal(got.lookups, 0);
    assert.deepEqual(got.facts.map((f) => [f.via, f.outcome]), [['result', 'result']]);
    const write = await resolve(r, { ...readFn, access: 'write' }, { discussionid: 6 }, 't');
    assert.equal(write.resultCheck, false);
    assert.deepEqual(write.gaps, [{ entity: 'forum_discussion', why: 'no_resolver' }]);
    // Nothing can map it: no remedy to name.
    const onlyResult: Fn = { access: 'write', courseRefs: [ref('instance', 'activity_instance', { via: ['result'] })], resultCourseRefs: ['cm.course'] };
    assert.deepEqual((await resolve(r, onlyResult, { instance: 3 }, 't', true)).gaps, [{ entity: 'activity_instance', why: 'unmappable' }]);
    assert.deepEqual((await resolve(r, read(ref('backupid', 'backup_controller', { via: [] })), { backupid: 'abc' }, 't')).gaps, [{ entity: 'backup_controller', why: 'invalid' }]);
    assert.deepEqual((await resolve(r, read(ref('sessionid', 'chat_session', { via: [] })), { sessionid: 4 }, 't')).gaps, [{ entity: 'chat_session', why: 'unmappable' }]);
  });

  it('caches per token: positives for the cache window, failures briefly; another user looks up again', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle, failureTtlMs: 30 });
    const fn = read(ref('cmid', 'course_module'));
    await resolve(r, fn, { cmid: 10 }, 'tok-a');
    const again = await resolve(r, fn, { cmid: 10 }, 'tok-a');
    assert.equal(m.calls.length, 1);
    assert.equal(again.lookups, 0);
    assert.equal(again.facts[0]!.cached, true);
    await resolve(r, fn, { cmid: 10 }, 'tok-b');
    assert.equal(m.calls.length, 2);
    await resolve(r, fn, { cmid: 404 }, 'tok-a');
    const refused = await resolve(r, fn, { cmid: 404 }, 'tok-a');
    assert.equal(m.calls.length, 3, 'a failure is cached: a refused caller cannot make the gateway hammer Moodle');
    assert.deepEqual(refused.gaps, [{ entity: 'course_module', why: 'unknown' }]);
    await new Promise((res) => setTimeout(res, 40));
    await resolve(r, fn, { cmid: 404 }, 'tok-a');
    assert.equal(m.calls.length, 4, 'failures are cached only briefly');
    r.clear();
    await resolve(r, fn, { cmid: 10 }, 'tok-a');
    assert.equal(m.calls.length, 5);
  });

  it('fails closed: lookup errors, unknown ids, bad values and broken paths are gaps, never a throw', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const cm = read(ref('cmid', 'course_module'));
    assert.deepEqual(brief(await resolve(r, cm, { cmid: 10 }, 'guest')), { courses: [], resolved: false, gaps: [{ entity: 'course_module', why: 'unknown' }] });
    assert.deepEqual(brief(await resolve(r, cm, { cmid: 10 }, 'guest', true)), { courses: [], resolved: false, gaps: [{ entity: 'course_module', why: 'unknown' }] });
    assert.deepEqual(brief(await resolve(r, cm, { cmid: 'ten' }, 't')), { courses: [], resolved: false, gaps: [{ entity: 'course_module', why: 'invalid' }] });
    assert.deepEqual(brief(await resolve(r, read(ref('a..b', 'course')), { a: 1 }, 't')), { courses: [], resolved: false, gaps: [{ entity: 'course', why: 'invalid' }] });
    const odd = createCourseResolver({ callMoodle: async () => ({ cm: { course: 0 } }) });
    assert.equal((await resolve(odd, cm, { cmid: 1 }, 't')).resolved, false);
    const down = createCourseResolver({ callMoodle: async () => Promise.reject(new Error('ECONNREFUSED')) });
    assert.deepEqual((await resolve(down, read(ref('discussionid', 'forum_discussion')), { discussionid: 1 }, 't', true)).gaps, [{ entity: 'forum_discussion', why: 'unknown' }]);
  });

  it('an entity id 0 (Moodle\'s "none" default) is no reference; a course id 0 is a course', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('courseid', 'course'), ref('cmid', 'course_module'), ref('groupid', 'group'));
    assert.deepEqual(brief(await resolve(r, fn, { courseid: 2, cmid: 0, groupid: 0 }, 't')), { courses: [2], resolved: true, gaps: [] });
    assert.equal(m.calls.length, 0);
    assert.deepEqual((await resolve(r, fn, { courseid: 0 }, 't')).courses, [0]);
  });

  it('concurrent calls naming the same module share one lookup; the distinct ids of one call are looked up in parallel', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = read(ref('cmids[]', 'course_module'));
    m.hold();
    const both = Promise.all([resolve(r, fn, { cmids: [10, 11, 10, 12] }, 't'), resolve(r, fn, { cmids: [11] }, 't')]);
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(m.calls.map((c) => c.args.cmid), [10, 11, 12], 'all started before any finished; 11 is shared');
    m.release();
    const [a, b] = await both;
    assert.deepEqual([a.courses, a.lookups, b.courses, b.lookups], [[2], 3, [2], 0]);
    assert.equal(m.calls.length, 3);
  });

  it('the lookup function itself is checked on its answer, not looked up first (one Moodle call)', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'core_course_get_course_module', access: 'read' as const, courseRefs: [ref('cmid', 'course_module', { via: ['moodle', 'result', 'resolver'] })], resultCourseRefs: ['cm.course'] };
    const got = await resolve(r, fn, { cmid: 10 }, 't');
    assert.equal(got.resultCheck, true);
    assert.equal(m.calls.length, 0);
    const other = await resolve(r, { ...fn, name: 'core_course_get_course_module_completion' }, { cmid: 10 }, 't');
    assert.deepEqual([other.resultCheck, other.courses, m.calls.length], [false, [2], 1]);
  });

  it('too many distinct lookups in one call are refused without any lookup', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle, maxLookupsPerCall: 2 });
    const got = await resolve(r, read(ref('cmids[]', 'course_module')), { cmids: [10, 11, 12] }, 't');
    assert.deepEqual(got.gaps, [{ entity: 'course_module', why: 'too_many' }]);
    assert.equal(m.calls.length, 0);
  });
});
