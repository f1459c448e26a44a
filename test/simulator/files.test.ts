// The simulator's file endpoints against what the real Moodle 4.5.6 answered (test/fixtures/moodle/files-4.5.6.json):
// webservice/pluginfile.php, webservice/upload.php, and upload -> mod_assign_save_submission -> get_submission_status.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { extractText } from '../../runtime/files/extract.ts';
import { createSimulator, simulatorTokens, startSimulator, type Simulator } from '../../runtime/simulator/index.ts';
import { makePdf } from '../helpers/sample-files.ts';

interface FixtureExchange {
  id: string;
  token_role: string | null;
  request: {
    method: string;
    url: string;
    token_in?: string;
    body?: string;
    headers?: Record<string, string>;
    params?: [string, string][];
    parts?: Array<{ name: string; value?: string; filename?: string; content_type?: string; size?: number }>;
  };
  response: { status: number; headers: [string, string][]; body_sha256: string; body_size: number; body_json?: any };
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/moodle/files-4.5.6.json', import.meta.url), 'utf8')) as {
  site: { upload_limits: Record<string, { usermaxuploadfilesize: number; userquota?: number }> };
  course_files: Record<string, Array<{ cmid: number; contextid: number; contents: Array<{ fileurl: string }> }>>;
  exchanges: FixtureExchange[];
};
const recorded = (id: string) => fixture.exchanges.find((e) => e.id === id)!;
const header = (e: FixtureExchange, name: string) => e.response.headers.find(([k]) => k.toLowerCase() === name)?.[1];

const BASE = 'http://127.0.0.1:8080';
const USERS: Record<string, string> = { admin: 'admin', manager: 'mokafor', teacher: 'dlindqvist', teacher2: 'praman', student: 'emma.johansson', student2: 'liam.oconnor' };
const tokenOf = (role: string | null) => (role ? simulatorTokens[USERS[role]!]! : '');
const withToken = (text: string, role: string | null) => text.split('<TOKEN>').join(tokenOf(role));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Sends a recorded pluginfile request (token in the query, the POST body or a header) to the simulator. */
function replayPluginfile(sim: Simulator, e: FixtureExchange): Promise<Response> {
  const headers: Record<string, string> = Object.fromEntries(Object.entries(e.request.headers ?? {}).map(([k, v]) => [k, withToken(v, e.token_role)]));
  if (e.request.body) headers['content-type'] = 'application/x-www-form-urlencoded';
  return sim.fetch(new Request(BASE + withToken(e.request.url, e.token_role), { method: e.request.method, headers, body: e.request.body ? withToken(e.request.body, e.token_role) : undefined }));
}

async function rest(sim: Simulator, role: string, fn: string, params: [string, string][]) {
  const body = new URLSearchParams([['wstoken', tokenOf(role)], ['wsfunction', fn], ['moodlewsrestformat', 'json'], ...params]);
  const response = await sim.fetch(new Request(`${BASE}/webservice/rest/server.php`, { method: 'POST', body }));
  return response.json() as Promise<any>;
}

async function upload(sim: Simulator, fields: Record<string, string>, files: Array<{ name: string; filename: string; bytes: Uint8Array; type?: string }>, query = '') {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.name, new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'application/octet-stream' }), f.filename);
  const response = await sim.fetch(new Request(`${BASE}/webservice/upload.php${query}`, { method: 'POST', body: form }));
  return { status: response.status, type: response.headers.get('content-type'), json: JSON.parse(await response.text()) };
}

test('every recorded pluginfile answer of the seeded site is reproduced: status, content type, error body, file bytes and headers', async () => {
  const sim = createSimulator();
  const cases = fixture.exchanges.filter((e) => e.id.startsWith('pluginfile-'));
  assert.ok(cases.length >= 20, `expected the recorded pluginfile cases, found ${cases.length}`);
  for (const e of cases) {
    const response = await replayPluginfile(sim, e);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(response.status, e.response.status, `${e.id}: status`);
    if (e.response.status === 303) {
      assert.equal(new URL(response.headers.get('location')!).pathname, '/login/index.php', `${e.id}: redirect to the login page`);
      continue;
    }
    assert.equal(response.headers.get('content-type'), header(e, 'content-type'), `${e.id}: content type`);
    if (e.response.body_json) {
      assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), e.response.body_json, `${e.id}: error body`);
      continue;
    }
    assert.equal(sha256(bytes), e.response.body_sha256, `${e.id}: the same bytes as the real site`);
    assert.equal(response.headers.get('content-length'), header(e, 'content-length'), `${e.id}: content length`);
    assert.equal(response.headers.get('content-disposition'), header(e, 'content-disposition'), `${e.id}: content disposition`);
  }
});

