import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogFunction } from '../../runtime/catalog/types.ts';
import { formatDiff, groupFlips, listInput, representativeIp, settingChanges, type Flip } from '../../runtime/policy/review.ts';
import type { PolicyData } from '../../runtime/policy/types.ts';

const fn = (name: string, component = name.startsWith('core_') ? 'moodle' : name.split('_').slice(0, 2).join('_')) =>
  ({ name, component, access: 'read', courseRefs: [] }) as unknown as CatalogFunction;
const catalog = [fn('core_course_a'), fn('core_course_b'), fn('core_user_c'), fn('mod_forum_x'), fn('mod_forum_y')];
const deny = (reason: string) => ({ allow: false, reasons: [reason] });
const allow = { allow: true, reasons: [] };
const flip = (profile: string, f: CatalogFunction, after: Flip['after']): Flip => ({ profile, fn: f, before: after.allow ? deny('was denied') : allow, after });

describe('policy diff grouping', () => {
  it('decides listings with the profile\'s own scopes, an address it allows, no courses, no usage and no site admin', () => {
    const profile = { scopes: ['api.read'], ip_allow: ['10.0.0.0/8'], allow: ['*'], deny: [], allow_site_admin: false };
    const refs = { ...fn('core_course_a'), courseRefs: [{ path: 'courseid', entity: 'course', via: ['argument'], source: 'rule:courseid' }] } as CatalogFunction;
    assert.deepEqual(listInput('p1', profile, refs), {
      action: 'tools/list',
      connection: { id: 'review', profile: 'p1', scopes: ['api.read'], auth_method: 'review', site_admin: false },
      client_ip: '10.0.0.0',
      function: { name: 'core_course_a', access: 'read', has_course_refs: true },
      courses: [],
      courses_resolved: true,
      usage: { window_seconds: 60, connection_calls: 0, function_calls: 0 },
      now_ns: 0,
    });
  });

  it('collapses a whole catalog, a whole component and a whole core area into one row each', () => {
    const everything = catalog.map((f) => flip('p1', f, deny(`function ${f.name} is denied by pattern '*'`)));
    assert.deepEqual(groupFlips(everything, catalog), [
      { profile: 'p1', change: 'now denied', functions: 'all functions (5)', reasons: ["function <function> is denied by pattern '*'"] },
    ]);
    const rows = groupFlips([flip('p2', catalog[0]!, deny('r')), flip('p2', catalog[1]!, deny('r')), flip('p2', catalog[3]!, allow), flip('p2', catalog[4]!, allow)], catalog);
    assert.deepEqual(rows.map((r) => [r.change, r.functions, r.reasons]), [
      ['now allowed', 'mod_forum (all 2)', ['was denied']],
      ['now denied', 'core_course (all 2)', ['r']],
    ]);
  });

  it('lists single functions by name with their own reasons', () => {
    const rows = groupFlips([flip('p', catalog[0]!, deny("function core_course_a is denied by pattern 'core_course_a'"))], catalog);
    assert.deepEqual(rows, [{ profile: 'p', change: 'now denied', functions: 'core_course_a', reasons: ["function core_course_a is denied by pattern 'core_course_a'"] }]);
  });

  it('reports setting changes, added and removed profiles, and formats Markdown with escaped cells', () => {
    const profile = { scopes: ['api.read'], ip_allow: ['10.0.0.0/8'], allow: ['*'], deny: [], courses: null, rate_per_minute: 60, allow_site_admin: false };
    const before: PolicyData = { mode: 'read-only', site_level_functions: [], profiles: { a: profile, gone: profile } };
    const after: PolicyData = { mode: 'read-write', site_level_functions: ['x'], profiles: { a: { ...profile, courses: [2, 3], ip_allow: [] }, added: profile } };
    const changes = settingChanges(before, after);
    assert.deepEqual(changes, [
      { profile: '(gateway)', setting: 'mode', before: 'read-only', after: 'read-write' },
      { profile: '(gateway)', setting: 'site_level_functions', before: '(empty)', after: 'x' },
      { profile: 'a', setting: 'ip_allow', before: '10.0.0.0/8', after: '(empty)' },
      { profile: 'a', setting: 'courses', before: '—', after: '2, 3' },
      { profile: 'added', setting: 'profile', before: '—', after: 'defined' },
      { profile: 'gone', setting: 'profile', before: 'defined', after: '—' },
    ]);
    const md = formatDiff('main', [{ profile: 'a', change: 'now denied', functions: 'f', reasons: ['x | y'] }], changes);
    assert.match(md, /^### Effective permission changes: `main` → working tree/);
    assert.ok(md.includes('| a | now denied | `f` | x \\| y |'));
    assert.ok(md.includes('| a | courses | — | 2, 3 |'));
    assert.equal(representativeIp({ ...profile, ip_allow: ['2001:db8::/32'] }), '2001:db8::');
    assert.equal(representativeIp(undefined), '0.0.0.0');
  });
});

import { formatRestrictionReport, restrictionReport } from '../../runtime/policy/restriction-report.ts';

describe('course restriction report', () => {
  it('classifies functions by their course refs and site-level status', () => {
    const f = (name: string, courseRefs: object[], outputCourseRefs: string[] = []) =>
      ({ name, component: 'moodle', access: 'read', courseRefs, outputCourseRefs }) as unknown as CatalogFunction;
    const entries = restrictionReport(
      [
        f('a_direct', [{ path: 'courseid', entity: 'course', via: ['argument'] }]),
        f('b_lookup', [{ path: 'cmid', entity: 'course_module', via: ['moodle', 'resolver'] }, { path: 'courseid', entity: 'course', via: ['argument'] }]),
        f('c_resolver', [{ path: 'discussionid', entity: 'forum_discussion', via: ['resolver'] }, { path: 'forumid', entity: 'module_instance', module: 'forum', via: ['moodle'] }]),
        { ...f('d_answer', [{ path: 'discussionid', entity: 'forum_discussion', via: ['result', 'resolver'] }]), resultCourseRefs: ['courseid'] } as CatalogFunction,
        f('e_refused', [{ path: 'itemid', entity: 'activity_instance', via: [] }]),
        f('f_site', [], ['[].id']),
        f('g_none', []),
      ],
      ['f_site'],
    );
    assert.deepEqual(entries.map((e) => [e.name, e.class, e.filtered, e.entities]), [
      ['a_direct', 'arguments', false, []],
      ['b_lookup', 'moodle', false, []],
      ['c_resolver', 'resolver', false, ['forum_discussion']],
      ['d_answer', 'answer', false, []],
      ['e_refused', 'refused', false, ['activity_instance']],
      ['f_site', 'site-level', true, []],
      ['g_none', 'denied', false, []],
    ]);
    const md = formatRestrictionReport(entries);
    assert.ok(md.includes('| site-level | 1 | 1 |'));
    assert.ok(md.includes('**resolver** (1): `c_resolver` (forum_discussion)'));
  });
});
