/**
 * The Moodle simulator behind a counting wrapper for course-restriction tests: it counts every REST call by function,
 * and can stand in for the local_moodlemcp plugin's resolver (local_moodlemcp_resolve_courses: listed in the token's
 * site info, answered from the seeded site's ids as the plugin's contract says: `course` only for entities in a
 * course the user is enrolled in, `unknown` otherwise) and answer core_group_get_groups / core_group_get_groupings
 * from the seeded groups (Moodle refuses the whole batch when one group is unknown or not the user's).
 * A TEST DOUBLE until the simulator answers these itself.
 */
import { readFileSync } from 'node:fs';
import type { FetchLike } from '../../runtime/moodle/index.ts';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { SITE_PATH, type SiteFile } from '../../runtime/simulator/data.ts';

const site = JSON.parse(readFileSync(SITE_PATH, 'utf8')) as SiteFile & { groups: { id: number; courseid: number }[]; users: Record<string, { id: number }> };

/** Where some entities of the seeded site are (ids recorded from its database): type → id → course. */
const ENTITIES: Record<string, Record<number, number>> = {
  forum_discussion: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 4, 9: 4, 10: 4 },
  forum_post: { 1: 2, 2: 2, 5: 2, 11: 2, 12: 3, 13: 3, 19: 4, 20: 4 },
  quiz_attempt: { 1: 2, 2: 2, 3: 2, 7: 4, 8: 4 },
  group: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 4, 6: 4 },
  grouping: { 1: 2 },
  course_module: {},
  mod_forum: { 1: 2, 2: 3, 3: 4, 4: 5, 5: 2, 6: 3, 7: 4, 8: 5 },
  mod_assign: { 1: 2, 2: 2, 3: 3, 4: 4, 5: 5 },
  mod_quiz: { 1: 2, 2: 4 },
  mod_page: { 1: 2, 2: 3, 3: 4, 4: 5 },
};
for (const course of Object.values(site.courses)) for (const m of course.modules as { cmid: number }[]) ENTITIES.course_module![m.cmid] = course.id;

const userOfToken = new Map(Object.entries(simulatorTokens).map(([username, token]) => [token, site.users[username]?.id]));
const enrolled = (userId: number | undefined, courseId: number) =>
  Object.values(site.courses).some((c) => c.id === courseId && (c.enrolled as number[]).includes(userId ?? -1));

export interface CourseMoodle {
  fetch: FetchLike;
  /** REST calls by wsfunction. */
  calls: Map<string, number>;
  /** REST calls of the course lookups (Moodle's own lookup functions and the resolver), each with its arguments. */
  lookups: { fn: string; args: Record<string, unknown> }[];
  reset(): void;
}

const LOOKUP_FUNCTIONS = new Set([
  'core_course_get_course_module',
  'core_course_get_course_module_by_instance',
  'core_group_get_groups',
  'core_group_get_groupings',
  'local_moodlemcp_resolve_courses',
]);

const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
const moodleError = (errorcode: string) => json({ exception: 'moodle_exception', errorcode, message: errorcode });

/** A counting simulator; `resolver`: the site enables local_moodlemcp_resolve_courses. */
export function courseMoodle(options: { resolver: boolean }): CourseMoodle {
  const sim = createSimulator();
  const calls = new Map<string, number>();
  const lookups: CourseMoodle['lookups'] = [];
  const fetch: FetchLike = async (request) => {
    const body = await request.clone().text();
    const form = { ...decodeForm(new URL(request.url).searchParams), ...decodeForm(body) } as Record<string, any>;
    const fn = String(form.wsfunction ?? '');
    calls.set(fn, (calls.get(fn) ?? 0) + 1);
    if (LOOKUP_FUNCTIONS.has(fn)) lookups.push({ fn, args: form });
    const user = userOfToken.get(String(form.wstoken));

    if (fn === 'local_moodlemcp_resolve_courses') {
      if (!options.resolver) return moodleError('accessexception');
      const refs = Object.values((form.refs ?? {}) as Record<string, { type: string; id: string }>);
      return json({
        results: refs.map(({ type, id }) => {
          const course = ENTITIES[type]?.[Number(id)];
          return course !== undefined && enrolled(user, course)
            ? { type, id: Number(id), status: 'course', courseid: course }
            : { type, id: Number(id), status: 'unknown', courseid: 0 };
        }),
      });
    }
    if (fn === 'core_group_get_groups' || fn === 'core_group_get_groupings') {
      const ids = Object.values((form.groupids ?? form.groupingids ?? {}) as Record<string, string>).map(Number);
      const table = fn === 'core_group_get_groups' ? ENTITIES.group! : ENTITIES.grouping!;
      if (ids.some((id) => table[id] === undefined || !enrolled(user, table[id]!))) return moodleError('invalidrecord');
      return json(ids.map((id) => ({ id, courseid: table[id], name: `group ${id}`, description: '', descriptionformat: 1, enrolmentkey: '', idnumber: '' })));
    }
    const response = await sim.fetch(request);
    if (fn !== 'core_webservice_get_site_info' || !options.resolver) return response;
    const info = await response.json();
    if (Array.isArray(info.functions)) info.functions.push({ name: 'local_moodlemcp_resolve_courses', version: '2026120700' });
    return json(info);
  };
  return {
    fetch,
    calls,
    lookups,
    reset() {
      calls.clear();
      lookups.length = 0;
    },
  };
}
