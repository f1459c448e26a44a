// Checks the file tools against a REAL Moodle (not run by the test suite; it needs a site and tokens):
//   MOODLE_URL=http://127.0.0.1:8080 STUDENT_TOKEN=... TEACHER_TOKEN=... [TEACHER2_TOKEN=...] node --import tsx scripts/real-files-check.ts
// (tokens of emma.johansson, dlindqvist and praman on the seeded site of ../shared/moodle/real/, /opt/moodle-out/tokens.json).
// It starts a gateway in-process (mode read-write; the teacher's profile restricted to course 2), connects the MCP SDK
// client over a loopback socket and, as the teacher and the student: reads the PM101 syllabus page file, reads the
// Project charter brief (its intro and any intro attachments), checks that a BUS120 (course 3) file is refused under
// the restriction, uploads a file as the student, submits it with mod_assign_save_submission and reads it back in
// mod_assign_get_submission_status. It WRITES to the site (a submission): `setup.sh --name moodle --reset` restores it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { serve } from 'srvx';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../runtime/config/index.ts';
import { createGateway } from '../runtime/gateway/create.ts';
import type { AuditRecord } from '../runtime/audit/types.ts';

const url = process.env.MOODLE_URL;
if (!url || !process.env.STUDENT_TOKEN || !process.env.TEACHER_TOKEN) {
  console.error('set MOODLE_URL, STUDENT_TOKEN and TEACHER_TOKEN');
  process.exit(2);
}
const root = new URL('../', import.meta.url).pathname;
// A throw-away key for the store of this run (nothing is kept).
const env = { ...process.env, STUDENT_KEY: 'real-student-key', TEACHER_KEY: 'real-teacher-key', TEACHER2_KEY: 'real-teacher2-key', MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
const config = parseConfig(
  JSON.stringify({
    moodle: { url },
    mode: 'read-write',
    audit: { sinks: [] },
    policy: { watch: false, wasm: `${root}policies/build/policy.wasm`, manifest: `${root}policies/build/manifest.json`, sources: `${root}policies` },
    store: { dir: mkdtempSync(join(tmpdir(), 'real-files-')) },
    oauth: { enabled: false },
    admin: { enabled: false },
    profiles: {
      student: { scopes: ['api.read', 'api.write'], allow: ['*'], ip_allow: ['127.0.0.0/8'] },
      pm101: { scopes: ['api.read'], allow: ['*'], courses: [2], ip_allow: ['127.0.0.0/8'] },
    },
    connections: [
      { id: 'student', key_env: 'STUDENT_KEY', moodle_token_env: 'STUDENT_TOKEN', profile: 'student' },
      { id: 'teacher', key_env: 'TEACHER_KEY', moodle_token_env: 'TEACHER_TOKEN', profile: 'pm101' },
      ...(process.env.TEACHER2_TOKEN ? [{ id: 'teacher2', key_env: 'TEACHER2_KEY', moodle_token_env: 'TEACHER2_TOKEN', profile: 'student' }] : []),
    ],
  }),
  'real-files-check',
  env,
);
const records: AuditRecord[] = [];
const gateway = await createGateway({
  config,
  baseDir: root,
  env,
  log: pino({ level: 'warn' }),
  auditWriters: [{ name: 'memory', maxBatch: 1000, write: async (lines) => void records.push(...lines.map((l) => JSON.parse(l))), close: async () => {} }],
});
const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1', silent: true });
await server.ready();
const endpoint = new URL('/mcp', `http://127.0.0.1:${new URL(server.url!).port}`);

async function connect(key: string) {
  const client = new Client({ name: 'real-files-check', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}
const first = (result: unknown) => ((result as { content: { type: string; text?: string }[] }).content[0]?.text ?? '').slice(0, 300);
const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
const fn = (client: Client, name: string, args: Record<string, unknown>) => call(client, 'moodle_call_function', { name, arguments: args });
const show = (label: string, result: unknown) => console.log(`\n## ${label}${(result as { isError?: boolean }).isError ? ' (ERROR)' : ''}\n${first(result)}`);

const teacher = await connect('real-teacher-key');
const student = await connect('real-student-key');
try {
  console.log('tools (teacher):', (await teacher.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('moodle_')).join(', '));
  console.log('tools (student):', (await student.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('moodle_')).join(', '));

  const contents = (await fn(teacher, 'core_course_get_contents', { courseid: 2 })) as { content: { text: string }[] };
  const syllabusUrl = (JSON.parse(contents.content[0].text) as { modules: { name: string; contents?: { fileurl: string }[] }[] }[])
    .flatMap((s) => s.modules)
    .find((m) => m.name === 'Course syllabus')!.contents![0].fileurl;
  console.log('syllabus fileurl:', syllabusUrl);
  show('teacher reads the PM101 syllabus by its fileurl', await call(teacher, 'moodle_read_file', { url: syllabusUrl }));
  show('student reads the PM101 syllabus by its parts', await call(student, 'moodle_read_file', { contextid: 51, component: 'mod_page', filearea: 'content', filename: 'index.html' }));
  show('teacher (profile restricted to course 2) reads the BUS120 syllabus: refused before any fetch', await call(teacher, 'moodle_read_file', { contextid: 54, component: 'mod_page', filearea: 'content', filename: 'index.html' }));
  show('student reads the BUS120 syllabus (not enrolled): Moodle refuses', await call(student, 'moodle_read_file', { contextid: 54, component: 'mod_page', filearea: 'content', filename: 'index.html' }));
  show('off-site URL refused', await call(student, 'moodle_read_file', { url: 'https://example.org/webservice/pluginfile.php/51/mod_page/content/index.html' }));

  const full = (await fn(student, 'mod_assign_get_assignments', { courseids: [2] })) as { content: { text: string }[] };
  const all = (JSON.parse(full.content[0].text) as { courses: { assignments: { id: number; cmid: number; name: string; intro: string; duedate: number; introattachments?: { filename: string; fileurl: string }[] }[] }[] }).courses[0].assignments;
  const charter = all.find((a) => a.name === 'Project charter')!;
  console.log(`\n## the Project charter brief (assignment ${charter.id}, cmid ${charter.cmid}): intro ${JSON.stringify(charter.intro).slice(0, 200)}; ${charter.introattachments?.length ?? 0} intro attachment(s)`);
  for (const file of charter.introattachments ?? []) show(`student reads the brief attachment ${file.filename}`, await call(student, 'moodle_read_file', { url: file.fileurl }));
  // Brief files attached to any assignment of the course (the seeded site has none; an administrator may add one, e.g.
  // to Risk register's "Additional files", to check this path), read by the student and by the restricted teacher.
  for (const assignment of all.filter((a) => a !== charter))
    for (const file of assignment.introattachments ?? []) {
      show(`student reads the ${assignment.name} brief attachment ${file.filename}`, await call(student, 'moodle_read_file', { url: file.fileurl }));
      show(`teacher (course 2) reads the ${assignment.name} brief attachment ${file.filename}`, await call(teacher, 'moodle_read_file', { url: file.fileurl }));
    }

  const uploaded = await call(student, 'moodle_upload_file', { filename: 'project-charter-emma.txt', content_text: 'Project charter (Emma Johansson): scope, stakeholders, milestones.' });
  show('student uploads a file into the draft area', uploaded);
  const itemid = (uploaded.structuredContent as { itemid: number }).itemid;
  // The seeded Project charter is past its due date; Risk register is open. Both also take online text: Moodle 4.5.6
  // then needs plugindata.onlinetext_editor too (without it, a submission that has an online-text row fails with
  // dmlwriteexception: onlineformat null).
  const open = all.find((a) => a.duedate * 1000 > Date.now())!;
  show(`student saves the submission of "${open.name}" (assignment ${open.id}) with the draft itemid`, await fn(student, 'mod_assign_save_submission', { assignmentid: open.id, plugindata: { files_filemanager: itemid, onlinetext_editor: { text: 'My risk register is attached.', format: 1, itemid: 0 } } }));
  const status = (await fn(student, 'mod_assign_get_submission_status', { assignid: open.id })) as { content: { text: string }[] };
  const submission = JSON.parse(status.content[0].text).lastattempt?.submission;
  const files = (submission?.plugins ?? []).flatMap((p: { fileareas?: { area: string; files: { filename: string; filesize: number; fileurl: string }[] }[] }) => p.fileareas ?? []).flatMap((a: { area: string; files: { filename: string; filesize: number; fileurl: string }[] }) => a.files.map((f) => ({ area: a.area, ...f })));
  console.log(`\n## mod_assign_get_submission_status: status ${submission?.status}, files ${JSON.stringify(files.map((f: { area: string; filename: string; filesize: number }) => `${f.area}/${f.filename} (${f.filesize} bytes)`))}`);
  const mine = files.find((f: { filename: string }) => f.filename === 'project-charter-emma.txt');
  if (mine) show('student reads the submitted file back by its fileurl', await call(student, 'moodle_read_file', { url: mine.fileurl }));
  if (mine) show('teacher (course 2) reads the submitted file', await call(teacher, 'moodle_read_file', { url: mine.fileurl }));

  if (process.env.TEACHER2_TOKEN) {
    // A real PDF: the DS101 syllabus that files-sim's recording attached to the DS101 welcome post (discussion 10).
    const teacher2 = await connect('real-teacher2-key');
    const posts = (await fn(teacher2, 'mod_forum_get_discussion_posts', { discussionid: 10 })) as { content: { text: string }[] };
    const attachments = (JSON.parse(posts.content[0].text).posts as { attachments?: { filename: string; url: string }[] }[]).flatMap((p) => p.attachments ?? []);
    for (const file of attachments) {
      console.log(`\nforum attachment url as Moodle gives it: ${file.url.replace(/token=[^&]+/, 'token=<redacted>')}`);
      show(`teacher2 reads the forum attachment ${file.filename}`, await call(teacher2, 'moodle_read_file', { url: file.url }));
    }
    show('teacher (profile restricted to course 2) reads it: refused before any fetch', await call(teacher, 'moodle_read_file', attachments[0] ? { url: attachments[0].url } : { contextid: 59, component: 'mod_forum', filearea: 'attachment', itemid: 26, filename: 'DS101-syllabus.pdf' }));
    await teacher2.close();
  }
} finally {
  await teacher.close();
  await student.close();
  await gateway.audit.flush();
  console.log('\n## audit records of the file tools');
  for (const r of records.filter((r) => r.tool === 'moodle_read_file' || r.tool === 'moodle_upload_file')) {
    const { timestamp: _t, request_id: _r, session_id: _s, policy_version: _p, client_ip: _c, user_agent: _u, ...rest } = r;
    console.log(JSON.stringify(rest));
  }
  const trail = JSON.stringify(records);
  console.log('tokens in the audit trail:', [process.env.STUDENT_TOKEN!, process.env.TEACHER_TOKEN!].some((t) => trail.includes(t)) ? 'YES (bug)' : 'none');
  await server.close(true);
  await gateway.close();
}
