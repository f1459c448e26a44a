/**
 * The local_moodlemcp plugin's resolver (`local_moodlemcp_resolve_courses`) as the seeded Moodle answers it, when the
 * simulator runs with `resolverPlugin: true`: where each entity is comes from data/entities-4.5.6.json (recorded from
 * the seeded site's database) plus the site data's own objects (course modules, activity instances, discussions,
 * first posts, groups, courses: the site data also holds the objects the recorded writes created); the answer follows
 * the plugin's rule: 'course' only when the user can access that course, 'nocourse' for entities outside any course
 * that the user may see, 'unknown' for everything else.
 */
import { RESOLVER_FUNCTION } from '../moodle/plugin.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FunctionDescription } from './descriptions.ts';
import { invalidParameter } from './errors.ts';
import type { SimUser, World } from './world.ts';
import type { SiteFile } from './data.ts';

export { RESOLVER_FUNCTION };
/** Most refs one call may resolve (the plugin's course_resolver::MAX_REFS). */
export const RESOLVER_MAX_REFS = 100;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
export const ENTITIES_PATH = here('./data/entities-4.5.6.json');
export const PLUGIN_PATH = here('./data/local_moodlemcp-4.5.6.json');

/** Where an entity is: a course id, or "site" | "category:<id>" | "user:<id>" | "members:<ids>" (see the data file's notes). */
export type EntityPlace = number | string;

interface EntitiesFile {
  format: string;
  entities: Record<string, Record<string, EntityPlace>>;
}

interface PluginFile {
  plugin: { component: string; version: string };
  functions: FunctionDescription[];
}

export interface ResolverPlugin {
  /** The function description recorded on the Moodle with the plugin installed. */
  description: FunctionDescription;
  /** The version core_webservice_get_site_info lists for the function (the plugin's version). */
  version: string;
  /** Answers one call (validated parameters) as `user`. */
  answer(params: Record<string, unknown>, user: SimUser): { results: ResolverResult[] };
}

export interface ResolverResult {
  type: string;
  id: number;
  status: 'course' | 'nocourse' | 'unknown';
  courseid: number;
}

let cachedFiles: { entities: EntitiesFile; plugin: PluginFile } | undefined;

function loadFiles() {
  cachedFiles ??= {
    entities: JSON.parse(readFileSync(ENTITIES_PATH, 'utf8')) as EntitiesFile,
    plugin: JSON.parse(readFileSync(PLUGIN_PATH, 'utf8')) as PluginFile,
  };
  return cachedFiles;
}

/** Entity places: the recorded ones, completed (and overridden) by the site data's own objects. */
function entityPlaces(recorded: EntitiesFile, site: SiteFile): Map<string, Map<number, EntityPlace>> {
  const places = new Map<string, Map<number, EntityPlace>>();
  const put = (type: string, id: number, place: EntityPlace) => {
    if (!places.has(type)) places.set(type, new Map());
    places.get(type)!.set(id, place);
  };
  for (const [type, byId] of Object.entries(recorded.entities)) {
    for (const [id, place] of Object.entries(byId)) put(type, Number(id), place);
  }
  for (const course of Object.values(site.courses)) {
    put('course', course.id, course.id);
    for (const m of course.modules) {
      put('course_module', m.cmid, course.id);
      put(`mod_${m.modname}`, m.instance, course.id);
    }
    for (const forum of course.forums) {
      for (const d of forum.discussions) {
        put('forum_discussion', d.id, course.id);
        put('forum_post', d.firstpost, course.id);
      }
    }
  }
  for (const group of site.groups) put('group', group.id, group.courseid);
  return places;
}

/** The resolver of the seeded site (data loaded once per process). */
export function createResolverPlugin(world: World, site: SiteFile): ResolverPlugin {
  const { entities, plugin } = loadFiles();
  const description = plugin.functions.find((f) => f.name === RESOLVER_FUNCTION);
  if (!description) throw new Error(`${PLUGIN_PATH} has no description of ${RESOLVER_FUNCTION}`);
  const places = entityPlaces(entities, site);
  const categories = new Set(site.categories.map((c) => c.id));

  const statusOf = (place: EntityPlace | undefined, user: SimUser): Omit<ResolverResult, 'type' | 'id'> => {
    const unknown = { status: 'unknown' as const, courseid: 0 };
    if (place === undefined) return unknown;
    if (typeof place === 'number') {
      // The front page (site course) is open to every user, as can_access_course() answers for it.
      const course = world.courseById(place);
      const reachable = world.siteCourseIds.has(place) || (course !== undefined && world.canAccessCourse(user, course));
      return reachable ? { status: 'course', courseid: place } : unknown;
    }
    const [kind, value = ''] = place.split(':');
    const visible =
      kind === 'site' ||
      (kind === 'category' && categories.has(Number(value))) ||
      (kind === 'user' && Number(value) === user.id) ||
      (kind === 'members' && value.split(',').map(Number).includes(user.id));
    return visible ? { status: 'nocourse', courseid: 0 } : unknown;
  };

  return {
    description,
    version: plugin.plugin.version,
    answer(params, user) {
      const refs = params.refs as Array<{ type: string; id: number }>;
      if (refs.length > RESOLVER_MAX_REFS) throw invalidParameter(`at most ${RESOLVER_MAX_REFS} refs per call`);
      return {
        results: refs.map(({ type, id }) => ({ type, id, ...statusOf(id > 0 ? places.get(type)?.get(id) : undefined, user) })),
      };
    },
  };
}
