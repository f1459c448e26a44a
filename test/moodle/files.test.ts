// The Moodle file client (runtime/moodle/files.ts) against scripted answers: URLs it accepts and builds, the token in
// the POST body only, Moodle's refusals, redirects, size caps while streaming, timeouts and upload answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MoodleError } from '../../runtime/moodle/errors.ts';
import { createMoodleFiles, type FileRef } from '../../runtime/moodle/files.ts';

const TOKEN = '0123456789abcdef0123456789abcdef';
const SYLLABUS: FileRef = { contextid: 51, component: 'mod_page', filearea: 'content', filepath: '/', filename: 'index.html' };

function client(answer: (request: Request) => Response | Promise<Response>, options: { url?: string; timeoutMs?: number } = {}) {
  const requests: { url: string; method: string; body: string; redirect: RequestRedirect }[] = [];
  const files = createMoodleFiles({
    url: options.url ?? 'https://moodle.example.edu/lms',
    timeoutMs: options.timeoutMs ?? 5_000,
    fetch: async (request) => {
      requests.push({ url: request.url, method: request.method, body: await request.clone().text(), redirect: request.redirect });
      return answer(request);
    },
  });
  return { files, requests };
}

const served = (body: string | Uint8Array, type = 'text/html', extra: Record<string, string> = {}) =>
  new Response(body as BodyInit, { headers: { 'content-type': type, 'content-disposition': 'attachment; filename="index.html"', ...extra } });
const moodleError = (errorcode: string, error: string, status = 200) =>
  new Response(JSON.stringify({ error, errorcode, stacktrace: null, debuginfo: null, reproductionlink: null }), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MoodleError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    assert.ok(!error.message.includes(TOKEN), 'no token in messages');
    return true;
  });
}

test('parseUrl: webservice and plain pluginfile URLs of the site (path prefix kept), item ids only where the path has them', () => {
  const { files } = client(() => served(''));
  assert.deepEqual(files.parseUrl('https://moodle.example.edu/lms/webservice/pluginfile.php/51/mod_page/content/index.html?forcedownload=1&token=zzz'), SYLLABUS);
  assert.deepEqual(files.parseUrl('https://moodle.example.edu/lms/pluginfile.php/63/mod_assign/introattachment/0/week%201/brief%20v2.pdf'), {
    contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filepath: '/week 1/', filename: 'brief v2.pdf',
  });
  assert.deepEqual(files.parseUrl('https://moodle.example.edu/lms/webservice/pluginfile.php/64/assignsubmission_file/submission_files/11/a/b/report.pdf'), {
    contextid: 64, component: 'assignsubmission_file', filearea: 'submission_files', itemid: 11, filepath: '/a/b/', filename: 'report.pdf',
  });
});

test('parseUrl refuses other sites, other paths, credentials, traversal and malformed parts, saying why', () => {
  const { files } = client(() => served(''));
  const cases: [string, RegExp][] = [
    ['https://evil.example/lms/webservice/pluginfile.php/51/mod_page/content/index.html', /only files of the configured Moodle site \(https:\/\/moodle\.example\.edu\)/],
    ['http://moodle.example.edu/lms/webservice/pluginfile.php/51/mod_page/content/index.html', /only files of the configured Moodle site/],
    ['https://moodle.example.edu/webservice/pluginfile.php/51/mod_page/content/index.html', /not a pluginfile URL of the site \(\/lms\/webservice\/pluginfile\.php/],
    ['https://user:pw@moodle.example.edu/lms/pluginfile.php/51/mod_page/content/index.html', /must not contain credentials/],
    ['https://moodle.example.edu/lms/pluginfile.php/51/mod_page/index.html', /the path must be/],
    ['https://moodle.example.edu/lms/pluginfile.php/x/mod_page/content/index.html', /context id is not a positive integer/],
    ['https://moodle.example.edu/lms/pluginfile.php/51/Mod-Page/content/index.html', /component must be a Moodle component name/],
    // The URL parser resolves %2e%2e like ..: what is left is no pluginfile path.
    ['https://moodle.example.edu/lms/pluginfile.php/51/mod_page/content/%2e%2e/index.html', /the path must be/],
    ['https://moodle.example.edu/lms/pluginfile.php/51/mod_page/content/0/%2e%2e%2f/index.html', /no \. or \.\. folder|filename must be/],
    ['https://moodle.example.edu/lms/pluginfile.php/51/mod_page/content/a%2Fb', /filename must be a plain file name/],
    ['https://moodle.example.edu/lms/pluginfile.php/51/mod_page/content/%E0%A4%A', /not valid percent-encoding/],
    ['not a url', /not an absolute URL/],
  ];
  for (const [url, why] of cases) assert.throws(() => files.parseUrl(url), (error: unknown) => error instanceof MoodleError && error.code === 'invalid_file_url' && why.test(error.message), url);
});

test('download: POST to the webservice URL with the token in the body only, redirect manual; answer bytes, type and file name', async () => {
  const { files, requests } = client(() => served('<p>x</p>', 'text/html; charset=UTF-8', { 'content-disposition': "attachment; filename*=UTF-8''Syllabus%20%C3%A9t%C3%A9.html" }));
  const file = await files.download(TOKEN, SYLLABUS, { maxBytes: 1000 });
  assert.equal(Buffer.from(file.bytes).toString(), '<p>x</p>');
  assert.equal(file.mimetype, 'text/html');
  assert.equal(file.filename, 'Syllabus été.html');
  assert.deepEqual(requests, [{ url: 'https://moodle.example.edu/lms/webservice/pluginfile.php/51/mod_page/content/index.html', method: 'POST', body: `token=${TOKEN}`, redirect: 'manual' }]);
  assert.equal(files.urlOf({ ...SYLLABUS, itemid: 7, filepath: '/a b/', filename: 'x#y.pdf' }), 'https://moodle.example.edu/lms/webservice/pluginfile.php/51/mod_page/content/7/a%20b/x%23y.pdf');
});

test("download: Moodle's refusals keep their errorcode (HTTP 200 or 404 JSON without Content-Disposition)", async () => {
  await rejects(client(() => moodleError('invalidtoken', 'Invalid token - token not found')).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'invalidtoken', /Invalid token/);
  await rejects(client(() => moodleError('filenotfound', 'Sorry, the requested file could not be found', 404)).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'filenotfound');
  await rejects(client(() => new Response('oops', { status: 500 })).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'http_status', /HTTP 500/);
  // A served JSON file is a file (it has a Content-Disposition).
  const json = await client(() => served('{"a":1}', 'application/json')).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 });
  assert.equal(Buffer.from(json.bytes).toString(), '{"a":1}');
});

