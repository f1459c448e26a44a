/**
 * REST answers that involve files, layered over the demo answers (shapes as recorded in
 * test/fixtures/moodle/files-4.5.6.json):
 * - `mod_assign_save_submission` with `plugindata[files_filemanager]` = a draft item id: a student's draft files become
 *   the submission's files (status `draft`); an item id holding no file of this user, with no online text either →
 *   warning `couldnotsavesubmission`; files only while the submission holds online text → `dmlwriteexception`
 *   (Moodle 4.5.6 saves a null online text and the database refuses it);
 * - `mod_assign_get_submission_status` shows a saved submission with its files and their webservice fileurls;
 * - `mod_forum_get_discussion_posts` lists a post's stored attachments, with the browser `/pluginfile.php` url Moodle gives.
 */
import type { SimulatorData } from './data.ts';
import type { FunctionDescription } from './descriptions.ts';
import { SimulatorError } from './errors.ts';
import type { FileStore, SavedSubmission, StoredFile } from './file-store.ts';
import type { SiteAnswer } from './site-answers.ts';
import { synthesize } from './synthesize.ts';
import type { SimUser, World } from './world.ts';

type Obj = Record<string, any>;

const ICONS: Array<[RegExp, string]> = [
  [/^application\/pdf$/, 'f/pdf'],
  [/wordprocessingml|msword|opendocument\.text/, 'f/document'],
  [/spreadsheetml|text\/csv/, 'f/spreadsheet'],
  [/presentationml/, 'f/powerpoint'],
  [/^image\//, 'f/image'],
  [/^text\/html$/, 'f/html'],
  [/^text\//, 'f/text'],
  [/zip/, 'f/archive'],
];
const iconOf = (mimetype: string) => ICONS.find(([re]) => re.test(mimetype))?.[1] ?? 'f/unknown';

/** Moodle's display_size(): one decimal, a no-break space before the unit. */
function displaySize(bytes: number): string {
  if (bytes < 1024) return `${bytes}\u00a0bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)}\u00a0${units[unit]}`;
}

/** userdate() with the default format in UTC, e.g. "Monday, 7 December 2026, 4:17 AM". */
function userDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  const weekday = d.toLocaleString('en-GB', { weekday: 'long', timeZone: 'UTC' });
  const month = d.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
  const hours = d.getUTCHours();
  const minutes = String(d.getUTCMinutes()).padStart(2, '0');
  return `${weekday}, ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}, ${hours % 12 || 12}:${minutes} ${hours < 12 ? 'AM' : 'PM'}`;
}

const couldNotSave = (assign: number) => [{ item: 'Nothing was submitted', itemid: assign, warningcode: 'couldnotsavesubmission', message: 'Could not save submission.' }];

/** The file answers, each wrapping the answer it replaces (`base`) for what it does not handle. */
export function createFileAnswers(data: SimulatorData, world: World, store: FileStore, base: Map<string, SiteAnswer>): Map<string, SiteAnswer> {
  const www = data.site.base_url.replace(/\/$/, '');
  const returnsOf = (fn: string) => (data.functions.get(fn) as FunctionDescription).returns;
  const baseStatus = base.get('mod_assign_get_submission_status');
  const basePosts = base.get('mod_forum_get_discussion_posts');

  const fileurl = (f: StoredFile) => `${www}/webservice/pluginfile.php/${f.contextid}/${f.component}/${f.filearea}/${f.itemid}${f.filepath}${f.filename}`;

  function submissionPlugins(saved: SavedSubmission): Obj[] {
    return [
      {
        type: 'onlinetext',
        name: 'Online text',
        fileareas: [{ area: 'submissions_onlinetext', files: [] }],
        editorfields: [{ name: 'onlinetext', description: 'Online text submissions', text: saved.onlinetext?.text ?? '', format: saved.onlinetext?.format ?? 1 }],
      },
      {
        type: 'file',
        name: 'File submissions',
        fileareas: [
          {
            area: 'submission_files',
            files: saved.files.map((f) => ({ filename: f.filename, filepath: f.filepath, filesize: f.bytes.length, fileurl: fileurl(f), timemodified: f.timemodified, mimetype: f.mimetype, isexternalfile: false, icon: iconOf(f.mimetype) })),
          },
        ],
      },
      { type: 'comments', name: 'Submission comments' },
    ];
  }

  /** The submission the demo answers show for (assign, user), if any: its id, status and online text. */
  function currentSubmission(assign: number, user: SimUser): Obj | undefined {
    if (!baseStatus) return undefined;
    const status = baseStatus({ assignid: assign }, user) as Obj;
    return status?.lastattempt?.submission ?? undefined;
  }

  const answers = new Map<string, SiteAnswer>();

  answers.set('mod_assign_save_submission', (params, user) => {
    const assign = params.assignmentid as number;
    const module = world.moduleByInstance('assign', assign)!;
    const plugindata = (params.plugindata ?? {}) as { onlinetext_editor?: { text: string; format: number }; files_filemanager?: number };
    const isStudent = module.course.enrolled.includes(user.id) && !user.isTeacher && !user.isPrivileged;
    if (!isStudent) return base.get('mod_assign_save_submission')?.(params, user) ?? synthesize(returnsOf('mod_assign_save_submission'));
    const saved = store.submission(assign, user.id);
    const current = saved ? undefined : currentSubmission(assign, user);
    const currentText = saved?.onlinetext?.text ?? (current?.plugins as Obj[] | undefined)?.find((p) => p.type === 'onlinetext')?.editorfields?.[0]?.text ?? '';
    const draftItem = plugindata.files_filemanager;
    const draft = draftItem === undefined ? undefined : store.draftFiles(user.id, draftItem);
    const newText = plugindata.onlinetext_editor?.text;
    if (draft !== undefined && draft.length === 0 && !newText) return couldNotSave(assign);
    if (draft === undefined && newText === undefined) return couldNotSave(assign);
    if (plugindata.onlinetext_editor === undefined && currentText) {
      throw new SimulatorError('dmlwriteexception', 'Error writing to database', 'dml_write_exception', 'online text plugin saved a null text (Moodle 4.5.6 behaviour)');
    }
    const id = saved?.id ?? (current?.id as number | undefined) ?? 1000 + assign * 100 + user.id;
    const contextid = store.contextOfModule(module.cmid)!;
    const now = Math.floor(Date.now() / 1000);
    const files =
      draft === undefined
        ? (saved?.files ?? [])
        : draft.map((f) => ({ ...f, contextid, component: 'assignsubmission_file', filearea: 'submission_files', itemid: id, timemodified: now }));
    store.saveSubmission({
      id,
      assign,
      userid: user.id,
      timemodified: now,
      onlinetext: plugindata.onlinetext_editor ? { text: plugindata.onlinetext_editor.text, format: plugindata.onlinetext_editor.format } : saved?.onlinetext,
      files,
    });
    return [];
  });

  if (baseStatus) {
    answers.set('mod_assign_get_submission_status', (params, user) => {
      const answer = baseStatus(params, user) as Obj;
      const target = (params.userid as number | undefined) || user.id;
      const saved = store.submission(params.assignid as number, target);
      if (!saved || !answer?.lastattempt) return answer;
      const previous = answer.lastattempt.submission as Obj | undefined;
      const status = previous?.status === 'submitted' ? 'submitted' : 'draft';
      answer.lastattempt.submission = {
        ...(previous ?? {}),
        id: saved.id,
        userid: saved.userid,
        attemptnumber: previous?.attemptnumber ?? 0,
        timecreated: previous?.timecreated ?? saved.timemodified,
        timemodified: saved.timemodified,
        timestarted: previous?.timestarted ?? null,
        status,
        groupid: previous?.groupid ?? 0,
        assignment: saved.assign,
        latest: 1,
        plugins: submissionPlugins(saved),
      };
      answer.lastattempt.canedit = true;
      answer.lastattempt.cansubmit = status === 'draft';
      return synthesize(returnsOf('mod_assign_get_submission_status'), answer);
    });
  }

  if (basePosts) {
    answers.set('mod_forum_get_discussion_posts', (params, user) => {
      const answer = basePosts(params, user) as Obj;
      const forum = world.moduleByInstance('forum', answer?.forumid as number);
      const contextid = forum ? store.contextOfModule(forum.cmid) : undefined;
      if (contextid === undefined) return answer;
      for (const post of (answer.posts ?? []) as Obj[]) {
        const attachments = store.list(contextid, 'mod_forum', 'attachment', post.id as number);
        if (!attachments.length) continue;
        post.attachments = attachments.map((f) => ({
          contextid: f.contextid,
          component: f.component,
          filearea: f.filearea,
          itemid: f.itemid,
          filepath: f.filepath,
          filename: f.filename,
          isdir: false,
          isimage: f.mimetype.startsWith('image/'),
          timemodified: f.timemodified,
          timecreated: f.timecreated,
          filesize: f.bytes.length,
          author: f.author,
          license: 'unknown',
          filenameshort: f.filename,
          filesizeformatted: displaySize(f.bytes.length),
          icon: iconOf(f.mimetype),
          timecreatedformatted: userDate(f.timecreated),
          timemodifiedformatted: userDate(f.timemodified),
          // The browser URL (not webservice/), as Moodle 4.5.6 gives it here.
          url: `${www}/pluginfile.php/${f.contextid}/${f.component}/${f.filearea}/${f.itemid}${f.filepath}${f.filename}?forcedownload=1`,
          urls: { export: null },
          html: { plagiarism: null },
        }));
      }
      return answer;
    });
  }
  return answers;
}
