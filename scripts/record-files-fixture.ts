// Records how a real Moodle 4.5.6 answers file requests (webservice/upload.php, webservice/pluginfile.php, the
// upload -> mod_assign_save_submission -> mod_assign_get_submission_status flow) into
// test/fixtures/moodle/files-4.5.6.json. Needs the local Moodle of ../shared/moodle/real/ (setup.sh) and its tokens.
//   node --import tsx scripts/record-files-fixture.ts [--moodle http://127.0.0.1:8080] [--tokens /opt/moodle-out/tokens.json]
// WRITES to that Moodle: uploads into the student's draft area and saves a file submission for emma.johansson on
// assignment 2 (Risk register). `bash ../shared/moodle/real/setup.sh --name moodle --reset` restores the seed state.
// Tokens are replaced by <TOKEN> everywhere; bodies are kept as base64 only when small and not personal data.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeDocx, makePdf } from '../test/helpers/sample-files.ts';

const { values: args } = parseArgs({
  options: {
    moodle: { type: 'string', default: 'http://127.0.0.1:8080' },
    tokens: { type: 'string', default: '/opt/moodle-out/tokens.json' },
    out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/moodle/files-4.5.6.json') },
  },
});
const base = new URL(args.moodle!);
const tokens = JSON.parse(readFileSync(args.tokens!, 'utf8')) as Record<string, { token: string; userid: number; username: string }>;
const secrets = Object.values(tokens).map((t) => t.token);
const BODY_LIMIT = 50 * 1024;

function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('<TOKEN>');
  return out;
}

