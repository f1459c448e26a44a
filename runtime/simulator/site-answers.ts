/**
 * Answers computed from the seeded site (site-4.5.6.json) for calls no recorded exchange matches:
 * site info per user, course modules by id or instance, a user's courses, courses by id.
 * Values the site data does not hold come from recorded answers about the same objects, or are
 * filled from the `returns` description (see synthesize.ts).
 */
import type { SimulatorData, SiteCourse } from './data.ts';
import { simulatorPrivateAccessKey } from './data.ts';
import type { FunctionDescription } from './descriptions.ts';
import { synthesize } from './synthesize.ts';
import type { SimModule, SimUser, World } from './world.ts';

export type SiteAnswer = (params: Record<string, unknown>, user: SimUser) => unknown;

/** Site-data answers by function name; functions not listed get synthesised answers. */
export function createSiteAnswers(data: SimulatorData, world: World): Map<string, SiteAnswer> {
  const returnsOf = (fn: string) => (data.functions.get(fn) as FunctionDescription).returns;
  // Each function's recorded course objects (their fields differ in type: showgrades is a bool in one, an int in the other).
  const recordedCourse = recordedCourses(data, 'core_enrol_get_users_courses');
  const recordedListed = recordedCourses(data, 'core_course_get_courses');
  const siteInfoTemplate = data.exchanges.exchanges.find(
    (e) => e.function === 'core_webservice_get_site_info' && e.category === 'read' && !e.is_error,
  )?.response_json as Record<string, unknown> | undefined;

  const courseRecord = (course: SiteCourse, recorded = recordedCourse) => ({
    id: course.id,
    shortname: course.shortname,
    fullname: course.fullname,
    displayname: course.fullname,
    categoryid: course.category,
    category: course.category,
    visible: 1,
    format: 'topics',
    ...recorded.get(course.id),
  });
  const cmAnswer = (m: SimModule) =>
    synthesize(returnsOf('core_course_get_course_module'), {
      cm: { id: m.cmid, course: m.course.id, name: m.name, modname: m.modname, instance: m.instance, visible: 1, uservisible: true },
      warnings: [],
    });

  return new Map<string, SiteAnswer>([
    [
      'core_webservice_get_site_info',
      (_params, user) =>
        synthesize(returnsOf('core_webservice_get_site_info'), {
          ...siteInfoTemplate,
          username: user.username,
          firstname: user.firstname,
          lastname: user.lastname,
          fullname: user.fullname,
          userid: user.id,
          userissiteadmin: user.isAdmin,
          userprivateaccesskey: simulatorPrivateAccessKey(user.username),
        }),
    ],
    // access.ts has already refused unknown or unreachable modules.
    ['core_course_get_course_module', (params) => cmAnswer(world.moduleByCmid(params.cmid as number) as SimModule)],
    [
      'core_course_get_course_module_by_instance',
      (params) => cmAnswer(world.moduleByInstance(params.module as string, params.instance as number) as SimModule),
    ],
    [
      'core_enrol_get_users_courses',
      (params, user) => {
        const target = params.userid as number;
        const courses = Object.values(data.site.courses).filter(
          (c) => c.enrolled.includes(target) && (target === user.id || world.canAccessCourse(user, c)),
        );
        return synthesize(
          returnsOf('core_enrol_get_users_courses'),
          courses.map((c) => {
            const record: Record<string, unknown> = courseRecord(c);
            if (params.returnusercount) record.enrolledusercount = c.enrolled.length;
            else delete record.enrolledusercount;
            return record;
          }),
        );
      },
    ],
    [
      'core_course_get_courses',
      (params) => {
        const ids = ((params.options as { ids?: number[] } | undefined)?.ids ?? []) as number[];
        const courses = ids.length ? ids.map((id) => world.courseById(id)).filter((c): c is SiteCourse => !!c) : Object.values(data.site.courses);
        return synthesize(returnsOf('core_course_get_courses'), courses.map((c) => courseRecord(c, recordedListed)));
      },
    ],
  ]);
}

/** Course objects seen in recorded answers of `fn` (core_course_get_courses or core_enrol_get_users_courses), by id. */
function recordedCourses(data: SimulatorData, fn: string): Map<number, Record<string, unknown>> {
  const courses = new Map<number, Record<string, unknown>>();
  for (const e of data.exchanges.exchanges) {
    if (e.function === fn && Array.isArray(e.response_json)) {
      for (const c of e.response_json as Record<string, unknown>[]) courses.set(c.id as number, { ...courses.get(c.id as number), ...c });
    }
  }
  return courses;
}