test('course contents point to the real page contexts, and forum post 26 lists the DS101 syllabus as Moodle does', async () => {
  const sim = createSimulator();
  for (const courseid of ['2', '4']) {
    const sections = await rest(sim, 'student', 'core_course_get_contents', [['courseid', courseid]]);
    const pages = sections.flatMap((s: any) => s.modules).filter((m: any) => m.modname === 'page');
    const real = fixture.course_files[courseid]!;
    assert.deepEqual(
      pages.map((m: any) => ({ cmid: m.id, contextid: m.contextid, path: new URL(m.contents[0].fileurl).pathname })),
      real.map((m) => ({ cmid: m.cmid, contextid: m.contextid, path: new URL(m.contents[0]!.fileurl.replace('<MOODLE>', BASE)).pathname })),
    );
  }
  const posts = await rest(sim, 'student', 'mod_forum_get_discussion_posts', [['discussionid', '10']]);
  const attachment = posts.posts.find((p: any) => p.id === 26).attachments[0];
  const realPost = recorded('forum-welcome-post-after').response.body_json.posts.find((p: any) => p.id === 26);
  assert.deepEqual(attachment, { ...realPost.attachments[0], url: realPost.attachments[0].url.replace('<MOODLE>', BASE) });
});

test('the DS101 syllabus PDF and the PM101 syllabus page read through the simulator give their text', async () => {
  const sim = createSimulator();
  const response = await replayPluginfile(sim, recorded('pluginfile-forum-attachment'));
  const text = await extractText(new Uint8Array(await response.arrayBuffer()), { filename: 'DS101-syllabus.pdf', mimetype: response.headers.get('content-type')! }, { maxChars: 10_000, maxPages: 10 });
  assert.equal(text.kind, 'text');
  assert.equal((text as { pages?: number }).pages, 3);
  assert.match((text as { text: string }).text, /Weekly plan[\s\S]*Week 3: Exploratory analysis/);

  const page = await replayPluginfile(sim, recorded('pluginfile-page-token-query'));
  const pageText = await extractText(new Uint8Array(await page.arrayBuffer()), { filename: 'index.html', mimetype: page.headers.get('content-type')! }, { maxChars: 10_000, maxPages: 10 });
  assert.deepEqual(pageText, {
    kind: 'text',
    format: 'html',
    text: 'Project Management\n\nThis syllabus describes learning outcomes, weekly topics, assessment weights (coursework 60%, quiz 20%, participation 20%) and late submission policy.',
    truncated: false,
  });
});

test('upload.php answers like the real site: entries, shared item id, sub-folder, same name again, token errors, no file, GET', async () => {
  const sim = createSimulator();
  const itemIds = new Map<string, string>(); // real item id -> simulator item id
  const ids = ['upload-one-file', 'upload-two-files', 'upload-into-itemid-with-path', 'upload-same-name-again', 'upload-bad-token', 'upload-no-token', 'upload-no-file', 'upload-token-in-query', 'upload-token-in-header', 'upload-filearea-private'];
  for (const id of ids) {
    const e = recorded(id);
    const fields: Record<string, string> = {};
    const files: Array<{ name: string; filename: string; bytes: Uint8Array }> = [];
    for (const part of e.request.parts!) {
      if (part.filename) files.push({ name: part.name, filename: part.filename, bytes: new Uint8Array(part.size!) });
      else fields[part.name] = part.name === 'itemid' ? itemIds.get(part.value!)! : withToken(part.value!, e.token_role);
    }
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const f of files) form.append(f.name, new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.filename);
    const headers = Object.fromEntries(Object.entries(e.request.headers ?? {}).map(([k, v]) => [k, withToken(v, e.token_role)]));
    const response = await sim.fetch(new Request(BASE + withToken(e.request.url, e.token_role), { method: 'POST', body: form, headers }));
    assert.equal(response.status, e.response.status, `${id}: status`);
    assert.equal(response.headers.get('content-type'), header(e, 'content-type'), `${id}: content type`);
    const json = JSON.parse(await response.text());
    const real = structuredClone(e.response.body_json);
    if (Array.isArray(real)) {
      real.forEach((entry: any, i: number) => {
        if ('itemid' in entry) {
          if (!itemIds.has(String(entry.itemid))) itemIds.set(String(entry.itemid), String(json[i]?.itemid));
          entry.itemid = Number(itemIds.get(String(entry.itemid)));
        }
        if (entry.errortype === 'filenameexist') {
          assert.match(json[i].filepath, /^\/tmp\/php\w+$/);
          entry.filepath = json[i].filepath;
        }
      });
    }
    assert.deepEqual(json, real, `${id}: body`);
  }
  assert.equal(new Set(itemIds.values()).size, itemIds.size, 'each upload without itemid got a new item id');
  const get = await sim.fetch(new Request(`${BASE}/webservice/upload.php?token=${tokenOf('student')}`));
  assert.equal(get.headers.get('content-type'), header(recorded('upload-get'), 'content-type'));
  assert.deepEqual(await get.json(), recorded('upload-get').response.body_json);
});

