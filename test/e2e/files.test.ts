// The file tools end to end (issue 16): SDK client → gateway over a real socket → Moodle's file endpoints in front of
// the simulator (test/helpers/file-moodle.ts, a test double). Student emma.johansson (PM101 = course 2, not BUS120 =
// course 3), teacher dlindqvist (courses 2 and 3) under a profile restricted to course 2.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { simulatorTokens } from '../../runtime/simulator/index.ts';
import { fileMoodle, SYLLABUS_HTML, PNG, type FileMoodle } from '../helpers/file-moodle.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

const STUDENT = simulatorTokens['emma.johansson']!;
const TEACHER = simulatorTokens['dlindqvist']!;
const env = { STUDENT_KEY: 'k-student', TA_KEY: 'k-ta', STUDENT_TOKEN: STUDENT, TEACHER_TOKEN: TEACHER };
/** The simulator's wwwroot: the site the gateway reads files from when it runs against the simulator. */
const SITE = 'http://127.0.0.1:8080';
const loopback = ['127.0.0.0/8', '::1/128'];

async function start(mode: 'read-only' | 'read-write') {
  const moodle = fileMoodle();
  const config = testConfig(
    {
      mode,
      files: { max_read_bytes: 200_000, max_upload_bytes: 50_000, max_blob_bytes: 100_000 },
      profiles: {
        default: { scopes: ['api.read'], allow: ['*'] },
        demo: { scopes: ['api.read'], allow: ['*'] },
        student: { scopes: ['api.read', 'api.write'], allow: ['*'], ip_allow: loopback },
        ta: { scopes: ['api.read', 'api.write'], allow: ['*'], courses: [2], ip_allow: loopback },
      },
      connections: [
        { id: 'student', key_env: 'STUDENT_KEY', moodle_token_env: 'STUDENT_TOKEN', profile: 'student' },
        { id: 'ta', key_env: 'TA_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'ta' },
      ],
    },
    env,
  );
  const gw = await startTestGateway(config, { env, moodleFetch: moodle.fetch });
  const server = await listen(gw.gateway);
  return { moodle, gw, server, connect: (key: string) => connectClient(server.url, key) };
}

type Content = { type: string; text?: string; data?: string; mimeType?: string; resource?: { uri: string; mimeType?: string; blob?: string } };
const blocks = (result: unknown) => (result as { content: Content[] }).content;
const read = (client: Client, args: Record<string, unknown>) => client.callTool({ name: 'moodle_read_file', arguments: args });
const pluginfile = (moodle: FileMoodle) => moodle.fileRequests.filter((r) => r.endpoint === 'pluginfile');

describe('file tools, read-write mode', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let student: Client;
  let ta: Client;
  before(async () => {
    s = await start('read-write');
    student = await s.connect('k-student');
    ta = await s.connect('k-ta');
  });
  after(async () => {
    await student.close();
    await ta.close();
    await s.server.close();
    await s.gw.close();
  });

  test('tools/list shows both file tools beside the meta-tools; the restricted profile sees no upload (it names no course)', async () => {
    const names = (await student.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names.slice(0, 5), ['moodle_search_functions', 'moodle_describe_function', 'moodle_call_function', 'moodle_read_file', 'moodle_upload_file']);
    const taNames = (await ta.listTools()).tools.map((t) => t.name);
    assert.ok(taNames.includes('moodle_read_file'));
    assert.ok(!taNames.includes('moodle_upload_file'), 'under a course restriction a function without course references is listed only when site-level');
  });

  test('a course file read by its fileurl: the HTML text, fetched with the token in the POST body, never in the URL', async () => {
    const result = await read(student, { url: `${SITE}/webservice/pluginfile.php/51/mod_page/content/index.html?forcedownload=1` });
    assert.equal(result.isError, undefined, text(result));
    assert.match(text(result), /^index\.html \(text\/html, 215 bytes\): text extracted from HTML/);
    assert.match(text(result), /PROJECT MANAGEMENT|Project Management/);
    assert.match(text(result), /coursework 60%/);
    assert.ok(!text(result).includes('<div'), 'the text, not the markup');
    const [request] = pluginfile(s.moodle).slice(-1);
    assert.deepEqual(request, { endpoint: 'pluginfile', path: '/51/mod_page/content/index.html', tokenInUrl: false, method: 'POST' });
    assert.equal(SYLLABUS_HTML.length, 215);
  });

  test('a /pluginfile.php URL (as in intro HTML) is read through the webservice form; parts work like a URL', async () => {
    const byUrl = await read(student, { url: `${SITE}/pluginfile.php/63/mod_assign/introattachment/0/brief.txt` });
    assert.equal(byUrl.isError, undefined, text(byUrl));
    assert.match(text(byUrl), /Project charter brief/);
    const byParts = await read(student, { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filename: 'brief.txt' });
    assert.equal(text(byParts), text(byUrl));
    assert.deepEqual(pluginfile(s.moodle).slice(-2).map((r) => r.path), ['/63/mod_assign/introattachment/0/brief.txt', '/63/mod_assign/introattachment/0/brief.txt']);
  });

  test('an image comes back as image content, another binary as an embedded blob resource with a token-free URI', async () => {
    const image = blocks(await read(student, { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filename: 'gantt.png' }));
    assert.deepEqual(image[1], { type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' });
    const zip = blocks(await read(student, { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filename: 'data.zip' }));
    assert.equal(zip[1].type, 'resource');
    assert.equal(zip[1].resource!.uri, `${SITE}/webservice/pluginfile.php/63/mod_assign/introattachment/0/data.zip`);
    assert.equal(zip[1].resource!.mimeType, 'application/zip');
    assert.equal(Buffer.from(zip[1].resource!.blob!, 'base64').toString('latin1').slice(0, 2), 'PK');
  });

  test('a file from another course is refused under the restriction BEFORE it is fetched; the allowed course is read', async () => {
    const before = pluginfile(s.moodle).length;
    const refused = await read(ta, { url: `${SITE}/webservice/pluginfile.php/54/mod_page/content/index.html` });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /^denied: /);
    assert.match(text(refused), /course 3 is not allowed for profile 'ta'/);
    assert.equal(pluginfile(s.moodle).length, before, 'Moodle saw no pluginfile request');
    assert.ok(s.moodle.lookups.some((l) => l.fn === 'local_moodlemcp_resolve_courses'), 'the context id was mapped by the resolver');
    const allowed = await read(ta, { url: `${SITE}/webservice/pluginfile.php/51/mod_page/content/index.html` });
    assert.equal(allowed.isError, undefined, text(allowed));
    assert.equal(pluginfile(s.moodle).length, before + 1);
  });

  test("without a restriction, Moodle's own refusal comes back with its errorcode (a course the student is not in)", async () => {
    const result = await read(student, { contextid: 54, component: 'mod_page', filearea: 'content', filename: 'index.html' });
    assert.equal(result.isError, true);
    assert.match(text(result), /^requireloginerror: Moodle: Course or activity not accessible\./);
    const missing = await read(student, { contextid: 51, component: 'mod_page', filearea: 'content', filename: 'nope.html' });
    assert.match(text(missing), /^filenotfound: /);
  });

  test('oversized files are refused: declared too large, or past the limit while streaming', async () => {
    for (const name of ['big.txt', 'stream.txt']) {
      const result = await read(student, { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filename: name });
      assert.equal(result.isError, true, name);
      assert.match(text(result), /^file_too_large: The file is larger than 200000 bytes \(files\.max_read_bytes\)/, name);
    }
  });

  test('a URL off the configured site, or not a pluginfile URL, is refused without any request', async () => {
    const before = s.moodle.fileRequests.length;
    for (const url of [
      'https://evil.example/webservice/pluginfile.php/51/mod_page/content/index.html',
      `${SITE}/login/index.php`,
      `${SITE}/webservice/pluginfile.php/51/mod_page/../../content/index.html`,
      'file:///etc/passwd',
    ]) {
      const result = await read(student, { url });
      assert.equal(result.isError, true, url);
      assert.match(text(result), /^invalid_arguments: [\s\S]*- url: The file (URL|reference) is refused: /, url);
    }
    assert.equal(s.moodle.fileRequests.length, before);
    const both = await read(student, { url: `${SITE}/pluginfile.php/51/mod_page/content/index.html`, contextid: 51 });
    assert.match(text(both), /give either url or the file's parts, not both/);
    const partial = await read(student, { contextid: 51 });
    assert.match(text(partial), /- component: required/);
  });

  test('a redirect is refused, never followed', async () => {
    const before = s.moodle.fileRequests.length;
    const result = await read(student, { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filename: 'moved.txt' });
    assert.equal(result.isError, true);
    assert.match(text(result), /^http_status: Moodle: Moodle answered HTTP 303 \(a redirect, refused\)/);
    assert.equal(s.moodle.fileRequests.length, before + 1);
  });

  test('upload, then mod_assign_save_submission with the draft itemid; a second file joins the same draft area', async () => {
    const uploaded = await student.callTool({ name: 'moodle_upload_file', arguments: { filename: 'charter.txt', content_text: 'My project charter.' } });
    assert.equal(uploaded.isError, undefined, text(uploaded));
    const answer = uploaded.structuredContent as { itemid: number; filename: string; filesize: number; use_with: string[] };
    assert.equal(answer.filename, 'charter.txt');
    assert.equal(answer.filesize, 19);
    assert.ok(answer.use_with.some((u) => u.startsWith('mod_assign_save_submission: plugindata.files_filemanager')));
    const second = await student.callTool({ name: 'moodle_upload_file', arguments: { filename: 'plan.bin', content_base64: Buffer.from([1, 2, 3]).toString('base64'), itemid: answer.itemid, filepath: '/extra/' } });
    assert.equal((second.structuredContent as { itemid: number }).itemid, answer.itemid);
    const draft = s.moodle.drafts.get(`6:${answer.itemid}`)!;
    assert.deepEqual(draft.map((f) => [f.filename, f.filepath, Buffer.from(f.bytes).toString('hex')]), [
      ['charter.txt', '/', Buffer.from('My project charter.').toString('hex')],
      ['plan.bin', '/extra/', '010203'],
    ]);
    assert.ok(s.moodle.fileRequests.filter((r) => r.endpoint === 'upload').every((r) => !r.tokenInUrl && r.method === 'POST'));

    const submitted = await student.callTool({
      name: 'moodle_call_function',
      arguments: { name: 'mod_assign_save_submission', arguments: { assignmentid: 1, plugindata: { files_filemanager: answer.itemid } } },
    });
    assert.equal(submitted.isError, undefined, text(submitted));
    assert.equal(s.moodle.submissions.at(-1)?.['plugindata[files_filemanager]'] ?? (s.moodle.submissions.at(-1)?.plugindata as Record<string, unknown>)?.files_filemanager, String(answer.itemid));
  });

  test('bad uploads are refused before Moodle, naming the field', async () => {
    const before = s.moodle.fileRequests.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ filename: 'a.txt' }, /- content_base64: give exactly one of content_base64 or content_text/],
      [{ filename: 'a.txt', content_text: 'x', content_base64: 'eA==' }, /give exactly one/],
      [{ filename: 'a.txt', content_base64: 'not base64!' }, /- content_base64: not valid base64/],
      [{ filename: '../a.txt', content_text: 'x' }, /- filename: a plain file name/],
      [{ filename: 'a.txt', content_text: 'x', filepath: 'nested' }, /- filepath: a folder path that starts and ends with \//],
      [{ filename: 'a.txt', content_text: 'x'.repeat(50_001) }, /- content_text: the file is 50001 bytes; at most 50000 \(files\.max_upload_bytes\)/],
      [{ filename: 'a.txt', content_text: '' }, /- content_text: the file is empty/],
      [{ filename: 'a.txt', content_text: 'x', extra: 1 }, /- extra: unknown argument/],
    ];
    for (const [args, expected] of cases) {
      const result = await student.callTool({ name: 'moodle_upload_file', arguments: args });
      assert.equal(result.isError, true, JSON.stringify(args));
      assert.match(text(result), expected, JSON.stringify(args));
    }
    assert.equal(s.moodle.fileRequests.length, before);
  });

  test('audit records of file calls: file name, size, type, context id and course; never the content, the token or a token URL', async () => {
    const records = (await s.gw.audited()).filter((r) => r.tool === 'moodle_read_file' || r.tool === 'moodle_upload_file');
    const syllabus = records.find((r) => r.connection_id === 'ta' && r.decision === 'allowed' && r.context_id === 51)!;
    assert.equal(syllabus.moodle_function, 'moodle_read_file');
    assert.equal(syllabus.access, 'read');
    assert.equal(syllabus.file_name, 'index.html');
    assert.equal(syllabus.file_size, 215);
    assert.equal(syllabus.file_type, 'text/html');
    assert.deepEqual(syllabus.course_ids, [2]);
    assert.deepEqual(syllabus.arg_keys, ['url']);
    const refused = records.find((r) => r.connection_id === 'ta' && r.decision === 'denied')!;
    assert.equal(refused.context_id, 54);
    assert.deepEqual(refused.course_ids, [3]);
    assert.equal(refused.file_size, undefined, 'never fetched');
    const upload = records.find((r) => r.tool === 'moodle_upload_file' && r.decision === 'allowed')!;
    assert.equal(upload.access, 'write');
    assert.equal(upload.file_name, 'charter.txt');
    assert.equal(upload.file_size, 19);
    assert.deepEqual(upload.arg_keys, ['content_text', 'filename']);
    const all = JSON.stringify(await s.gw.audited());
    for (const secret of [STUDENT, TEACHER, 'coursework 60%', 'My project charter', 'Project charter brief', PNG.toString('base64'), 'token=']) {
      assert.ok(!all.includes(secret), `the audit trail holds no ${secret.slice(0, 12)}…`);
    }
  });
});

describe('file tools, read-only mode', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let student: Client;
  before(async () => {
    s = await start('read-only');
    student = await s.connect('k-student');
  });
  after(async () => {
    await student.close();
    await s.server.close();
    await s.gw.close();
  });

  test('uploads are not listed and are refused; reading still works', async () => {
    const names = (await student.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('moodle_read_file'));
    assert.ok(!names.includes('moodle_upload_file'));
    const result = await student.callTool({ name: 'moodle_upload_file', arguments: { filename: 'a.txt', content_text: 'x' } });
    assert.equal(result.isError, true);
    assert.match(text(result), /^denied: [\s\S]*the gateway is read-only: write functions are disabled/);
    assert.equal(s.moodle.fileRequests.filter((r) => r.endpoint === 'upload').length, 0);
    const records = (await s.gw.audited()).filter((r) => r.tool === 'moodle_upload_file');
    assert.equal(records.at(-1)?.decision, 'denied');
    assert.equal(records.at(-1)?.file_name, 'a.txt');
    const syllabus = await read(student, { url: `${SITE}/webservice/pluginfile.php/51/mod_page/content/index.html` });
    assert.equal(syllabus.isError, undefined, text(syllabus));
  });
});
