import { RESOLVER_FUNCTION } from '../moodle/plugin.ts';
import { asId } from './paths.ts';

/** Calls a Moodle web-service function with the given token (the caller's own); rejects on a Moodle error. */
export type CallMoodle = (token: string, fn: string, args: Record<string, unknown>) => Promise<unknown>;

/** The web-service function of the local_moodlemcp plugin that maps (entity type, id) pairs to courses. */
export { RESOLVER_FUNCTION };

/** The most references one resolver call takes (the plugin's limit). */
export const RESOLVER_BATCH = 100;

/** What a lookup found: a course id, `null` for an entity that exists outside any course, `undefined` when unknown. */
export type Found = number | null | undefined;

/** Moodle core functions that map an entity to its course with the caller's token ('moodle' via), by entity type. */
export const MOODLE_LOOKUPS = {
  course_module: 'core_course_get_course_module',
  module_instance: 'core_course_get_course_module_by_instance',
  group: 'core_group_get_groups',
  grouping: 'core_group_get_groupings',
} as const;

export type MoodleLookupEntity = keyof typeof MOODLE_LOOKUPS;

export const isMoodleLookup = (entity: string): entity is MoodleLookupEntity => Object.hasOwn(MOODLE_LOOKUPS, entity);

const positive = (course: number | undefined) => (course !== undefined && course > 0 ? course : undefined);

/** The course of one course module (`cmid`) or module instance (`module` + `instance`): `cm.course` of the answer. */
export async function lookupModule(call: CallMoodle, token: string, entity: 'course_module' | 'module_instance', id: number, module?: string): Promise<Found> {
  const response =
    entity === 'course_module'
      ? await call(token, MOODLE_LOOKUPS.course_module, { cmid: id })
      : await call(token, MOODLE_LOOKUPS.module_instance, { module, instance: id });
  return positive(asId((response as { cm?: { course?: unknown } } | null)?.cm?.course));
}

/**
 * Courses of groups or groupings, in one call: Moodle answers `[{ id, courseid, ... }]`, and refuses the whole batch
 * when one id is unknown or in a course the user can't manage (then every id of the batch is unknown).
 */
export async function lookupGroups(call: CallMoodle, token: string, entity: 'group' | 'grouping', ids: number[]): Promise<Map<number, Found>> {
  const response =
    entity === 'group' ? await call(token, MOODLE_LOOKUPS.group, { groupids: ids }) : await call(token, MOODLE_LOOKUPS.grouping, { groupingids: ids });
  const found = new Map<number, Found>();
  if (Array.isArray(response)) {
    for (const item of response as { id?: unknown; courseid?: unknown }[]) {
      const id = asId(item?.id);
      if (id !== undefined) found.set(id, positive(asId(item?.courseid)));
    }
  }
  return found;
}

/**
 * One call of local_moodlemcp_resolve_courses (at most RESOLVER_BATCH refs). The plugin answers, as the calling user,
 * `course` (with courseid) only for entities in a course the user can access, `nocourse` for entities outside any
 * course that the user may see, `unknown` otherwise. Keyed `type:id`.
 */
export async function lookupResolver(call: CallMoodle, token: string, refs: { type: string; id: number }[]): Promise<Map<string, Found>> {
  const response = (await call(token, RESOLVER_FUNCTION, { refs })) as { results?: unknown } | null;
  const found = new Map<string, Found>();
  if (Array.isArray(response?.results)) {
    for (const r of response.results as { type?: unknown; id?: unknown; status?: unknown; courseid?: unknown }[]) {
      const id = asId(r?.id);
      if (typeof r?.type !== 'string' || id === undefined) continue;
      const value: Found = r.status === 'course' ? positive(asId(r.courseid)) : r.status === 'nocourse' ? null : undefined;
      found.set(`${r.type}:${id}`, value);
    }
  }
  return found;
}
