/**
 * Answers to the common reads a newcomer makes in the demo, computed from the seeded site (site-4.5.6.json), the
 * demo content laid over it (data/site-content-4.5.6.json: sections, posts, assignment and quiz settings) and
 * recorded answers, which give every object its full Moodle shape (a recorded object of the same kind is the
 * template; the site's ids, names and dates replace its values). Consistent across calls and users, and per user
 * as Moodle answers: a student sees their own submissions, grades, attempts and completion; a teacher (in their
 * courses) and the manager see everyone's.
 *
 * Per-user data the site does not hold follows fixed rules (deterministic, so every call agrees):
 * - students are the enrolled users who are not the teachers (dlindqvist, praman);
 * - assignment 1's submissions and grades are the recorded ones; for the others a student submitted when
 *   (userid + assignment id) % 4 != 0, one to three days before the due date, and was graded when the due date had
 *   passed at recording time, 55 + (7·userid + 11·assignment id) % 45 out of 100;
 * - a student attempted a quiz when (userid + quiz id) % 3 != 0, scoring sumgrades − userid % 3 (at least 1);
 * - an activity with completion is complete for a student when (userid + cmid) % 3 != 0.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Exchange, SimulatorData, SiteCourse } from './data.ts';
import type { FunctionDescription } from './descriptions.ts';
import { noPermissions } from './errors.ts';
import type { SiteAnswer } from './site-answers.ts';
import { synthesize } from './synthesize.ts';
import type { SimModule, SimUser, World } from './world.ts';
import { loadModuleContexts } from './file-store.ts';

export const CONTENT_PATH = fileURLToPath(new URL('./data/site-content-4.5.6.json', import.meta.url));

interface Post { id: number; parent: number; userid: number; subject: string; message: string; created: number }
interface SiteContent {
  recorded_at: number;
  sections: Record<string, { id: number; section: number; name: string; summary: string; cmids: number[] }[]>;
  assignments: Record<string, { duedate: number; allowsubmissionsfromdate: number; intro: string }>;
  quizzes: Record<string, { timeopen: number; timeclose: number; timelimit: number; attempts: number; grade: number; sumgrades: number; intro: string }>;
  posts: Record<string, Post[]>;
}

type Obj = Record<string, unknown>;
const WWW = 'http://127.0.0.1:8080';

/** Demo answers by function name (they take precedence over the generic site answers). */
export function createDemoAnswers(data: SimulatorData, world: World): Map<string, SiteAnswer> {
  const content = JSON.parse(readFileSync(CONTENT_PATH, 'utf8')) as SiteContent;
  const moduleContexts = loadModuleContexts();
  const recorded = (id: number) => structuredClone(data.exchanges.exchanges.find((e: Exchange) => e.id === id)?.response_json) as any;
  const returnsOf = (fn: string) => (data.functions.get(fn) as FunctionDescription).returns;
  const shaped = (fn: string, value: unknown) => synthesize(returnsOf(fn), value);

  const users = Object.entries(data.site.users).map(([username, u]) => ({ username, ...u }));
  const userById = new Map(users.map((u) => [u.id, u]));
  // The teachers as the world knows them (the site's token_roles teacher*: dlindqvist, praman).
  const teacherIds = new Set(users.filter((u) => world.userByName(u.username)?.isTeacher).map((u) => u.id));
  const courses = Object.values(data.site.courses);
  const isStudentIn = (course: SiteCourse, id: number) => course.enrolled.includes(id) && !teacherIds.has(id);
  const studentsOf = (course: SiteCourse) => course.enrolled.filter((id) => !teacherIds.has(id));
  const seesEveryone = (user: SimUser, course: SiteCourse) => user.isPrivileged || (user.isTeacher && course.enrolled.includes(user.id));
  const reachable = (user: SimUser, ids: number[] | undefined) =>
    (ids && ids.length ? ids.map((id) => world.courseById(id)).filter((c): c is SiteCourse => !!c) : courses.filter((c) => c.enrolled.includes(user.id))).filter((c) =>
      world.canAccessCourse(user, c),
    );
  const modulesOf = (course: SiteCourse, modname: string) => course.modules.filter((m) => m.modname === modname).map((m) => ({ ...m, course }) as SimModule);
  const fullname = (id: number) => userById.get(id)?.name ?? '';

  // ---- templates: recorded objects that carry every key Moodle sends ----------------------------------------
  const contents2 = recorded(8) as Obj[];
  const sectionTemplate = { ...contents2[0], modules: [] };
  const moduleTemplates = new Map<string, Obj>();
  for (const s of contents2) for (const m of s.modules as Obj[]) if (!moduleTemplates.has(m.modname as string)) moduleTemplates.set(m.modname as string, m);
  const userTemplate = (recorded(7) as Obj[])[2];
  const forumTemplate = (recorded(16) as Obj[])[1];
  const discussionTemplate = recorded(17).discussions[0] as Obj;
  const postTemplate = recorded(18).posts[0] as Obj;
  const assignCourseTemplate = recorded(12).courses[0] as Obj;
  const assignTemplate = (assignCourseTemplate.assignments as Obj[])[0];
  const recordedSubmissions = recorded(13).assignments[0].submissions as Obj[];
  const recordedGrades = recorded(14).assignments[0].grades as Obj[];
  const gradeItemsTemplate = recorded(19).usergrades[0] as Obj;
  const eventTemplate = (recorded(24).events as Obj[])[0];
  const completionTemplate = recorded(29).statuses[0] as Obj;
  const quizTemplate = recorded(30).quizzes[0] as Obj;
  const attemptTemplate = recorded(31).attempts[0] as Obj;
  const groupTemplate = (recorded(27) as Obj[])[0];
  const actionEventTemplate = recorded(22).events[0] as Obj;
  const upcomingEventTemplate = recorded(23).events[0] as Obj;
  const upcomingTemplate = recorded(23) as Obj;
  const recordedMembership = new Map((recorded(7) as Obj[]).map((u) => [u.id as number, (u.groups as Obj[] | undefined) ?? []]));

  // ---- per-user rules (see the module comment) ----------------------------------------------------------------
  const assignSettings = (instance: number) => content.assignments[String(instance)]!;
  function submission(assign: number, userid: number): Obj | undefined {
    if (assign === 1) return recordedSubmissions.find((s) => s.userid === userid);
    if ((userid + assign) % 4 === 0) return undefined;
    const due = assignSettings(assign).duedate;
    const time = due - 86400 * ((userid % 3) + 1);
    return { ...recordedSubmissions[0], id: 1000 + assign * 100 + userid, userid, timecreated: time, timemodified: time, status: 'submitted', gradingstatus: grade(assign, userid) ? 'graded' : 'notgraded', plugins: submissionPlugins(userid) };
  }
  function submissionPlugins(userid: number) {
    const plugins = structuredClone(recordedSubmissions[0].plugins) as Obj[];
    const online = (plugins[0]?.editorfields as Obj[] | undefined)?.[0];
    if (online) online.text = `<p>Submission by ${fullname(userid)}.</p>`;
    return plugins;
  }
  function grade(assign: number, userid: number): Obj | undefined {
    if (assign === 1) return recordedGrades.find((g) => g.userid === userid);
    if ((userid + assign) % 4 === 0 || assignSettings(assign).duedate > content.recorded_at) return undefined;
    const value = 55 + ((7 * userid + 11 * assign) % 45);
    return { ...recordedGrades[0], id: 1000 + assign * 100 + userid, userid, grade: `${value}.00000`, grader: 4, timecreated: content.recorded_at, timemodified: content.recorded_at };
  }
  const gradeValue = (assign: number, userid: number) => (grade(assign, userid) ? Number.parseFloat(grade(assign, userid)!.grade as string) : null);
  function attempts(quiz: number, userid: number): Obj[] {
    if ((userid + quiz) % 3 === 0) return [];
    const q = content.quizzes[String(quiz)]!;
    const start = q.timeopen + 86400 * ((userid % 5) + 1);
    return [{ ...attemptTemplate, id: quiz === 1 && userid === 6 ? 1 : 1000 + quiz * 100 + userid, quiz, userid, attempt: 1, uniqueid: 1000 + quiz * 100 + userid, state: 'finished', timestart: start, timefinish: start + 600, timemodified: start + 600, sumgrades: Math.max(1, q.sumgrades - (userid % 3)) }];
  }
  const quizGrade = (quiz: number, userid: number) => {
    const best = attempts(quiz, userid)[0];
    const q = content.quizzes[String(quiz)]!;
    return best ? Math.round(((best.sumgrades as number) / q.sumgrades) * q.grade * 100) / 100 : null;
  };
  const completes = (userid: number, cmid: number) => (userid + cmid) % 3 !== 0;

  // ---- object builders ------------------------------------------------------------------------------------------
  function moduleObject(m: SimModule, user: SimUser): Obj {
    const template = moduleTemplates.get(m.modname) ?? moduleTemplates.get('page')!;
    // The real context id (modules the recording did not see, such as course 6's, get 100 + cmid).
    const contextid = moduleContexts[String(m.cmid)] ?? 100 + m.cmid;
    const module: Obj = { ...structuredClone(template), id: m.cmid, name: m.name, instance: m.instance, modname: m.modname, url: `${WWW}/mod/${m.modname}/view.php?id=${m.cmid}`, contextid };
    // A page's contents is its index.html, served from its own context.
    for (const file of (module.contents as Obj[] | undefined) ?? []) {
      if (typeof file.fileurl === 'string') file.fileurl = file.fileurl.replace(/\/pluginfile\.php\/\d+\//, `/pluginfile.php/${contextid}/`);
    }
    const completion = module.completiondata as Obj | undefined;
    if (completion) {
      const tracked = isStudentIn(m.course, user.id);
      const done = tracked && completes(user.id, m.cmid);
      Object.assign(completion, { istrackeduser: tracked, state: done ? 1 : 0, timecompleted: done ? content.recorded_at : 0, isoverallcomplete: done });
    }
    return module;
  }
  function forumObject(course: SiteCourse, forum: SiteCourse['forums'][number]): Obj {
    const cm = course.modules.find((m) => m.modname === 'forum' && m.instance === forum.id);
    return { ...forumTemplate, id: forum.id, course: course.id, type: forum.type, name: forum.name, intro: forum.type === 'news' ? 'General news and announcements' : `Questions and ideas about ${course.fullname}`, cmid: cm?.cmid ?? 0, numdiscussions: forum.discussions.length };
  }
  function assignmentObject(m: SimModule): Obj {
    const s = assignSettings(m.instance);
    return { ...structuredClone(assignTemplate), id: m.instance, cmid: m.cmid, course: m.course.id, name: m.name, intro: s.intro, duedate: s.duedate, allowsubmissionsfromdate: s.allowsubmissionsfromdate, gradingduedate: s.duedate + 7 * 86400 };
  }
  function quizObject(m: SimModule): Obj {
    const q = content.quizzes[String(m.instance)]!;
    const section = content.sections[String(m.course.id)]?.find((s) => s.cmids.includes(m.cmid))?.section ?? 0;
    return { ...structuredClone(quizTemplate), id: m.instance, coursemodule: m.cmid, course: m.course.id, name: m.name, intro: q.intro, section, timeopen: q.timeopen, timeclose: q.timeclose, timelimit: q.timelimit, attempts: q.attempts, grade: q.grade, sumgrades: q.sumgrades };
  }
  const courseWarnings = (user: SimUser, ids: number[] | undefined) =>
    (ids ?? []).filter((id) => { const c = world.courseById(id); return !c || !world.canAccessCourse(user, c); }).map((id) => ({ item: 'course', itemid: id, warningcode: '1', message: 'No access rights in course context' }));

  const answers = new Map<string, SiteAnswer>();
  /** Registers an answer; calls about the site course (0 or 1), which has no activities, get `empty`. */
  const set = (fn: string, empty: unknown, answer: SiteAnswer) =>
    answers.set(fn, (params, user) => {
      const courseid = params.courseid as number | undefined;
      if (courseid !== undefined && !world.courseById(courseid)) return shaped(fn, empty);
      return answer(params, user);
    });

  set('core_course_get_contents', [], (params, user) => {
    const course = world.courseById(params.courseid as number)!;
    const byCmid = new Map(course.modules.map((m) => [m.cmid, { ...m, course } as SimModule]));
    const sections = content.sections[String(course.id)] ?? [{ id: 0, section: 0, name: 'General', summary: '', cmids: course.modules.map((m) => m.cmid) }];
    return shaped('core_course_get_contents', sections.map((s) => ({
      ...sectionTemplate, id: s.id, section: s.section, name: s.name, summary: s.summary,
      modules: s.cmids.map((cmid) => byCmid.get(cmid)).filter((m): m is SimModule => !!m).map((m) => moduleObject(m, user)),
    })));
  });

  set('core_enrol_get_enrolled_users', [], (params) => {
    const course = world.courseById(params.courseid as number)!;
    const groups = data.site.groups.filter((g) => g.courseid === course.id);
    const students = studentsOf(course);
    // Options Moodle applies: groupid, limitfrom, limitnumber (others are accepted and ignored by the double).
    const options = new Map(((params.options as { name: string; value: string }[] | undefined) ?? []).map((o) => [o.name, o.value]));
    const inGroup = (member: Obj[]) => !options.has('groupid') || member.some((g) => String(g.id) === options.get('groupid'));
    const from = Number(options.get('limitfrom') ?? 0);
    const count = Number(options.get('limitnumber') ?? 0);
    const page = (list: Obj[]) => (count > 0 ? list.slice(from, from + count) : list.slice(from));
    return shaped('core_enrol_get_enrolled_users', page(course.enrolled.map((id) => {
      const u = userById.get(id)!;
      const teacher = teacherIds.has(id);
      const roles = [{ roleid: teacher ? (u.username === 'dlindqvist' ? 3 : 4) : 5, name: '', shortname: teacher ? (u.username === 'dlindqvist' ? 'editingteacher' : 'teacher') : 'student', sortorder: 0 }];
      const recordedGroups = course.id === 2 ? recordedMembership.get(id) : undefined;
      const member = recordedGroups ?? (!teacher && groups.length ? [groups[students.indexOf(id) % groups.length]!].map((g) => ({ id: g.id, name: g.name, description: '', descriptionformat: 1 })) : []);
      const user: Obj = { ...userTemplate, id, fullname: u.name, email: u.email, roles, groups: member };
      delete user.enrolledcourses;
      return user;
    }).filter((user) => inGroup(user.groups as Obj[]))));
  });

  set('core_group_get_course_groups', [], (params) =>
    shaped('core_group_get_course_groups', data.site.groups.filter((g) => g.courseid === params.courseid).map((g) => ({ ...groupTemplate, id: g.id, courseid: g.courseid, name: g.name, description: `<p>${g.name}</p>`, idnumber: '' }))),
  );

  set('mod_forum_get_forums_by_courses', [], (params, user) =>
    shaped('mod_forum_get_forums_by_courses', reachable(user, params.courseids as number[]).flatMap((c) => c.forums.map((f) => forumObject(c, f)))),
  );

  set('mod_forum_get_forum_discussions', { discussions: [], warnings: [] }, (params) => {
    const m = world.moduleByInstance('forum', params.forumid as number)!;
    const forum = m.course.forums.find((f) => f.id === m.instance)!;
    const discussions = forum.discussions.map((d) => {
      const posts = content.posts[String(d.id)] ?? [];
      const first = posts[0];
      const last = posts.at(-1) ?? first;
      return { ...discussionTemplate, id: d.firstpost, discussion: d.id, name: d.name, subject: d.name, message: first?.message ?? '', userid: d.userid, userfullname: fullname(d.userid),
        usermodified: last?.userid ?? d.userid, usermodifiedfullname: fullname(last?.userid ?? d.userid), created: first?.created ?? 0, modified: first?.created ?? 0, timemodified: last?.created ?? 0, numreplies: Math.max(0, posts.length - 1) };
    });
    return shaped('mod_forum_get_forum_discussions', { discussions: discussions.sort((a, b) => (b.timemodified as number) - (a.timemodified as number)), warnings: [] });
  });

  set('mod_forum_get_discussion_posts', { posts: [], warnings: [] }, (params) => {
    const id = params.discussionid as number;
    const course = world.discussionCourse(id)!;
    const posts = (content.posts[String(id)] ?? []).map((p) => ({
      ...structuredClone(postTemplate), id: p.id, subject: p.subject, replysubject: `Re: ${p.subject.replace(/^Re: /, '')}`, message: p.message, discussionid: id,
      hasparent: p.parent !== 0, parentid: p.parent || null, timecreated: p.created, timemodified: p.created,
      author: { ...(postTemplate.author as Obj), id: p.userid, fullname: fullname(p.userid), groups: [], urls: { profile: `${WWW}/user/view.php?id=${p.userid}&course=${course.id}`, profileimage: `${WWW}/theme/image.php/boost/core/1795320626/u/f1` } },
    }));
    const sortedDesc = params.sortdirection !== 'ASC';
    posts.sort((a, b) => (sortedDesc ? b.timecreated - a.timecreated : a.timecreated - b.timecreated));
    return shaped('mod_forum_get_discussion_posts', { posts, forumid: course.forums.find((f) => f.discussions.some((d) => d.id === id))?.id ?? 0, courseid: course.id, ratinginfo: undefined, warnings: [] });
  });

  set('mod_assign_get_assignments', { courses: [], warnings: [] }, (params, user) => {
    const list = reachable(user, params.courseids as number[]).map((c) => ({ ...assignCourseTemplate, id: c.id, fullname: c.fullname, shortname: c.shortname, timemodified: content.recorded_at, assignments: modulesOf(c, 'assign').map(assignmentObject) }));
    return shaped('mod_assign_get_assignments', { courses: list, warnings: courseWarnings(user, params.courseids as number[] | undefined) });
  });

  set('mod_assign_get_submissions', { assignments: [], warnings: [] }, (params, user) => {
    const assignments: Obj[] = [];
    const warnings: Obj[] = [];
    for (const id of (params.assignmentids as number[]) ?? []) {
      const m = world.moduleByInstance('assign', id);
      if (!m || !seesEveryone(user, m.course)) {
        warnings.push({ item: 'module', itemid: id, warningcode: '1', message: 'No access rights in module context' });
        continue;
      }
      assignments.push({ assignmentid: id, submissions: studentsOf(m.course).map((s) => submission(id, s)).filter(Boolean) });
    }
    return shaped('mod_assign_get_submissions', { assignments, warnings });
  });

  set('mod_assign_get_grades', { assignments: [], warnings: [] }, (params, user) => {
    const assignments: Obj[] = [];
    const warnings: Obj[] = [];
    for (const id of (params.assignmentids as number[]) ?? []) {
      const m = world.moduleByInstance('assign', id);
      if (!m) continue;
      const who = seesEveryone(user, m.course) ? studentsOf(m.course) : [user.id];
      const grades = who.map((s) => grade(id, s)).filter(Boolean);
      if (grades.length) assignments.push({ assignmentid: id, grades });
      else warnings.push({ item: 'assignment', itemid: id, warningcode: '3', message: 'No grades found' });
    }
    return shaped('mod_assign_get_grades', { assignments, warnings });
  });

  set('mod_assign_get_submission_status', { warnings: [] }, (params, user) => {
    const id = params.assignid as number;
    const m = world.moduleByInstance('assign', id)!;
    const target = (params.userid as number | undefined) || user.id;
    if (target !== user.id && !seesEveryone(user, m.course)) throw noPermissions('Grade assignment');
    const template = recorded(15) as Obj;
    const sub = submission(id, target);
    const g = grade(id, target);
    const last = template.lastattempt as Obj;
    const lastattempt = { ...last, submission: sub ? { ...sub, assignment: id, latest: 1 } : undefined, graded: !!g, gradingstatus: g ? 'graded' : 'notgraded', canedit: !g && isStudentIn(m.course, target), cansubmit: false, usergroups: [] };
    const feedback = g ? { ...(template.feedback as Obj), grade: { ...g, assignment: id }, gradefordisplay: `${Number.parseFloat(g.grade as string).toFixed(2)}&nbsp;/&nbsp;100.00`, gradeddate: g.timemodified } : undefined;
    return shaped('mod_assign_get_submission_status', { lastattempt, feedback, warnings: [] });
  });

  set('mod_quiz_get_quizzes_by_courses', { quizzes: [], warnings: [] }, (params, user) =>
    shaped('mod_quiz_get_quizzes_by_courses', { quizzes: reachable(user, params.courseids as number[]).flatMap((c) => modulesOf(c, 'quiz').map(quizObject)), warnings: courseWarnings(user, params.courseids as number[]) }),
  );

  set('mod_quiz_get_user_attempts', { attempts: [], warnings: [] }, (params, user) => {
    const m = world.moduleByInstance('quiz', params.quizid as number)!;
    const target = (params.userid as number | undefined) || user.id;
    if (target !== user.id && !seesEveryone(user, m.course)) throw noPermissions('View quiz reports');
    return shaped('mod_quiz_get_user_attempts', { attempts: attempts(m.instance, target), warnings: [] });
  });

  set('mod_quiz_get_user_best_grade', { hasgrade: false, warnings: [] }, (params, user) => {
    const m = world.moduleByInstance('quiz', params.quizid as number)!;
    const target = (params.userid as number | undefined) || user.id;
    if (target !== user.id && !seesEveryone(user, m.course)) throw noPermissions('View quiz reports');
    const value = quizGrade(m.instance, target);
    return shaped('mod_quiz_get_user_best_grade', value === null ? { hasgrade: false, warnings: [] } : { hasgrade: true, grade: value, warnings: [] });
  });

  set('gradereport_user_get_grade_items', { usergrades: [], warnings: [] }, (params, user) => {
    const course = world.courseById(params.courseid as number)!;
    const asked = params.userid as number | undefined;
    const everyone = seesEveryone(user, course);
    if (asked && asked !== user.id && !everyone) throw noPermissions('View all user grades');
    const who = asked ? [asked] : everyone ? studentsOf(course) : [user.id];
    const items = (gradeItemsTemplate.gradeitems as Obj[]);
    const modTemplate = items[0]!;
    const totalTemplate = items.at(-1)!;
    const usergrades = who.filter((id) => course.enrolled.includes(id)).map((id) => {
      const graded: Obj[] = [];
      let sum = 0;
      let max = 0;
      for (const m of course.modules) {
        if (m.modname !== 'assign' && m.modname !== 'quiz') continue;
        const value = m.modname === 'assign' ? gradeValue(m.instance, id) : quizGrade(m.instance, id);
        const top = m.modname === 'assign' ? 100 : content.quizzes[String(m.instance)]!.grade;
        if (value !== null) { sum += value; max += top; }
        graded.push({ ...modTemplate, id: 100 + m.cmid, itemname: m.name, itemmodule: m.modname, iteminstance: m.instance, cmid: m.cmid, graderaw: value, gradeformatted: value === null ? '-' : value.toFixed(2), grademax: top,
          rangeformatted: `0&ndash;${top}`, percentageformatted: value === null ? '-' : `${((100 * value) / top).toFixed(2)} %`, feedback: '', feedbackformat: 1, weightraw: 0, weightformatted: '-' });
      }
      graded.push({ ...totalTemplate, id: 10 + course.id, graderaw: max ? sum : null, gradeformatted: max ? sum.toFixed(2) : '-', grademax: max || 100, percentageformatted: max ? `${((100 * sum) / max).toFixed(2)} %` : '-' });
      const u = userById.get(id)!;
      return { ...gradeItemsTemplate, courseid: course.id, courseidnumber: course.shortname, userid: id, userfullname: u.name, useridnumber: '', gradeitems: graded };
    });
    return shaped('gradereport_user_get_grade_items', { usergrades, warnings: [] });
  });

  set('core_completion_get_activities_completion_status', { statuses: [], warnings: [] }, (params, user) => {
    const course = world.courseById(params.courseid as number)!;
    const target = params.userid as number;
    if (target !== user.id && !seesEveryone(user, course)) throw noPermissions('View activity completion');
    const statuses = course.modules.filter((m) => m.modname !== 'forum' || m.instance > 4).map((m) => {
      const done = isStudentIn(course, target) && completes(target, m.cmid);
      return { ...completionTemplate, cmid: m.cmid, modname: m.modname, instance: m.instance, state: done ? 1 : 0, timecompleted: done ? content.recorded_at : 0, istrackeduser: isStudentIn(course, target), isoverallcomplete: done };
    });
    return shaped('core_completion_get_activities_completion_status', { statuses, warnings: [] });
  });

  set('core_calendar_get_calendar_events', { events: [], warnings: [] }, (params, user) => {
    const events = (params.events ?? {}) as { courseids?: number[] };
    const list: Obj[] = [];
    for (const c of reachable(user, events.courseids)) {
      for (const m of modulesOf(c, 'assign')) {
        const s = assignSettings(m.instance);
        list.push({ ...eventTemplate, id: 500 + m.cmid, name: `${m.name} is due`, description: s.intro, courseid: c.id, categoryid: null, userid: 4, modulename: 'assign', instance: m.instance, eventtype: 'due', timestart: s.duedate, timeduration: 0 });
      }
      for (const m of modulesOf(c, 'quiz')) {
        const q = content.quizzes[String(m.instance)]!;
        list.push({ ...eventTemplate, id: 600 + m.cmid, name: `${m.name} closes`, description: q.intro, courseid: c.id, categoryid: null, userid: 4, modulename: 'quiz', instance: m.instance, eventtype: 'close', timestart: q.timeclose, timeduration: 0 });
      }
    }
    return shaped('core_calendar_get_calendar_events', { events: list.sort((a, b) => (a.timestart as number) - (b.timestart as number)), warnings: [] });
  });

  /**
   * The user's activity deadlines as the timeline lists them: for a student the assignments not yet submitted and
   * quizzes not yet attempted, for a teacher the assignments with submissions to grade.
   */
  function actionEvents(user: SimUser, from: number, to: number | null, courseFilter?: number): Obj[] {
    const list: Obj[] = [];
    for (const c of courses.filter((x) => x.enrolled.includes(user.id) && (courseFilter === undefined || x.id === courseFilter))) {
      const course = { ...(actionEventTemplate.course as Obj), id: c.id, fullname: c.fullname, shortname: c.shortname, fullnamedisplay: c.fullname, idnumber: '', viewurl: `${WWW}/course/view.php?id=${c.id}` };
      for (const m of modulesOf(c, 'assign')) {
        const s = assignSettings(m.instance);
        const toGrade = teacherIds.has(user.id) ? studentsOf(c).filter((id) => submission(m.instance, id) && !grade(m.instance, id)).length : 0;
        const pending = isStudentIn(c, user.id) ? !submission(m.instance, user.id) : toGrade > 0;
        if (!pending) continue;
        const action = { ...(actionEventTemplate.action as Obj | undefined), name: isStudentIn(c, user.id) ? 'Add submission' : 'Grade', itemcount: isStudentIn(c, user.id) ? 1 : toGrade, actionable: true, url: `${WWW}/mod/assign/view.php?id=${m.cmid}` };
        list.push({ ...actionEventTemplate, id: 500 + m.cmid, name: `${m.name} is due`, description: s.intro, activityname: m.name, instance: m.instance, modulename: 'assign', component: 'mod_assign', eventtype: 'due', timestart: s.duedate, timesort: s.duedate, overdue: s.duedate < content.recorded_at, course, action });
      }
      for (const m of modulesOf(c, 'quiz')) {
        const q = content.quizzes[String(m.instance)]!;
        if (!isStudentIn(c, user.id) || attempts(m.instance, user.id).length) continue;
        const action = { ...(actionEventTemplate.action as Obj | undefined), name: 'Attempt quiz now', itemcount: 1, actionable: true, url: `${WWW}/mod/quiz/view.php?id=${m.cmid}` };
        list.push({ ...actionEventTemplate, id: 600 + m.cmid, name: `${m.name} closes`, description: q.intro, activityname: m.name, activitystr: 'Quiz closes', instance: m.instance, modulename: 'quiz', component: 'mod_quiz', eventtype: 'close', timestart: q.timeclose, timesort: q.timeclose, overdue: false, course, action });
      }
    }
    return list.filter((e) => (e.timesort as number) >= from && (to === null || (e.timesort as number) <= to)).sort((a, b) => (a.timesort as number) - (b.timesort as number));
  }

  answers.set('core_calendar_get_action_events_by_timesort', (params, user) => {
    const events = actionEvents(user, (params.timesortfrom as number) ?? 0, (params.timesortto as number | null) ?? null).slice(0, (params.limitnum as number) || 20);
    return shaped('core_calendar_get_action_events_by_timesort', { events, firstid: events[0]?.id ?? 0, lastid: events.at(-1)?.id ?? 0 });
  });

  answers.set('core_calendar_get_calendar_upcoming_view', (params, user) => {
    const courseid = params.courseid as number;
    const upcoming = actionEvents(user, content.recorded_at, null, courseid > 1 ? courseid : undefined).map((e) => ({
      ...upcomingEventTemplate, ...e, course: { ...(upcomingEventTemplate.course as Obj), ...(e.course as Obj) }, isactionevent: true, iscourseevent: false, url: (e.action as Obj).url, popupname: e.name,
    }));
    return shaped('core_calendar_get_calendar_upcoming_view', { ...upcomingTemplate, events: upcoming, courseid: courseid || 1 });
  });

  return answers;
}