test('upload limits: a file above the site maxbytes gets fileoversized, a request above post_max_size loses its token; site info reports the limit', async () => {
  const sim = createSimulator({ maxUploadBytes: 1024 * 1024, postMaxBytes: 4 * 1024 * 1024 });
  const oversized = await upload(sim, { token: tokenOf('student') }, [{ name: 'file_1', filename: 'big.pdf', bytes: new Uint8Array(2 * 1024 * 1024) }]);
  assert.deepEqual(oversized.json, recorded('upload-over-site-maxbytes').response.body_json);
  const tooBig = await upload(sim, { token: tokenOf('student') }, [{ name: 'file_1', filename: 'huge.bin', bytes: new Uint8Array(5 * 1024 * 1024) }]);
  assert.equal(tooBig.type, header(recorded('upload-too-big'), 'content-type'));
  assert.deepEqual(tooBig.json, recorded('upload-too-big').response.body_json);
  const info = await rest(sim, 'student', 'core_webservice_get_site_info', []);
  assert.equal(info.usermaxuploadfilesize, fixture.site.upload_limits.student_with_maxbytes_1MiB!.usermaxuploadfilesize);

  const recordedSite = createSimulator();
  for (const role of ['admin', 'teacher', 'student']) {
    const siteInfo = await rest(recordedSite, role, 'core_webservice_get_site_info', []);
    const real = fixture.site.upload_limits[role]!;
    assert.deepEqual({ max: siteInfo.usermaxuploadfilesize, quota: siteInfo.userquota }, { max: real.usermaxuploadfilesize, quota: real.userquota }, role);
  }
});

test('upload -> mod_assign_save_submission -> get_submission_status -> pluginfile, with the recorded refusals', async () => {
  const sim = createSimulator();
  const pdf = await makePdf([['Risk register - Team Alpha']]);
  const up = await upload(sim, { token: tokenOf('student') }, [{ name: 'file_1', filename: 'risk-register.pdf', bytes: pdf, type: 'application/pdf' }]);
  const itemid = String(up.json[0].itemid);

  // Nothing of this user under the item id: the recorded warning.
  const warning = recorded('flow-save-submission-unknown-itemid').response.body_json;
  assert.deepEqual(await rest(sim, 'student', 'mod_assign_save_submission', [['assignmentid', '2'], ['plugindata[files_filemanager]', '123456789']]), warning);
  const liams = await upload(sim, { token: tokenOf('student2') }, [{ name: 'file_1', filename: 'liam.pdf', bytes: pdf }]);
  assert.deepEqual(await rest(sim, 'student', 'mod_assign_save_submission', [['assignmentid', '2'], ['plugindata[files_filemanager]', String(liams.json[0].itemid)]]), warning);
  // Liam's assignment-2 submission holds online text: files only fail as on the real site.
  assert.deepEqual(
    await rest(sim, 'student2', 'mod_assign_save_submission', [['assignmentid', '2'], ['plugindata[files_filemanager]', String(liams.json[0].itemid)]]),
    recorded('flow-save-submission-files-only').response.body_json,
  );

  assert.deepEqual(await rest(sim, 'student', 'mod_assign_save_submission', [['assignmentid', '2'], ['plugindata[files_filemanager]', itemid]]), []);
  const status = await rest(sim, 'student', 'mod_assign_get_submission_status', [['assignid', '2']]);
  const realStatus = recorded('flow-status-after').response.body_json;
  const files = status.lastattempt.submission.plugins.find((p: any) => p.type === 'file').fileareas[0].files;
  const realFile = realStatus.lastattempt.submission.plugins.find((p: any) => p.type === 'file').fileareas[0].files[0];
  assert.equal(files.length, 1);
  assert.deepEqual(Object.keys(files[0]), Object.keys(realFile));
  assert.deepEqual({ ...files[0], fileurl: undefined, timemodified: undefined, filesize: undefined }, { ...realFile, fileurl: undefined, timemodified: undefined, filesize: undefined });
  assert.equal(files[0].filesize, pdf.length);
  assert.equal(status.lastattempt.submission.status, 'draft');
  const path = new URL(files[0].fileurl).pathname;
  const submissionId = status.lastattempt.submission.id as number;
  assert.equal(path, `/webservice/pluginfile.php/64/assignsubmission_file/submission_files/${submissionId}/risk-register.pdf`);

  const get = (role: string, p = path) => sim.fetch(new Request(`${BASE}${p}?token=${tokenOf(role)}`));
  const own = await get('student');
  assert.equal(own.status, 200);
  assert.equal(own.headers.get('content-type'), 'application/pdf');
  assert.equal(own.headers.get('content-disposition'), header(recorded('flow-submission-file-own'), 'content-disposition'));
  assert.deepEqual(new Uint8Array(await own.arrayBuffer()), pdf);
  assert.equal((await get('teacher')).status, 200);
  const other = await get('student2');
  assert.equal(other.status, 404);
  assert.deepEqual(await other.json(), recorded('flow-submission-file-other-student').response.body_json);
  const wrong = await get('student', path.replace(`/${submissionId}/`, `/${submissionId + 1000}/`));
  assert.deepEqual(await wrong.json(), recorded('flow-submission-file-wrong-itemid').response.body_json);
  const draft = await get('student', `/webservice/pluginfile.php/17/user/draft/${itemid}/risk-register.pdf`);
  assert.equal(draft.status, 404, 'draft areas are not served, as recorded');
});