interface Raw {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headerPairs: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerPairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode!, headers: headerPairs, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const VOLATILE_HEADERS = new Set(['date', 'last-modified', 'server', 'connection', 'set-cookie', 'etag']);
const exchanges: unknown[] = [];

/** What the fixture keeps of a response: status, headers (volatile ones named only), body as JSON, text or digest. */
function describeResponse(raw: Raw, keepBody: boolean) {
  const headers = raw.headers.map(([k, v]) => [k, VOLATILE_HEADERS.has(k.toLowerCase()) ? '<VOLATILE>' : redact(v)]);
  const contentType = raw.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const out: Record<string, unknown> = { status: raw.status, headers, body_size: raw.body.length, body_sha256: sha256(raw.body) };
  const json = parseJson(raw.body, contentType);
  if (json !== undefined) out.body_json = json;
  else if (keepBody && raw.body.length < BODY_LIMIT) out.body_base64 = raw.body.toString('base64');
  return out;
}

/** JSON bodies (upload.php answers JSON as text/plain) parsed; anything else undefined. */
function parseJson(body: Buffer, contentType: string): unknown {
  if (!/^(application\/json|text\/plain)/.test(contentType)) return undefined;
  try {
    return JSON.parse(redact(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function record(entry: { id: string; title: string; role?: string; request: Record<string, unknown>; raw: Raw; keepBody?: boolean; notes?: string }) {
  const response = describeResponse(entry.raw, entry.keepBody ?? true);
  exchanges.push({ id: entry.id, title: entry.title, token_role: entry.role ?? null, request: entry.request, response, ...(entry.notes ? { notes: entry.notes } : {}) });
  console.log(`${entry.id}: ${entry.raw.status} ${JSON.stringify(response.body_json ?? `${entry.raw.body.length} bytes`).slice(0, 160)}`);
  return entry.raw;
}

const tok = (role: string) => tokens[role]!.token;

async function pluginfile(id: string, title: string, role: string | null, path: string, how: 'query' | 'post' | 'header' | 'bearer' | 'none' = 'query', query = '', notes?: string) {
  const token = role ? tok(role) : '';
  const headers: Record<string, string> = {};
  let url = path + (query ? `?${query}` : '');
  let body: Buffer | undefined;
  if (how === 'query') url += (url.includes('?') ? '&' : '?') + `token=${token}`;
  if (how === 'post') {
    body = Buffer.from(`token=${token}`);
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (how === 'header') headers.authorization = token;
  if (how === 'bearer') headers.authorization = `Bearer ${token}`;
  const raw = await send(how === 'post' ? 'POST' : 'GET', url, headers, body);
  return record({
    id, title, role: role ?? undefined, notes,
    request: { method: how === 'post' ? 'POST' : 'GET', url: redact(url), token_in: how, ...(body ? { body: redact(body.toString()) } : {}), ...(how === 'header' || how === 'bearer' ? { headers: { authorization: how === 'bearer' ? 'Bearer <TOKEN>' : '<TOKEN>' } } : {}) },
    raw,
  });
}

interface Part { name: string; value?: string; file?: { filename: string; type: string; bytes: Uint8Array } }

async function multipart(parts: Part[]) {
  const form = new FormData();
  for (const p of parts) {
    if (p.file) form.append(p.name, new Blob([p.file.bytes as Uint8Array<ArrayBuffer>], { type: p.file.type }), p.file.filename);
    else form.append(p.name, p.value!);
  }
  const response = new Response(form);
  return { body: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type')! };
}

function describeParts(parts: Part[]) {
  return parts.map((p) =>
    p.file
      ? { name: p.name, filename: p.file.filename, content_type: p.file.type, size: p.file.bytes.length, sha256: sha256(p.file.bytes) }
      : { name: p.name, value: redact(p.value!) },
  );
}

async function upload(id: string, title: string, role: string | null, parts: Part[], options: { query?: string; headers?: Record<string, string>; notes?: string } = {}) {
  const { body, contentType } = await multipart(parts);
  const url = '/webservice/upload.php' + (options.query ? `?${options.query}` : '');
  const raw = await send('POST', url, { 'content-type': contentType, ...options.headers }, body);
  const describedHeaders = options.headers ? Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k, redact(v)])) : undefined;
  return record({
    id, title, role: role ?? undefined, notes: options.notes,
    request: { method: 'POST', url: redact(url), content_type: 'multipart/form-data', ...(describedHeaders ? { headers: describedHeaders } : {}), parts: describeParts(parts) },
    raw,
  });
}

async function rest(id: string, title: string, role: string, fn: string, params: [string, string][], notes?: string) {
  const pairs: [string, string][] = [['wstoken', tok(role)], ['wsfunction', fn], ['moodlewsrestformat', 'json'], ...params];
  const body = Buffer.from(new URLSearchParams(pairs).toString());
  const raw = await send('POST', '/webservice/rest/server.php', { 'content-type': 'application/x-www-form-urlencoded' }, body);
  record({
    id, title, role, notes,
    request: { method: 'POST', url: '/webservice/rest/server.php', function: fn, params: pairs.map(([k, v]) => [k, redact(v)]) },
    raw,
  });
  return JSON.parse(raw.body.toString('utf8'));
}

// ---- site facts -------------------------------------------------------------------------------------------------
const siteLimits: Record<string, unknown> = {};
for (const role of ['admin', 'teacher', 'student', 'student2']) {
  const body = Buffer.from(new URLSearchParams({ wstoken: tok(role), wsfunction: 'core_webservice_get_site_info', moodlewsrestformat: 'json' }).toString());
  const info = JSON.parse((await send('POST', '/webservice/rest/server.php', { 'content-type': 'application/x-www-form-urlencoded' }, body)).body.toString());
  siteLimits[role] = { userid: info.userid, usermaxuploadfilesize: info.usermaxuploadfilesize, userquota: info.userquota, uploadfiles: info.uploadfiles, downloadfiles: info.downloadfiles };
}

// ---- what files the seeded courses point to ---------------------------------------------------------------------
const contents: Record<string, unknown> = {};
const moduleContexts: Record<string, number> = {};
const pageBodies: Record<string, { contextid: number; timemodified: number; body_base64: string }> = {};
for (const [courseid, role] of [['2', 'student'], ['3', 'teacher'], ['4', 'student'], ['5', 'teacher2']] as const) {
  const body = Buffer.from(new URLSearchParams({ wstoken: tok(role), wsfunction: 'core_course_get_contents', moodlewsrestformat: 'json', courseid }).toString());
  const sections = JSON.parse((await send('POST', '/webservice/rest/server.php', { 'content-type': 'application/x-www-form-urlencoded' }, body)).body.toString());
  type Module = { id: number; modname: string; name: string; contextid: number; contents?: { fileurl: string; timemodified: number }[]; contentsinfo?: unknown };
  const modules: Module[] = Array.isArray(sections) ? sections.flatMap((s: { modules: Module[] }) => s.modules) : [];
  for (const m of modules) {
    moduleContexts[m.id] = m.contextid;
    const file = m.modname === 'page' ? m.contents?.[0] : undefined;
    if (file) {
      const page = await send('GET', `${new URL(file.fileurl).pathname}?token=${tok(role)}`, {});
      pageBodies[m.id] = { contextid: m.contextid, timemodified: file.timemodified, body_base64: page.body.toString('base64') };
    }
  }
  contents[courseid] = Array.isArray(sections)
    ? modules.filter((m) => m.contents?.length).map((m) => ({ cmid: m.id, modname: m.modname, name: m.name, contextid: m.contextid, contents: m.contents, contentsinfo: m.contentsinfo }))
    : { error: sections, role };
}

// ---- pluginfile.php ---------------------------------------------------------------------------------------------
const page = '/webservice/pluginfile.php/51/mod_page/content/index.html';
await pluginfile('pluginfile-page-token-query', 'Syllabus page of PM101 (course 2, cmid 5, context 51) as the fileurl gives it, token in the query', 'student', page, 'query', 'forcedownload=1');
await pluginfile('pluginfile-page-no-forcedownload', 'The same without forcedownload', 'student', page, 'query');
await pluginfile('pluginfile-page-token-post', 'Token as a POST form field instead of the query', 'student', page, 'post');
await pluginfile('pluginfile-page-token-header', 'Token in an Authorization header (bare), no token in the query', 'student', page, 'header');
await pluginfile('pluginfile-page-token-bearer', 'Token in an Authorization: Bearer header, no token in the query', 'student', page, 'bearer');
await pluginfile('pluginfile-no-token', 'No token at all', null, page, 'none');
{
  const raw = await send('GET', `${page}?token=0123456789abcdef0123456789abcdef`, {});
  record({ id: 'pluginfile-bad-token', title: 'An unknown token', request: { method: 'GET', url: `${page}?token=0123456789abcdef0123456789abcdef`, token_in: 'query' }, raw });
}
await pluginfile('pluginfile-other-course', 'Student emma (not enrolled in BUS120) reads the BUS120 syllabus page (context 54)', 'student', '/webservice/pluginfile.php/54/mod_page/content/index.html');
await pluginfile('pluginfile-teacher-page', 'Teacher dlindqvist reads the BUS120 syllabus page (context 54), a course he teaches', 'teacher', '/webservice/pluginfile.php/54/mod_page/content/index.html', 'query', 'forcedownload=1');
await pluginfile('pluginfile-teacher-other-course', 'Teacher dlindqvist (not enrolled in DS101) reads the DS101 syllabus page (context 57)', 'teacher', '/webservice/pluginfile.php/57/mod_page/content/index.html', 'query', 'forcedownload=1');
await pluginfile('pluginfile-missing-file', 'A file name that does not exist in the page content area', 'student', '/webservice/pluginfile.php/51/mod_page/content/0/missing.pdf');
await pluginfile('pluginfile-unknown-context', 'A context id that does not exist', 'student', '/webservice/pluginfile.php/99999/mod_page/content/index.html');
await pluginfile('pluginfile-wrong-component', 'A component that does not own the context (mod_assign on a page context)', 'student', '/webservice/pluginfile.php/51/mod_assign/intro/0/brief.pdf');
await pluginfile('pluginfile-course-context-no-file', 'The course context (47 = PM101) summary area, no such file', 'student', '/webservice/pluginfile.php/47/course/overviewfiles/missing.png');
await pluginfile('pluginfile-no-path', 'Nothing after pluginfile.php', 'student', '/webservice/pluginfile.php');
await pluginfile('pluginfile-not-webservice', 'The browser pluginfile.php (not webservice/) with a token: it wants a session', 'student', '/pluginfile.php/51/mod_page/content/index.html');

// ---- upload.php ---------------------------------------------------------------------------------------------------
const reportPdf = await makePdf([['Risk register - Team Alpha', 'Risk 1: supplier delay (likelihood medium, impact high)'], ['Mitigation: second supplier agreed']], { title: 'Risk register' });
const notesDocx = await makeDocx('Risk workshop notes', ['Attendees: Team Alpha.', 'Top risks reviewed and owners assigned.']);
const pdfPart = (name: string, filename = 'risk-register.pdf'): Part => ({ name, file: { filename, type: 'application/pdf', bytes: reportPdf } });

const one = await upload('upload-one-file', 'One file into a new draft area (student)', 'student', [{ name: 'token', value: tok('student') }, pdfPart('file_1')]);
const firstItem = (JSON.parse(one.body.toString()) as { itemid: number }[])[0]!.itemid;
await upload('upload-two-files', 'Two files in one request (student)', 'student', [
  { name: 'token', value: tok('student') },
  pdfPart('file_1', 'part-a.pdf'),
  { name: 'file_2', file: { filename: 'workshop-notes.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: notesDocx } },
]);
await upload('upload-into-itemid-with-path', 'A file into an existing draft item id, under a sub-folder (filepath=/appendix/)', 'student', [
  { name: 'token', value: tok('student') },
  { name: 'itemid', value: String(firstItem) },
  { name: 'filepath', value: '/appendix/' },
  { name: 'file_1', file: { filename: 'notes.txt', type: 'text/plain', bytes: new TextEncoder().encode('Appendix: workshop notes.\n') } },
]);
await upload('upload-same-name-again', 'The same file name again into the same draft item id and path', 'student', [
  { name: 'token', value: tok('student') },
  { name: 'itemid', value: String(firstItem) },
  pdfPart('file_1'),
]);
await upload('upload-bad-token', 'An unknown token', null, [{ name: 'token', value: '0123456789abcdef0123456789abcdef' }, pdfPart('file_1')]);
await upload('upload-no-token', 'No token field', null, [pdfPart('file_1')]);
await upload('upload-no-file', 'A token and no file', 'student', [{ name: 'token', value: tok('student') }]);
await upload('upload-token-in-query', 'The token in the query string instead of a form field', 'student', [pdfPart('file_1', 'query.pdf')], { query: `token=${tok('student')}` });
await upload('upload-token-in-header', 'The token in an Authorization header instead of a form field', 'student', [pdfPart('file_1', 'header.pdf')], { headers: { authorization: tok('student') } });
await upload('upload-filearea-private', 'filearea=private (into the user\'s private files) for a student', 'student', [
  { name: 'token', value: tok('student') },
  { name: 'filearea', value: 'private' },
  { name: 'file_1', file: { filename: 'private-note.txt', type: 'text/plain', bytes: new TextEncoder().encode('private note\n') } },
]);
{
  const big = new Uint8Array(65 * 1024 * 1024);
  await upload('upload-too-big', 'A 65 MiB file, above usermaxuploadfilesize (64 MiB) and PHP post_max_size (64M)', 'student', [
    { name: 'token', value: tok('student') },
    { name: 'file_1', file: { filename: 'huge.bin', type: 'application/octet-stream', bytes: big } },
  ]);
}
if (process.env.RECORD_MAXBYTES_CLI) {
  // Site maxbytes lowered to 1 MiB for this one request (admin/cli/cfg.php), then set back to 0 (PHP limit).
  const { execFileSync } = await import('node:child_process');
  const cfg = (value: string) => execFileSync('runuser', ['-u', 'www-data', '--', 'php', process.env.RECORD_MAXBYTES_CLI!, '--name=maxbytes', `--set=${value}`]);
  cfg('1048576');
  try {
    await upload('upload-over-site-maxbytes', 'A 2 MiB file while the site maxbytes is 1 MiB (set for this request only)', 'student', [
      { name: 'token', value: tok('student') },
      { name: 'file_1', file: { filename: 'big.pdf', type: 'application/pdf', bytes: new Uint8Array(2 * 1024 * 1024) } },
    ], { notes: 'Site setting maxbytes = 1048576 during this request only (restored to 0 afterwards). usermaxuploadfilesize in site info follows maxbytes.' });
    const body = Buffer.from(new URLSearchParams({ wstoken: tok('student'), wsfunction: 'core_webservice_get_site_info', moodlewsrestformat: 'json' }).toString());
    const info = JSON.parse((await send('POST', '/webservice/rest/server.php', { 'content-type': 'application/x-www-form-urlencoded' }, body)).body.toString());
    siteLimits.student_with_maxbytes_1MiB = { usermaxuploadfilesize: info.usermaxuploadfilesize };
  } finally {
    cfg('0');
  }
}
{
  const raw = await send('GET', `/webservice/upload.php?token=${tok('student')}`, {});
  record({ id: 'upload-get', title: 'GET instead of POST', role: 'student', request: { method: 'GET', url: '/webservice/upload.php?token=<TOKEN>' }, raw });
}

// ---- upload -> mod_assign_save_submission -> mod_assign_get_submission_status ---------------------------------------
const draft = await upload('flow-upload', 'Flow: the student uploads her risk register', 'student', [{ name: 'token', value: tok('student') }, pdfPart('file_1')]);
const draftItem = (JSON.parse(draft.body.toString()) as { itemid: number }[])[0]!.itemid;
await rest('flow-save-submission-unknown-itemid', 'Flow: save_submission with a draft item id that holds no file of this user', 'student', 'mod_assign_save_submission', [
  ['assignmentid', '2'], ['plugindata[files_filemanager]', '123456789'],
]);
const otherDraft = await upload('flow-upload-student2', 'Flow: liam (student2) uploads a file into his own draft area', 'student2', [{ name: 'token', value: tok('student2') }, pdfPart('file_1', 'liam.pdf')]);
const otherItem = (JSON.parse(otherDraft.body.toString()) as { itemid: number }[])[0]!.itemid;
await rest('flow-save-submission-other-users-itemid', "Flow: emma's save_submission with liam's draft item id", 'student', 'mod_assign_save_submission', [
  ['assignmentid', '2'], ['plugindata[files_filemanager]', String(otherItem)],
]);
await rest('flow-status-before', 'Flow: submission status before the file submission', 'student', 'mod_assign_get_submission_status', [['assignid', '2']]);
await rest('flow-save-submission-files-only', 'Flow: save_submission with the uploaded draft item id only, while the submission holds an online-text draft', 'student', 'mod_assign_save_submission', [
  ['assignmentid', '2'], ['plugindata[files_filemanager]', String(draftItem)],
], 'Moodle 4.5.6 fails here: the online text plugin saves a null text (PostgreSQL: null value in column "onlineformat" of mdl_assignsubmission_onlinetext violates not-null constraint), the transaction is rolled back and nothing changes. Sending plugindata[onlinetext_editor] with the files avoids it.');
await rest('flow-save-submission', 'Flow: save_submission with the draft item id and the online text kept', 'student', 'mod_assign_save_submission', [
  ['assignmentid', '2'],
  ['plugindata[onlinetext_editor][text]', '<p>Work in progress - first draft of the main sections.</p>'],
  ['plugindata[onlinetext_editor][format]', '1'],
  ['plugindata[onlinetext_editor][itemid]', '0'],
  ['plugindata[files_filemanager]', String(draftItem)],
]);
const status = await rest('flow-status-after', 'Flow: submission status after: the file is in submission_files with a fileurl', 'student', 'mod_assign_get_submission_status', [['assignid', '2']]);
const fileurl: string | undefined = status?.lastattempt?.submission?.plugins
  ?.find((p: { type: string }) => p.type === 'file')?.fileareas?.[0]?.files?.[0]?.fileurl;
await pluginfile('flow-draft-file', 'The draft file itself through webservice/pluginfile.php (user context, draft area)', 'student', `/webservice/pluginfile.php/17/user/draft/${draftItem}/risk-register.pdf`);
if (fileurl) {
  const path = new URL(fileurl).pathname;
  await pluginfile('flow-submission-file-own', 'Flow: the student downloads her submitted file (fileurl of the status)', 'student', path, 'query', '', undefined);
  await pluginfile('flow-submission-file-teacher', 'The teacher of PM101 downloads it', 'teacher', path);
  await pluginfile('flow-submission-file-other-student', 'Another student of PM101 (liam) tries to download it', 'student2', path);
  const wrong = path.replace(/\/submission_files\/(\d+)\//, (_m, id) => `/submission_files/${Number(id) + 1000}/`);
  await pluginfile('flow-submission-file-wrong-itemid', 'The same path with a wrong item id (submission id + 1000)', 'student', wrong);
}

// ---- a course file: the DS101 syllabus PDF attached to the welcome announcement (post 26, by teacher praman) ----------
let syllabusAttachment: Record<string, unknown> | undefined;
const syllabusPdf = await makePdf(dsSyllabusPages(), { title: 'DS101 Introduction to Data Science - Syllabus' });
{
  const before = await rest('forum-welcome-post-before', 'DS101 welcome discussion (10) before the attachment', 'teacher2', 'mod_forum_get_discussion_posts', [['discussionid', '10']]);
  const first = (before.posts as { id: number; subject: string; message: string }[]).find((p) => p.id === 26)!;
  const up = await upload('forum-upload-syllabus', 'Teacher praman uploads the DS101 syllabus PDF into her draft area', 'teacher2', [
    { name: 'token', value: tok('teacher2') },
    { name: 'file_1', file: { filename: 'DS101-syllabus.pdf', type: 'application/pdf', bytes: syllabusPdf } },
  ]);
  const item = (JSON.parse(up.body.toString()) as { itemid: number }[])[0]!.itemid;
  await rest('forum-attach-syllabus', 'She attaches it to her welcome post (mod_forum_update_discussion_post, options attachmentsid)', 'teacher2', 'mod_forum_update_discussion_post', [
    ['postid', '26'], ['subject', first.subject], ['message', first.message],
    ['options[0][name]', 'attachmentsid'], ['options[0][value]', String(item)],
  ]);
  const after = await rest('forum-welcome-post-after', 'A DS101 student reads the discussion: the post lists the attachment with its url', 'student', 'mod_forum_get_discussion_posts', [['discussionid', '10']]);
  const attachment = (after.posts as { id: number; attachments: Record<string, unknown>[] }[]).find((p) => p.id === 26)?.attachments?.[0] as
    | ({ url: string; contextid: number; component: string; filearea: string; itemid: number; filepath: string; filename: string; filesize: number; timecreated: number; timemodified: number; author: string })
    | undefined;
  if (attachment) {
    const { url: _url, ...record } = attachment;
    syllabusAttachment = { contextid: record.contextid, component: record.component, filearea: record.filearea, itemid: record.itemid, filepath: record.filepath, filename: record.filename,
      mimetype: 'application/pdf', userid: 5, author: record.author, timecreated: record.timecreated, timemodified: record.timemodified, body_base64: Buffer.from(syllabusPdf).toString('base64') };
    const given = new URL(attachment.url).pathname;
    await pluginfile('pluginfile-forum-attachment-url-as-given', 'The attachment url as mod_forum_get_discussion_posts gives it (/pluginfile.php, not webservice/) with a token: a redirect to the login page', 'student', given, 'query', 'forcedownload=1');
    const path = `/webservice${given}`;
    await pluginfile('pluginfile-forum-attachment', 'The DS101 syllabus PDF (forum attachment) read by a DS101 student', 'student', path);
    await pluginfile('pluginfile-forum-attachment-post-token', 'The same with the token as a POST field', 'student2', path, 'post');
    await pluginfile('pluginfile-forum-attachment-other-course', 'Teacher dlindqvist (not in DS101) tries to read it', 'teacher', path);
    await pluginfile('pluginfile-forum-attachment-wrong-itemid', 'The same file name under another post id (27)', 'student', path.replace('/attachment/26/', '/attachment/27/'));
    await pluginfile('pluginfile-forum-attachment-unknown-itemid', 'The same file name under a post id that does not exist (99999)', 'student', path.replace('/attachment/26/', '/attachment/99999/'));
  }
}

function dsSyllabusPages(): string[][] {
  return [
    ['Introduction to Data Science (DS101) - Syllabus', 'Teacher: Priya Raman', 'Learning outcomes: frame questions as data problems; describe data;',
      'explore a dataset with Python and pandas; communicate findings.', 'Assessment: statistics quiz 20%, exploratory data analysis report 60%, participation 20%.'],
    ['Weekly plan', 'Week 1: Data and questions', 'Week 2: Descriptive statistics', 'Week 3: Exploratory analysis', 'Week 4: Visualisation', 'Week 5: Communicating results'],
    ['Policies', 'Late submissions lose 5% per day, up to 5 days.', 'Use of generative AI must be declared in your report.', 'Office hours: Tuesdays 14:00-15:00.'],
  ];
}

const fixture = {
  format: 'moodle-file-exchanges/1',
  moodle: { release: '4.5.6 (Build: 20250811)', wwwroot: '<MOODLE>' },
  how: [
    'Recorded by scripts/record-files-fixture.ts against the local real Moodle of ../shared/moodle/real/ (setup.sh, seed state, service mcp with file upload/download enabled, site debugging off).',
    'Tokens are replaced by <TOKEN>; volatile headers (date, last-modified, server, connection, set-cookie, etag) by <VOLATILE>. Bodies: JSON parsed in body_json; others as body_base64 when under 50 KB (course pages and generated test files, no personal data), always with body_size and body_sha256.',
    'Files uploaded are generated by test/helpers/sample-files.ts (pdf-lib, docx). The flow saves a file submission for emma.johansson (id 6) on assignment 2 (Risk register, cmid 14, context 64): the site holds it until `setup.sh --name moodle --reset`.',
    'Teacher praman attaches DS101-syllabus.pdf (generated) to her DS101 welcome post 26 (discussion 10, forum 3, context 59) with mod_forum_update_discussion_post: the site holds it until reset.',
    'Item ids, submission ids and timestamps are those of the recording run.',
  ],
  site: { upload_limits: siteLimits, php: { post_max_size: '64M', upload_max_filesize: '64M' } },
  contexts: { '47': 'course 2 (PM101)', '51': 'page cmid 5 (PM101 syllabus)', '54': 'page cmid 7 (BUS120 syllabus)', '57': 'page cmid 9 (DS101 syllabus)', '59': 'forum cmid 3 (DS101 Announcements)', '60': 'page cmid 11 (WEB110 syllabus)', '63': 'assign cmid 13', '64': 'assign cmid 14', '65': 'assign cmid 15', '66': 'assign cmid 16', '67': 'assign cmid 17', '17': 'user 6 (emma.johansson)', '18': 'user 7 (liam.oconnor)' },
  course_files: contents,
  exchanges,
};
const json = redact(JSON.stringify(fixture, null, 1)).split(base.origin).join('<MOODLE>');

// The simulator's file set (runtime/simulator/data/files-4.5.6.json): the real module contexts, the syllabus pages'
// index.html as the site serves them, and the course files the recording added (the DS101 syllabus attachment).
const simFiles = {
  format: 'moodle-mcp-simulator-files/1',
  notes: [
    'Recorded by scripts/record-files-fixture.ts from the real Moodle 4.5.6 (see test/fixtures/moodle/README.md).',
    'module_contexts: cmid -> context id (core_course_get_contents contextid). pages: each syllabus page index.html as webservice/pluginfile.php serves it. files: stored course files (the DS101 syllabus PDF, generated, attached to post 26 by a recorded write).',
  ],
  module_contexts: moduleContexts,
  pages: pageBodies,
  files: syllabusAttachment ? [syllabusAttachment] : [],
};
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '../runtime/simulator/data/files-4.5.6.json'), JSON.stringify(simFiles, null, 1) + '\n');
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, json + '\n');
console.log(`wrote ${args.out} (${exchanges.length} exchanges)`);
