import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CourseRef } from '../../runtime/catalog/types.ts';
import { createCourseResolver, type CallMoodle } from '../../runtime/policy/courses.ts';
import { parsePath, valuesAt } from '../../runtime/policy/paths.ts';
import { PolicyError } from '../../runtime/policy/errors.ts';

const ENTITY = { course: 'course', cm: 'course_module', instance: 'module_instance' } as const;
const VIA = { course: ['argument'], cm: ['moodle', 'resolver'], instance: ['moodle', 'resolver'] } as const;
const ref = (path: string, kind: 'course' | 'cm' | 'instance' | 'unresolvable', extra: Partial<CourseRef> = {}): CourseRef =>
  kind === 'unresolvable'
    ? { path, entity: 'forum_discussion', via: ['resolver'], source: 'rule:test', ...extra }
    : { path, entity: ENTITY[kind], via: [...VIA[kind]], source: 'rule:test', ...extra };

/** A fake Moodle: course modules 10..12 in course 2, 20 in course 3; forum instance 7 → course 3. Tokens see everything except 'guest'. */
function fakeMoodle() {
  const calls: { token: string; fn: string; args: Record<string, unknown> }[] = [];
  const cms: Record<number, number> = { 10: 2, 11: 2, 12: 2, 20: 3 };
  const instances: Record<string, number> = { 'forum:7': 3, 'assign:8': 2 };
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
  it('takes course ids directly, from lists and nested lists, deduplicated and sorted', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'f', courseRefs: [ref('courseid', 'course'), ref('options.ids[]', 'course'), ref('enrolments[].courseid', 'course')] };
    assert.deepEqual(await r.resolve(fn, { courseid: 5, options: { ids: [3, '2'] }, enrolments: [{ courseid: 5 }, { courseid: 9 }] }, 't1'), {
      courses: [2, 3, 5, 9],
      resolved: true,
    });
    assert.deepEqual(await r.resolve(fn, {}, 't1'), { courses: [], resolved: true });
    assert.equal(m.calls.length, 0);
  });

  it('maps a cmid and a module instance id to their course with the caller token', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'f', courseRefs: [ref('cmid', 'cm'), ref('forumid', 'instance', { module: 'forum' })] };
    assert.deepEqual(await r.resolve(fn, { cmid: 10, forumid: 7 }, 'tok-a'), { courses: [2, 3], resolved: true });
    assert.deepEqual(
      m.calls.map((c) => [c.token, c.fn, c.args]),
      [
        ['tok-a', 'core_course_get_course_module', { cmid: 10 }],
        ['tok-a', 'core_course_get_course_module_by_instance', { module: 'forum', instance: 7 }],
      ],
    );
  });

  it('caches per token: another user looks up again', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'f', courseRefs: [ref('cmid', 'cm')] };
    await r.resolve(fn, { cmid: 10 }, 'tok-a');
    await r.resolve(fn, { cmid: 10 }, 'tok-a');
    assert.equal(m.calls.length, 1);
    await r.resolve(fn, { cmid: 10 }, 'tok-b');
    assert.equal(m.calls.length, 2);
    r.clear();
    await r.resolve(fn, { cmid: 10 }, 'tok-a');
    assert.equal(m.calls.length, 3);
  });

  it('deduplicates concurrent identical lookups and looks up the distinct ids of one call in parallel', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'f', courseRefs: [ref('cmids[]', 'cm')] };
    m.hold();
    const both = Promise.all([r.resolve(fn, { cmids: [10, 11, 10, 12] }, 't'), r.resolve(fn, { cmids: [11] }, 't')]);
    await new Promise((resolve) => setImmediate(resolve));
    // All three distinct lookups started before any finished; the second call shares the pending one for 11.
    assert.deepEqual(m.calls.map((c) => c.args.cmid), [10, 11, 12]);
    m.release();
    const [a, b] = await both;
    assert.deepEqual(a, { courses: [2], resolved: true });
    assert.deepEqual(b, { courses: [2], resolved: true });
    assert.equal(m.calls.length, 3);
  });

  it('fails closed: lookup errors, unknown ids, bad values and unresolvable refs give resolved=false, never a throw', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const cm = { name: 'f', courseRefs: [ref('cmid', 'cm')] };
    assert.deepEqual(await r.resolve(cm, { cmid: 404 }, 't'), { courses: [], resolved: false, unresolved: ['cmid'] });
    assert.deepEqual(await r.resolve(cm, { cmid: 10 }, 'guest'), { courses: [], resolved: false, unresolved: ['cmid'] });
    assert.deepEqual(await r.resolve(cm, { cmid: 'ten' }, 't'), { courses: [], resolved: false, unresolved: ['cmid'] });
    const failures = m.calls.length;
    await r.resolve(cm, { cmid: 404 }, 't'); // failures are not cached
    assert.equal(m.calls.length, failures + 1);

    const discussion = { name: 'f', courseRefs: [ref('discussionid', 'unresolvable', { entity: 'forum_discussion' }), ref('courseid', 'course')] };
    assert.deepEqual(await r.resolve(discussion, { discussionid: 5, courseid: 2 }, 't'), { courses: [2], resolved: false, unresolved: ['discussionid (forum_discussion)'] });
    assert.deepEqual(await r.resolve(discussion, { courseid: 2 }, 't'), { courses: [2], resolved: true });

    const broken = { name: 'f', courseRefs: [ref('a..b', 'course')] };
    assert.deepEqual(await r.resolve(broken, { a: 1 }, 't'), { courses: [], resolved: false, unresolved: ['a..b'] });

    const odd = createCourseResolver({ callMoodle: async () => ({ cm: { course: 0 } }) });
    assert.equal((await odd.resolve(cm, { cmid: 1 }, 't')).resolved, false);
  });

  it('a cm or instance id 0 (Moodle\'s "none" default) is no reference; a course id 0 is a course', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'f', courseRefs: [ref('courseid', 'course'), ref('cmid', 'cm'), ref('forumid', 'instance', { module: 'forum' })] };
    assert.deepEqual(await r.resolve(fn, { courseid: 2, cmid: 0, forumid: 0 }, 't'), { courses: [2], resolved: true });
    assert.equal(m.calls.length, 0);
    assert.deepEqual(await r.resolve(fn, { courseid: 0 }, 't'), { courses: [0], resolved: true });
  });

  it('an instance id of another course is caught (no bypass with a module instance id)', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle });
    const fn = { name: 'mod_assign_get_submissions', courseRefs: [ref('assignmentids[]', 'instance', { module: 'assign' })] };
    assert.deepEqual(await r.resolve(fn, { assignmentids: [8] }, 't'), { courses: [2], resolved: true });
    assert.deepEqual(await r.resolve(fn, { assignmentids: [8, 7] }, 't'), { courses: [2], resolved: false, unresolved: ['assignmentids[]'] });
  });

  it('too many distinct lookups in one call count as unresolved', async () => {
    const m = fakeMoodle();
    const r = createCourseResolver({ callMoodle: m.callMoodle, maxLookupsPerCall: 2 });
    const fn = { name: 'f', courseRefs: [ref('cmids[]', 'cm')] };
    assert.deepEqual(await r.resolve(fn, { cmids: [10, 11, 12] }, 't'), { courses: [], resolved: false, unresolved: ['cmids[]'] });
    assert.equal(m.calls.length, 0);
  });
});
