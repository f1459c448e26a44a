/**
 * Moodle's file endpoints in front of the counting simulator (course-moodle.ts, resolver enabled), for the file-tool
 * tests: `webservice/pluginfile.php` serves a few files (access by enrolment, errors as the real Moodle 4.5.6 answers
 * them: `{error, errorcode}` JSON, 404 for a missing file) and `webservice/upload.php` stores uploads in per-user
 * draft areas with the real answer shape. Every file request is recorded (path, and whether a token was in the URL).
 * A TEST DOUBLE of Moodle.
 */
import { readFileSync } from 'node:fs';
import type { FetchLike } from '../../runtime/moodle/index.ts';
import { decodeForm } from '../../runtime/moodle/form.ts';
import { simulatorTokens } from '../../runtime/simulator/index.ts';
import { SITE_PATH, type SiteFile } from '../../runtime/simulator/data.ts';
import { courseMoodle, type CourseMoodle } from './course-moodle.ts';

const site = JSON.parse(readFileSync(SITE_PATH, 'utf8')) as SiteFile & { users: Record<string, { id: number }> };
const userOfToken = new Map(Object.entries(simulatorTokens).map(([username, token]) => [token, site.users[username]?.id]));
const enrolled = (userId: number | undefined, courseId: number) =>
  Object.values(site.courses).some((c) => c.id === courseId && (c.enrolled as number[]).includes(userId ?? -1));

/** The page file of PM101 (context 51, course 2) as the seeded Moodle serves it. */
export const SYLLABUS_HTML =
  '<div class="no-overflow"><h3>Project Management</h3><p>This syllabus describes learning outcomes, weekly topics, assessment weights (coursework 60%, quiz 20%, participation 20%) and late submission policy.</p></div>';
/** A 1x1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

interface ServedFile {
  course: number;
  type: string;
  body: Uint8Array;
  /** Answer with this redirect instead of the file. */
  redirect?: string;
  /** Declare no length: the size is only seen while streaming. */
  chunked?: boolean;
}

/** Files by pluginfile path (after `pluginfile.php`). */
export const FILES: Record<string, ServedFile> = {
  '/51/mod_page/content/index.html': { course: 2, type: 'text/html', body: Buffer.from(SYLLABUS_HTML) },
  '/54/mod_page/content/index.html': { course: 3, type: 'text/html', body: Buffer.from('<h3>Business Communication</h3><p>BUS120 syllabus.</p>') },
  '/63/mod_assign/introattachment/0/brief.txt': { course: 2, type: 'text/plain', body: Buffer.from('Project charter brief: scope, stakeholders, milestones. Two pages at most.') },
  '/63/mod_assign/introattachment/0/gantt.png': { course: 2, type: 'image/png', body: PNG },
  '/63/mod_assign/introattachment/0/data.zip': { course: 2, type: 'application/zip', body: Buffer.from('PK\u0003\u0004 not really a zip') },
  '/63/mod_assign/introattachment/0/big.txt': { course: 2, type: 'text/plain', body: Buffer.alloc(300_000, 'a') },
  '/63/mod_assign/introattachment/0/stream.txt': { course: 2, type: 'text/plain', body: Buffer.alloc(300_000, 'b'), chunked: true },
  '/63/mod_assign/introattachment/0/moved.txt': { course: 2, type: 'text/plain', body: Buffer.from(''), redirect: 'https://elsewhere.example/steal' },
};

export interface FileRequest {
  endpoint: 'pluginfile' | 'upload';
  path: string;
  /** A token was in the URL (the gateway must send it in the body). */
  tokenInUrl: boolean;
  method: string;
}

export interface FileMoodle extends CourseMoodle {
  fileRequests: FileRequest[];
  /** Draft files by `userid:itemid`. */
  drafts: Map<string, { filename: string; filepath: string; bytes: Uint8Array }[]>;
  /** The REST forms of mod_assign_save_submission calls. */
  submissions: Record<string, unknown>[];
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
const fileError = (errorcode: string, error: string, status = 200) => json({ error, errorcode, stacktrace: null, debuginfo: null, reproductionlink: null }, status);

/** The counting simulator with Moodle's file endpoints in front. */
export function fileMoodle(): FileMoodle {
  const inner = courseMoodle({ resolver: true });
  const fileRequests: FileRequest[] = [];
  const drafts = new Map<string, { filename: string; filepath: string; bytes: Uint8Array }[]>();
  const submissions: Record<string, unknown>[] = [];
  let nextItem = 705_484_013;

  const fetch: FetchLike = async (request) => {
    const url = new URL(request.url);
    const tokenInUrl = url.searchParams.has('token') || url.searchParams.has('wstoken');
    if (url.pathname.startsWith('/webservice/pluginfile.php/')) {
      const path = decodeURIComponent(url.pathname.slice('/webservice/pluginfile.php'.length));
      fileRequests.push({ endpoint: 'pluginfile', path, tokenInUrl, method: request.method });
      const form = { ...decodeForm(url.searchParams), ...decodeForm(await request.text()) } as Record<string, unknown>;
      if (!form.token) return fileError('missingparam', 'A required parameter (token) was missing');
      const user = userOfToken.get(String(form.token));
      if (user === undefined) return fileError('invalidtoken', 'Invalid token - token not found');
      const file = FILES[path];
      if (!file) return fileError('filenotfound', 'Sorry, the requested file could not be found', 404);
      if (!enrolled(user, file.course)) return fileError('requireloginerror', 'Course or activity not accessible.');
      if (file.redirect) return new Response(null, { status: 303, headers: { location: file.redirect } });
      const name = path.split('/').pop()!;
      const headers: Record<string, string> = { 'content-type': file.type, 'content-disposition': `attachment; filename="${name}"` };
      if (!file.chunked) headers['content-length'] = String(file.body.byteLength);
      const body = file.chunked
        ? new ReadableStream<Uint8Array>({
            start(controller) {
              for (let at = 0; at < file.body.byteLength; at += 16_384) controller.enqueue(file.body.subarray(at, at + 16_384));
              controller.close();
            },
          })
        : file.body;
      return new Response(body as BodyInit, { headers });
    }
    if (url.pathname === '/webservice/upload.php') {
      fileRequests.push({ endpoint: 'upload', path: url.pathname, tokenInUrl, method: request.method });
      const form = await request.formData();
      const user = userOfToken.get(String(form.get('token') ?? ''));
      if (user === undefined) return fileError('invalidtoken', 'Invalid token - token not found');
      const files = [...form.entries()].filter(([key, value]) => key.startsWith('file_') && typeof value !== 'string') as [string, File][];
      if (files.length === 0) return json([]);
      const asked = Number(form.get('itemid') ?? 0);
      const itemid = asked > 0 ? asked : nextItem++;
      const filepath = String(form.get('filepath') ?? '/');
      const area = drafts.get(`${user}:${itemid}`) ?? [];
      const answer = [];
      for (const [, file] of files) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        area.push({ filename: file.name, filepath, bytes });
        answer.push({ component: 'user', contextid: 17, userid: String(user), filearea: 'draft', filename: file.name, filepath, itemid, license: 'unknown', author: 'Emma Johansson', source: '', filesize: bytes.byteLength });
      }
      drafts.set(`${user}:${itemid}`, area);
      return json(answer);
    }
    if (url.pathname === '/webservice/rest/server.php') {
      const form = decodeForm(await request.clone().text()) as Record<string, unknown>;
      if (form.wsfunction === 'mod_assign_save_submission') submissions.push(form);
    }
    return inner.fetch(request);
  };
  return { ...inner, fetch, fileRequests, drafts, submissions };
}
