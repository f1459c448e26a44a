// Course restriction end to end below the MCP layer: the real catalog's course refs, the course resolver calling
// the Moodle simulator through the Moodle client with the caller's token, and the compiled policy deciding.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { createMoodleClient } from '../../runtime/moodle/index.ts';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { createCourseResolver } from '../../runtime/policy/courses.ts';
import { loadPolicyEngine, type PolicyEngine } from '../../runtime/policy/engine.ts';
import { filterResultByCourses } from '../../runtime/policy/filter.ts';
import type { PolicyData, PolicyInput } from '../../runtime/policy/types.ts';
import { ensureBuilt, paths } from './helpers.ts';

const data: PolicyData = {
  mode: 'read-only',
  site_level_functions: ['core_webservice_get_site_info'],
  profiles: {
    pm101: { scopes: ['api.read'], ip_allow: ['127.0.0.0/8'], allow: ['*'], deny: [], courses: [2], rate_per_minute: null, allow_site_admin: false },
  },
};

describe('course restriction against the simulator', () => {
  let engine: PolicyEngine;
  let catalog: Awaited<ReturnType<typeof loadCatalog>>;
  const sim = createSimulator();
  const moodle = createMoodleClient({ url: 'http://simulator.invalid', fetch: (r) => sim.fetch(r), retries: 0 });
  const resolver = createCourseResolver({ callMoodle: (token, fn, args) => moodle.call(token, fn, args) });
  const teacher = simulatorTokens['dlindqvist']!; // enrolled in PM101 (2) and BUS120 (3)
  const student = simulatorTokens['emma.johansson']!; // PM101 and DS101, not BUS120

  before(async () => {
    await ensureBuilt();
    engine = await loadPolicyEngine({ ...paths, data });
    catalog = await loadCatalog();
  });

  async function decide(fnName: string, args: Record<string, unknown>, token = teacher) {
    const fn = catalog.get(fnName)!;
    const r = await resolver.resolve(resolver.plan(fn, args, { resolver: false }), token);
    const input: PolicyInput = {
      action: 'tools/call',
      connection: { id: 'c', profile: 'pm101', scopes: ['api.read'], auth_method: 'apikey', site_admin: false },
      client_ip: '127.0.0.1',
      function: { name: fn.name, access: fn.access, has_course_refs: fn.courseRefs.length > 0 },
      courses: r.courses,
      courses_resolved: r.resolved,
      ...(r.gaps.length ? { unresolved: r.gaps } : {}),
      usage: { window_seconds: 60, connection_calls: 0, function_calls: 0 },
      now_ns: 0,
    };
    return { resolution: r, decision: engine.decide(input) };
  }

  it('allows a cmid in the allowed course and refuses a cmid of another course', async () => {
    assert.deepEqual((await decide('core_group_get_activity_groupmode', { cmid: 6 })).decision, { allow: true, reasons: [] });
    const other = await decide('core_group_get_activity_groupmode', { cmid: 8 });
    assert.deepEqual(other.resolution.courses, [3]);
    assert.deepEqual(other.decision.reasons, ["course 3 is not allowed for profile 'pm101'"]);
  });

  it('refuses a module instance id of another course', async () => {
    assert.equal((await decide('mod_forum_get_forum_discussions', { forumid: 5 })).decision.allow, true);
    const other = await decide('mod_forum_get_forum_discussions', { forumid: 6 });
    assert.deepEqual(other.resolution.courses, [3]);
    assert.equal(other.decision.allow, false);
    assert.equal((await decide('mod_assign_get_submission_status', { assignid: 3 })).decision.allow, false);
  });

  it('refuses a nested course id of another course among allowed ones', async () => {
    assert.equal((await decide('core_course_get_courses', { options: { ids: [2] } })).decision.allow, true);
    const mixed = await decide('core_course_get_courses', { options: { ids: [2, 3] } });
    assert.deepEqual(mixed.decision.reasons, ["course 3 is not allowed for profile 'pm101'"]);
  });

  it('refuses when the caller cannot see the module (lookup fails with their own token)', async () => {
    const hidden = await decide('mod_forum_get_forum_discussions', { forumid: 6 }, student); // forum 6 is in BUS120
    assert.equal(hidden.resolution.resolved, false);
    assert.deepEqual(hidden.decision.reasons, ['module_instance named by this call: not in a course this user can access, or could not be looked up (course restriction)']);
  });

  it('filters core_enrol_get_users_courses results to the allowed courses', async () => {
    const fn = catalog.get('core_enrol_get_users_courses')!;
    const all = (await moodle.call(teacher, fn.name, { userid: 4 })) as { id: number }[];
    assert.ok(all.some((c) => c.id === 3), 'the teacher is enrolled in BUS120 too');
    const filtered = filterResultByCourses(all, fn.outputCourseRefs, [2]);
    assert.deepEqual(filtered.result.map((c) => c.id), [2]);
    assert.equal(filtered.removed, all.length - 1);
  });
});
