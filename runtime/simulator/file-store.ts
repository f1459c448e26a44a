/**
 * The simulator's files: the seeded site's course files (data/files-4.5.6.json, recorded from the real Moodle: the
 * syllabus pages' index.html and the DS101 syllabus PDF attached to a forum post), the users' draft areas filled by
 * webservice/upload.php, and the file submissions saved by mod_assign_save_submission. Where a context id is (which
 * course, which module, which user) comes from the recorded module contexts and data/entities-4.5.6.json.
 * State lives as long as the simulator instance.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SiteCourse } from './data.ts';
import type { SimModule, SimUser, World } from './world.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
export const FILES_PATH = here('./data/files-4.5.6.json');
const ENTITIES_PATH = here('./data/entities-4.5.6.json');

export interface StoredFile {
  contextid: number;
  component: string;
  filearea: string;
  itemid: number;
  filepath: string;
  filename: string;
  mimetype: string;
  bytes: Uint8Array;
  userid: number;
  author: string;
  timecreated: number;
  timemodified: number;
}

/** A file submission saved through mod_assign_save_submission. */
export interface SavedSubmission {
  id: number;
  assign: number;
  userid: number;
  timemodified: number;
  onlinetext?: { text: string; format: number };
  files: StoredFile[];
}

/** What a context id is, as pluginfile.php needs it. */
export type ContextPlace =
  | { kind: 'module'; module: SimModule; course: SiteCourse }
  | { kind: 'course'; course: SiteCourse }
  | { kind: 'user'; userid: number }
  | { kind: 'other' };

interface FilesData {
  module_contexts: Record<string, number>;
  pages: Record<string, { contextid: number; timemodified: number; body_base64: string }>;
  files: Array<Omit<StoredFile, 'bytes'> & { body_base64: string }>;
}

export interface FileStore {
  place(contextid: number): ContextPlace | undefined;
  contextOfModule(cmid: number): number | undefined;
  contextOfUser(userid: number): number | undefined;
  /** The index.html a page module serves (its content), if it is a page. */
  pageBody(cmid: number): Uint8Array | undefined;
  find(contextid: number, component: string, filearea: string, itemid: number, filepath: string, filename: string): StoredFile | undefined;
  /** Files of one area item (e.g. a forum post's attachments), in name order. */
  list(contextid: number, component: string, filearea: string, itemid: number): StoredFile[];
  /** Adds a file to `user`'s draft area; false when that name already exists there. */
  addDraft(user: SimUser, itemid: number, filepath: string, filename: string, mimetype: string, bytes: Uint8Array): StoredFile | false;
  /** An unused draft item id (Moodle: a random int up to 999999999). */
  newDraftItemId(): number;
  /** The files of `user`'s draft item. */
  draftFiles(userid: number, itemid: number): StoredFile[];
  saveSubmission(submission: SavedSubmission): void;
  submission(assign: number, userid: number): SavedSubmission | undefined;
  submissionById(id: number): SavedSubmission | undefined;
}

const key = (contextid: number, component: string, filearea: string, itemid: number, filepath: string, filename: string) =>
  `${contextid}/${component}/${filearea}/${itemid}${filepath}${filename}`;

/** cmid → context id of every seeded course module (recorded from core_course_get_contents on the real site). */
export function loadModuleContexts(): Record<string, number> {
  return (JSON.parse(readFileSync(FILES_PATH, 'utf8')) as FilesData).module_contexts;
}

/** Builds the file store of one simulator instance. */
export function createFileStore(world: World): FileStore {
  const data = JSON.parse(readFileSync(FILES_PATH, 'utf8')) as FilesData;
  const entities = JSON.parse(readFileSync(ENTITIES_PATH, 'utf8')) as { entities: { context: Record<string, number | string> } };
  const cmidByContext = new Map(Object.entries(data.module_contexts).map(([cmid, ctx]) => [ctx, Number(cmid)]));
  const userContexts = new Map<number, number>();
  for (const [ctx, place] of Object.entries(entities.entities.context)) {
    const user = typeof place === 'string' ? /^user:(\d+)$/.exec(place) : null;
    if (user) userContexts.set(Number(user[1]), Number(ctx));
  }
  const contextByUser = userContexts;
  const userByContext = new Map([...userContexts].map(([user, ctx]) => [ctx, user]));
  const files = new Map<string, StoredFile>();
  for (const f of data.files) {
    const { body_base64, ...meta } = f;
    files.set(key(f.contextid, f.component, f.filearea, f.itemid, f.filepath, f.filename), { ...meta, bytes: Buffer.from(body_base64, 'base64') });
  }
  const submissions = new Map<string, SavedSubmission>();
  const usedItemIds = new Set<number>();

  return {
    place(contextid) {
      const cmid = cmidByContext.get(contextid);
      const module = cmid === undefined ? undefined : world.moduleByCmid(cmid);
      if (module) return { kind: 'module', module, course: module.course };
      const user = userByContext.get(contextid);
      if (user !== undefined) return { kind: 'user', userid: user };
      const where = entities.entities.context[String(contextid)];
      if (where === undefined) return undefined;
      if (typeof where === 'number') {
        const course = world.courseById(where);
        return course ? { kind: 'course', course } : { kind: 'other' };
      }
      return { kind: 'other' };
    },
    contextOfModule: (cmid) => data.module_contexts[String(cmid)],
    contextOfUser: (userid) => contextByUser.get(userid),
    pageBody: (cmid) => {
      const page = data.pages[String(cmid)];
      return page ? Buffer.from(page.body_base64, 'base64') : undefined;
    },
    find: (contextid, component, filearea, itemid, filepath, filename) => files.get(key(contextid, component, filearea, itemid, filepath, filename)),
    list: (contextid, component, filearea, itemid) =>
      [...files.values()]
        .filter((f) => f.contextid === contextid && f.component === component && f.filearea === filearea && f.itemid === itemid)
        .sort((a, b) => (a.filepath + a.filename).localeCompare(b.filepath + b.filename)),
    addDraft(user, itemid, filepath, filename, mimetype, bytes) {
      const contextid = contextByUser.get(user.id)!;
      const k = key(contextid, 'user', 'draft', itemid, filepath, filename);
      if (files.has(k)) return false;
      const now = Math.floor(Date.now() / 1000);
      const file: StoredFile = { contextid, component: 'user', filearea: 'draft', itemid, filepath, filename, mimetype, bytes, userid: user.id, author: user.fullname, timecreated: now, timemodified: now };
      files.set(k, file);
      usedItemIds.add(itemid);
      return file;
    },
    newDraftItemId() {
      let id: number;
      do id = randomInt(1, 1_000_000_000);
      while (usedItemIds.has(id));
      usedItemIds.add(id);
      return id;
    },
    draftFiles(userid, itemid) {
      const contextid = contextByUser.get(userid);
      return contextid === undefined ? [] : [...files.values()].filter((f) => f.contextid === contextid && f.filearea === 'draft' && f.component === 'user' && f.itemid === itemid);
    },
    saveSubmission(submission) {
      const old = submissions.get(`${submission.assign}:${submission.userid}`);
      for (const f of old?.files ?? []) files.delete(key(f.contextid, f.component, f.filearea, f.itemid, f.filepath, f.filename));
      for (const f of submission.files) files.set(key(f.contextid, f.component, f.filearea, f.itemid, f.filepath, f.filename), f);
      submissions.set(`${submission.assign}:${submission.userid}`, submission);
    },
    submission: (assign, userid) => submissions.get(`${assign}:${userid}`),
    submissionById: (id) => [...submissions.values()].find((s) => s.id === id),
  };
}
