/**
 * Capability and enrolment checks for calls that no recorded exchange answers, modelled on what the
 * recorded errors show:
 * - a `courseid` (anywhere in the parameters) of a course the caller cannot reach → errorcoursecontextnotvalid,
 *   an unknown one → invalidrecord (table course);
 * - a course module (`cmid`) or activity instance (`assignid`, `assignmentid`, `forumid`, `quizid`, `discussionid`,
 *   or `module` + `instance`) in such a course → requireloginerror, an unknown one → invalidrecord;
 * - the few functions whose capability a seeded role lacks → nopermissions.
 */
import type { SimUser, World } from './world.ts';
import { courseContextNotValid, missingRecord, noPermissions, requireLogin, type SimulatorError } from './errors.ts';

/** Functions that only the admin and the system manager may call, with the capability's display name. */
const PRIVILEGED_ONLY: Record<string, string> = {
  core_course_create_courses: 'Create courses',
  core_course_get_courses: 'View courses without participation',
};

/** Functions that teachers may call in their courses but students may not. */
const TEACHER_ONLY: Record<string, string> = {
  core_group_create_groups: 'Manage groups',
  core_group_add_group_members: 'Manage groups',
  enrol_manual_enrol_users: 'Enrol users',
};

/** Scalar parameters naming an activity instance, and the module (and table) they belong to. */
const INSTANCE_KEYS: Record<string, string> = { assignid: 'assign', assignmentid: 'assign', forumid: 'forum', quizid: 'quiz' };

/** Throws the error Moodle would answer when `user` may not make this call; returns otherwise. */
export function checkAccess(world: World, user: SimUser, fn: string, params: Record<string, unknown>): void {
  if (PRIVILEGED_ONLY[fn] && !user.isPrivileged) throw noPermissions(PRIVILEGED_ONLY[fn]);
  if (TEACHER_ONLY[fn] && !user.isPrivileged && !user.isTeacher) throw noPermissions(TEACHER_ONLY[fn]);
  for (const courseid of courseIdsIn(params)) {
    if (world.siteCourseIds.has(courseid)) continue;
    const course = world.courseById(courseid);
    if (!course) throw missingRecord('course');
    if (!world.canAccessCourse(user, course)) throw courseContextNotValid(courseid);
  }
  const activity = activityCourse(world, params);
  if (activity instanceof Error) throw activity;
  if (activity && !world.canAccessCourse(user, activity)) throw requireLogin();
}

/** Every integer under a key named `courseid`, at any depth. */
function courseIdsIn(value: unknown, key = ''): number[] {
  if (Array.isArray(value)) return value.flatMap((item) => courseIdsIn(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => courseIdsIn(v, k));
  return key === 'courseid' && typeof value === 'number' ? [value] : [];
}

function activityCourse(world: World, params: Record<string, unknown>) {
  if (typeof params.cmid === 'number') return world.moduleByCmid(params.cmid)?.course ?? missingRecord('course_modules');
  if (typeof params.module === 'string' && typeof params.instance === 'number') {
    return world.moduleByInstance(params.module, params.instance)?.course ?? missingRecord(params.module);
  }
  for (const [key, modname] of Object.entries(INSTANCE_KEYS)) {
    const id = params[key];
    if (typeof id === 'number') return world.moduleByInstance(modname, id)?.course ?? missingRecord(modname);
  }
  if (typeof params.discussionid === 'number') return world.discussionCourse(params.discussionid) ?? (missingRecord('forum_discussions') as SimulatorError);
  return undefined;
}