test('file requests count as the files endpoint and take injected faults', async () => {
  const sim = createSimulator();
  sim.injectFault({ fault: { kind: 'status', status: 503 }, endpoint: 'files' });
  const faulted = await replayPluginfile(sim, recorded('pluginfile-page-token-query'));
  assert.equal(faulted.status, 503);
  const ok = await replayPluginfile(sim, recorded('pluginfile-page-token-query'));
  assert.equal(ok.status, 200);
  assert.equal(sim.stats.files, 2);
  assert.equal(sim.stats.rest, 0);
});

test('over HTTP: a 9 MiB upload (above the REST body limit, below post_max_size) is stored and read back', async () => {
  const running = await startSimulator();
  try {
    const bytes = new Uint8Array(9 * 1024 * 1024).fill(65);
    const form = new FormData();
    form.append('token', tokenOf('student'));
    form.append('file_1', new Blob([bytes]), 'data.txt');
    const response = await fetch(`${running.url}/webservice/upload.php`, { method: 'POST', body: form });
    assert.equal(response.status, 200);
    const [entry] = JSON.parse(await response.text());
    assert.equal(entry.filesize, bytes.length);
    assert.equal(entry.filename, 'data.txt');
    const page = await fetch(`${running.url}/webservice/pluginfile.php/51/mod_page/content/index.html`, { method: 'POST', body: new URLSearchParams({ token: tokenOf('student') }) });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-disposition'), 'attachment; filename="index.html"');
  } finally {
    await running.close();
  }
});

test('siteUrl: answers carry the given site URL, or with "request" the origin each request reached, so their file URLs can be followed', async () => {
  const given = createSimulator({ siteUrl: 'https://moodle.example.edu/' });
  assert.equal((await rest(given, 'student', 'core_webservice_get_site_info', [])).siteurl, 'https://moodle.example.edu');

  const sim = createSimulator({ siteUrl: 'request' });
  const origin = 'http://moodle-simulator.invalid';
  const body = new URLSearchParams([['wstoken', tokenOf('student')], ['wsfunction', 'core_course_get_contents'], ['moodlewsrestformat', 'json'], ['courseid', '2']]);
  const sections = (await (await sim.fetch(new Request(`${origin}/webservice/rest/server.php`, { method: 'POST', body }))).json()) as any[];
  const fileurl = sections.flatMap((s) => s.modules).find((m: any) => m.modname === 'page').contents[0].fileurl as string;
  assert.equal(fileurl, `${origin}/webservice/pluginfile.php/51/mod_page/content/index.html?forcedownload=1`);
  const file = await sim.fetch(new Request(fileurl, { method: 'POST', body: new URLSearchParams({ token: tokenOf('student') }) }));
  assert.equal(file.status, 200);
  assert.match(await file.text(), /Project Management/);
  // The default stays the recorded site URL (the replay tests compare recorded answers).
  const recordedSite = createSimulator();
  assert.equal((await rest(recordedSite, 'student', 'core_webservice_get_site_info', [])).siteurl, BASE);
});
