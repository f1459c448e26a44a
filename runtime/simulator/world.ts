/**
 * The seeded site as the simulator sees it: users and their tokens, courses, course modules,
 * who is enrolled where, and the access rules the recorded data shows (admin and the system manager
 * reach every course; teachers and students only the courses they are enrolled in).
 */
import type { SimulatorData, SiteCourse } from './data.ts';
import { simulatorToken } from './data.ts';
import { randomBytes } from 'node:crypto';

export interface SimUser {
  id: number;
  username: string;
  fullname: string;
  firstname: string;
  lastname: string;
  email: string;
  /** Site admin (token_roles.admin). */
  isAdmin: boolean;
  /** Reaches every course with manager capabilities (admin and token_roles.manager). */
  isPrivileged: boolean;
  /** An (editing) teacher in the courses they are enrolled in (token_roles.teacher*). */
  isTeacher: boolean;
}

export interface SimModule {
  cmid: number;
  modname: string;
  instance: number;
  name: string;
  course: SiteCourse;
}

export interface World {
  userByToken(token: string): SimUser | undefined;
  /** A new token of `user` that REST accepts (what local_moodlemcp's connect flow issues). */
  issueToken(user: SimUser): string;
  /** Deletes a token issued by issueToken (Moodle's Security keys / Manage tokens); false when unknown. */
  deleteToken(token: string): boolean;
  userByName(username: string): SimUser | undefined;
  courseById(id: number): SiteCourse | undefined;
  moduleByCmid(cmid: number): SimModule | undefined;
  moduleByInstance(modname: string, instance: number): SimModule | undefined;
  /** The course of a forum discussion id, if the site data knows it. */
  discussionCourse(discussionid: number): SiteCourse | undefined;
  canAccessCourse(user: SimUser, course: SiteCourse): boolean;
  /** The site course (id 1) and course 0 (no course) are always reachable. */
  siteCourseIds: ReadonlySet<number>;
}

/** Builds the lookup tables of the seeded site. */
export function createWorld(data: SimulatorData): World {
  const { site } = data;
  const roles = site.token_roles;
  const adminIds = new Set(Object.entries(roles).filter(([role]) => role === 'admin').map(([, u]) => u.userid));
  const privilegedIds = new Set(Object.entries(roles).filter(([role]) => role === 'admin' || role === 'manager').map(([, u]) => u.userid));
  const teacherIds = new Set(Object.entries(roles).filter(([role]) => role.startsWith('teacher')).map(([, u]) => u.userid));
  const users: SimUser[] = Object.entries(site.users).map(([username, u]) => {
    const space = u.name.indexOf(' ');
    return {
      id: u.id,
      username,
      fullname: u.name,
      firstname: space > 0 ? u.name.slice(0, space) : u.name,
      lastname: space > 0 ? u.name.slice(space + 1) : '',
      email: u.email,
      isAdmin: adminIds.has(u.id),
      isPrivileged: privilegedIds.has(u.id),
      isTeacher: teacherIds.has(u.id),
    };
  });
  const byToken = new Map(users.map((u) => [simulatorToken(u.username), u]));
  const byName = new Map(users.map((u) => [u.username, u]));
  const courses = Object.values(site.courses);
  const byId = new Map(courses.map((c) => [c.id, c]));
  const modules: SimModule[] = courses.flatMap((course) => course.modules.map((m) => ({ ...m, course })));
  const byCmid = new Map(modules.map((m) => [m.cmid, m]));
  const byInstance = new Map(modules.map((m) => [`${m.modname}:${m.instance}`, m]));
  const discussions = new Map(courses.flatMap((course) => course.forums.flatMap((f) => f.discussions.map((d) => [d.id, course] as const))));
  const issued = new Map<string, SimUser>();
  return {
    userByToken: (token) => byToken.get(token) ?? issued.get(token),
    issueToken(user) {
      const token = randomBytes(16).toString('hex');
      issued.set(token, user);
      return token;
    },
    deleteToken: (token) => issued.delete(token),
    userByName: (username) => byName.get(username),
    courseById: (id) => byId.get(id),
    moduleByCmid: (cmid) => byCmid.get(cmid),
    moduleByInstance: (modname, instance) => byInstance.get(`${modname}:${instance}`),
    discussionCourse: (id) => discussions.get(id),
    canAccessCourse: (user, course) => user.isPrivileged || course.enrolled.includes(user.id),
    siteCourseIds: new Set([0, 1]),
  };
}