test('download: a redirect is refused and not followed', async () => {
  const { files, requests } = client(() => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/x' } }));
  await rejects(files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'http_status', /HTTP 302 \(a redirect, refused\)/);
  assert.equal(requests.length, 1);
});

test('download: too large by its declared length, or while streaming (the stream is cancelled)', async () => {
  await rejects(client(() => served('x'.repeat(2000))).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'file_too_large', /larger than 1000 bytes \(files\.max_read_bytes\)/);
  let cancelled = false;
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      sent += 512;
      controller.enqueue(new Uint8Array(512));
    },
    cancel() {
      cancelled = true;
    },
  });
  await rejects(client(() => served(endless as unknown as Uint8Array)).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'file_too_large');
  assert.ok(cancelled, 'the stream was cancelled');
  assert.ok(sent < 4096, `stopped early (${sent} bytes pulled)`);
});

test('download: a Moodle that does not answer times out; a cancelled call is aborted', async () => {
  const hang = (request: Request) =>
    new Promise<Response>((_resolve, reject) => {
      const stop = () => reject(new DOMException('aborted', 'AbortError'));
      if (request.signal.aborted) stop();
      else request.signal.addEventListener('abort', stop);
    });
  await rejects(client(hang, { timeoutMs: 50 }).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'timeout', /within 50 ms/);
  const controller = new AbortController();
  const pending = client(hang).files.download(TOKEN, SYLLABUS, { maxBytes: 1000, signal: controller.signal });
  controller.abort();
  await rejects(pending, 'aborted');
  await rejects(client(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).files.download(TOKEN, SYLLABUS, { maxBytes: 1000 }), 'network', /ECONNREFUSED/);
});

test('upload: multipart to webservice/upload.php (token, filepath, itemid, file_1); the draft item id of the answer', async () => {
  let form: FormData | undefined;
  let url = '';
  const files = createMoodleFiles({
    url: 'https://moodle.example.edu/lms',
    timeoutMs: 5_000,
    fetch: async (request) => {
      url = request.url;
      form = await request.formData();
      return Response.json([{ component: 'user', contextid: 17, userid: '6', filearea: 'draft', filename: 'report.txt', filepath: '/', itemid: 705484013, license: 'unknown', author: 'Emma Johansson', source: '', filesize: 12 }]);
    },
  });
  const answer = await files.upload(TOKEN, { filename: 'report.txt', filepath: '/', bytes: new TextEncoder().encode('hello report'), mimetype: 'text/plain' });
  assert.deepEqual(answer, { itemid: 705484013, contextid: 17, filename: 'report.txt', filepath: '/', filesize: 12 });
  assert.equal(url, 'https://moodle.example.edu/lms/webservice/upload.php');
  assert.equal(form!.get('token'), TOKEN);
  assert.equal(form!.get('itemid'), '0');
  assert.equal(form!.get('filepath'), '/');
  const file = form!.get('file_1') as File;
  assert.equal(file.name, 'report.txt');
  assert.equal(await file.text(), 'hello report');
});

test("upload: Moodle's errors, an empty answer (no file stored) and an answer without item id are MoodleErrors", async () => {
  const upload = (answer: () => Response) =>
    createMoodleFiles({ url: 'https://moodle.example.edu', timeoutMs: 5_000, fetch: async () => answer() }).upload(TOKEN, { filename: 'a.txt', filepath: '/', bytes: new Uint8Array([1]), mimetype: 'text/plain' });
  await rejects(upload(() => moodleError('invalidtoken', 'Invalid token - token not found')), 'invalidtoken');
  await rejects(upload(() => Response.json([])), 'nofile', /stored no file/);
  await rejects(upload(() => Response.json([{ filename: 'a.txt' }])), 'bad_json', /without a draft item id/);
  // Per-file refusals as the real Moodle 4.5.6 answers them (test/fixtures/moodle/files-4.5.6.json).
  await rejects(upload(() => Response.json([{ filename: 'a.txt', filepath: '/tmp/phpiUo87t', size: 1, errortype: 'filenameexist', error: 'File name already exists: a.txt' }])), 'filenameexist', /^File name already exists: a\.txt$/);
  await rejects(upload(() => Response.json([{ filename: 'big.pdf', errortype: 'fileoversized', error: '[[maxbytes]]' }])), 'fileoversized', /larger than this site accepts/);
  await rejects(upload(() => new Response('<html>', { status: 200 })), 'bad_json', /not JSON/);
  await rejects(upload(() => new Response(null, { status: 303, headers: { location: '/login' } })), 'http_status', /redirect, refused/);
});
