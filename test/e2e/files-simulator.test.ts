// The two file flows of the README on the gateway's built-in simulator (a test double modelled on the recorded Moodle
// 4.5.6 file endpoints), with the demo keys: read the syllabus a course answer points to, read a real PDF attached to
// a forum post, and submit an assignment file (upload, mod_assign_save_submission, mod_assign_get_submission_status).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { answer, connectClient, text } from '../helpers/mcp-client.ts';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let student: Client;

before(async () => {
  gw = await startTestGateway(testConfig({ mode: 'read-write' }));
  server = await listen(gw.gateway);
  student = await connectClient(server.url, 'demo-student');
});
after(async () => {
  await student.close();
  await server.close();
  await gw.close();
});

const fn = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name: 'moodle_call_function', arguments: { name, arguments: args } });

test('read a course file: the syllabus URL core_course_get_contents gives, read as its text', async () => {
  const contents = answer(await student.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } })) as { modules: { name: string; contents?: { fileurl: string }[] }[] }[];
  const url = contents.flatMap((s) => s.modules).find((m) => m.name === 'Course syllabus')!.contents![0].fileurl;
  assert.match(url, /\/webservice\/pluginfile\.php\/51\/mod_page\/content\/index\.html\?forcedownload=1$/);
  const result = await student.callTool({ name: 'moodle_read_file', arguments: { url } });
  assert.equal(result.isError, undefined, text(result));
  assert.match(text(result), /^index\.html \(text\/html, \d+ bytes\): text extracted from HTML\./);
  assert.match(text(result), /assessment weights \(coursework 60%, quiz 20%, participation 20%\)/);
});

test('a PDF attached to a forum post, by the browser URL Moodle gives: text; a course the person is not in: Moodle refuses', async () => {
  const manager = await connectClient(server.url, 'demo-manager');
  try {
    const posts = answer(await fn(manager, 'mod_forum_get_discussion_posts', { discussionid: 10 })) as { posts: { attachments?: { filename: string; url: string }[] }[] };
    const pdf = posts.posts.flatMap((p) => p.attachments ?? []).find((a) => a.filename === 'DS101-syllabus.pdf')!;
    assert.match(pdf.url, /\/pluginfile\.php\/59\/mod_forum\/attachment\/26\/DS101-syllabus\.pdf/);
    const result = await manager.callTool({ name: 'moodle_read_file', arguments: { url: pdf.url } });
    assert.equal(result.isError, undefined, text(result));
    assert.match(text(result), /^DS101-syllabus\.pdf \(application\/pdf, \d+ bytes\): text extracted from PDF, \d+ pages?\./);
    assert.match(text(result), /Introduction to Data Science/);
    const teacher = await connectClient(server.url, 'demo-teacher'); // dlindqvist teaches PM101 and BUS120, not DS101
    const refused = await teacher.callTool({ name: 'moodle_read_file', arguments: { url: pdf.url } });
    await teacher.close();
    assert.match(text(refused), /^requireloginerror: Moodle: Course or activity not accessible\./);
  } finally {
    await manager.close();
  }
});

test('submit an assignment file: upload, save the submission with the draft item id, see it in the status, read it back', async () => {
  const uploaded = await student.callTool({ name: 'moodle_upload_file', arguments: { filename: 'risk-register.txt', content_text: 'Risk register: scope creep (high), vendor delay (medium).' } });
  assert.equal(uploaded.isError, undefined, text(uploaded));
  const { itemid } = uploaded.structuredContent as { itemid: number };

  // The assignment also takes online text: send it too (Moodle 4.5.6 fails a files-only save of a submission that
  // holds online text with dmlwriteexception; the simulator models that, README "Files").
  const saved = await fn(student, 'mod_assign_save_submission', {
    assignmentid: 2,
    plugindata: { files_filemanager: itemid, onlinetext_editor: { text: 'My risk register is attached.', format: 1, itemid: 0 } },
  });
  assert.equal(saved.isError, undefined, text(saved));
  assert.deepEqual(answer(saved), []);

  const status = answer(await student.callTool({ name: 'mod_assign_get_submission_status', arguments: { assignid: 2 } })) as {
    lastattempt: { submission: { plugins: { fileareas?: { area: string; files: { filename: string; fileurl: string }[] }[] }[] } };
  };
  const files = status.lastattempt.submission.plugins.flatMap((p) => p.fileareas ?? []).flatMap((a) => a.files.map((f) => ({ area: a.area, ...f })));
  const mine = files.find((f) => f.filename === 'risk-register.txt')!;
  assert.equal(mine.area, 'submission_files');
  const back = await student.callTool({ name: 'moodle_read_file', arguments: { url: mine.fileurl } });
  assert.match(text(back), /Risk register: scope creep \(high\)/);

  const records = (await gw.audited()).filter((r) => r.tool === 'moodle_upload_file' || r.tool === 'moodle_read_file');
  assert.ok(records.some((r) => r.tool === 'moodle_upload_file' && r.decision === 'allowed' && r.file_name === 'risk-register.txt'));
  assert.ok(!JSON.stringify(records).includes('scope creep'), 'no content in the audit trail');
});

test('an 8 MiB upload (11 MB of base64 in one MCP request) goes through the gateway to the draft area', async () => {
  const bytes = Buffer.alloc(8 * 1024 * 1024, 0x41);
  bytes.write('%PDF-1.7 report of a student', 0);
  const uploaded = await student.callTool({ name: 'moodle_upload_file', arguments: { filename: 'report.pdf', content_base64: bytes.toString('base64') } });
  assert.equal(uploaded.isError, undefined, text(uploaded));
  const answerBody = uploaded.structuredContent as { itemid: number; filesize: number };
  assert.equal(answerBody.filesize, bytes.byteLength);
  assert.ok(answerBody.itemid > 0);
});
