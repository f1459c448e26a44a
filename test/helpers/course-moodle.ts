/**
 * The Moodle simulator behind a counting wrapper for course-restriction tests: it counts every REST call by function;
 * with `resolver` the simulator runs as a site with the local_moodlemcp plugin (local_moodlemcp_resolve_courses listed
 * in site info and answered from the seeded site); core_group_get_groups / core_group_get_groupings are answered
 * from the seeded groups (Moodle refuses the whole batch when one group is unknown or not the user's; the simulator
 * alone would synthesise an empty list). A TEST DOUBLE of Moodle.
 */
import { readFileSync } from 'node:fs';
import type { FetchLike } from '../../runtime/moodle/index.ts';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { SITE_PATH, type SiteFile } from '../../runtime/simulator/data.ts';

const site = JSON.parse(readFileSync(SITE_PATH, 'utf8')) as SiteFile & { groups: { id: number; courseid: number }[]; users: Record<string, { id: number }> };

/** Course of each seeded group, and of the seeded grouping (recorded from the seeded Moodle's database). */
const GROUPS: Record<number, number> = Object.fromEntries(site.groups.map((g) => [g.id, g.courseid]));
const GROUPINGS: Record<number, number> = { 1: 2 };

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
  const sim = createSimulator({ resolverPlugin: options.resolver });
  const calls = new Map<string, number>();
  const lookups: CourseMoodle['lookups'] = [];
  const fetch: FetchLike = async (request) => {
    const body = await request.clone().text();
    const form = { ...decodeForm(new URL(request.url).searchParams), ...decodeForm(body) } as Record<string, any>;
    const fn = String(form.wsfunction ?? '');
    calls.set(fn, (calls.get(fn) ?? 0) + 1);
    if (LOOKUP_FUNCTIONS.has(fn)) lookups.push({ fn, args: form });
    const user = userOfToken.get(String(form.wstoken));

    if (fn === 'core_group_get_groups' || fn === 'core_group_get_groupings') {
      const ids = Object.values((form.groupids ?? form.groupingids ?? {}) as Record<string, string>).map(Number);
      const table = fn === 'core_group_get_groups' ? GROUPS : GROUPINGS;
      if (ids.some((id) => table[id] === undefined || !enrolled(user, table[id]!))) return moodleError('invalidrecord');
      return json(ids.map((id) => ({ id, courseid: table[id], name: `group ${id}`, description: '', descriptionformat: 1, enrolmentkey: '', idnumber: '' })));
    }
    return sim.fetch(request);
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
