/**
 * `webservice/upload.php` as Moodle 4.5.6 answers it (recorded in test/fixtures/moodle/files-4.5.6.json): a multipart
 * POST with `token` (form field or query; an Authorization header is ignored), optional `itemid` and `filepath`, and
 * any number of file fields. Every file goes to the caller's draft area (`filearea=private` too, as 4.5 does); all
 * files of one request share one item id (a new random one unless `itemid` is given). The answer is JSON, HTTP 200,
 * with the recorded content types: one entry per file, or a per-file error (`filenameexist`, `fileoversized`).
 * A request larger than the site's post limit loses all its fields, as PHP drops them (`missingparam` token).
 */
import { FILE_ERRORS, fileErrorBody, type FileEndpointError } from './errors.ts';
import type { FileStore } from './file-store.ts';
import type { World } from './world.ts';

export interface UploadLimits {
  /** PHP post_max_size: a larger request body arrives without fields. */
  postMaxBytes: number;
  /** Site maxbytes (usermaxuploadfilesize): a larger file gets a `fileoversized` entry. */
  maxFileBytes: number;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

const MIMETYPES: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  doc: 'application/msword',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  txt: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  zip: 'application/zip',
  mp3: 'audio/mp3',
  mp4: 'video/mp4',
};

/** Moodle decides a stored file's mimetype from its name, not from what the client declared. */
export function mimetypeOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return (dot >= 0 && MIMETYPES[filename.slice(dot + 1).toLowerCase()]) || 'document/unknown';
}

/** clean_param(PARAM_FILE): control characters and & < > " ` | ' : \ / removed; "." and ".." become "". */
function cleanFilename(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f&<>"`|':\\/]/g, '');
  return cleaned === '.' || cleaned === '..' ? '' : cleaned;
}

/** clean_param(PARAM_PATH) for filepath, with the leading and trailing slash Moodle's file API wants. */
function cleanFilepath(path: string): string {
  const cleaned = path.replace(/\\/g, '/').replace(/[\u0000-\u001f\u007f&<>"`|':]/g, '').split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
  return cleaned ? `/${cleaned}/` : '/';
}

/** PHP's serialize() of Moodle's `{source: <filename>}` record (the length is in bytes). */
const serializedSource = (filename: string) => `O:8:"stdClass":1:{s:6:"source";s:${Buffer.byteLength(filename)}:"${filename}";}`;

const answer = (value: unknown, contentType: string) => new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': contentType, 'access-control-allow-origin': '*' } });
const refusal = (error: FileEndpointError, contentType = TEXT) => new Response(fileErrorBody(error), { status: error.status, headers: { 'content-type': contentType, 'access-control-allow-origin': '*' } });

/** Answers one webservice/upload.php request. */
export async function handleUpload(request: Request, world: World, store: FileStore, limits: UploadLimits): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const fields = new Map<string, string>([...query].map(([k, v]) => [k, v]));
  const files: File[] = [];
  let dropped = false;
  if (request.method === 'POST') {
    const body = new Uint8Array(await request.arrayBuffer());
    dropped = body.length > limits.postMaxBytes;
    const type = request.headers.get('content-type') ?? '';
    if (!dropped && (type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded'))) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData().catch(() => undefined);
      for (const [name, value] of form ?? []) {
        if (typeof value === 'string') fields.set(name, value);
        else files.push(value);
      }
    }
  }
  const token = fields.get('token')?.replace(/[^A-Za-z0-9]/g, '');
  if (!token) return refusal(FILE_ERRORS.missingToken, dropped ? JSON_TYPE : TEXT);
  const user = world.userByToken(token);
  if (!user) return refusal(FILE_ERRORS.invalidToken);
  if (files.length === 0) return answer([], JSON_TYPE);

  const requested = Number.parseInt(fields.get('itemid') ?? '0', 10);
  const itemid = Number.isFinite(requested) && requested > 0 ? requested : store.newDraftItemId();
  const filepath = cleanFilepath(fields.get('filepath') ?? '/');
  const results: unknown[] = [];
  for (const file of files) {
    const filename = cleanFilename(file.name);
    if (file.size > limits.maxFileBytes) {
      results.push({ filename, errortype: 'fileoversized', error: '[[maxbytes]]' });
      continue;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const storedFile = store.addDraft(user, itemid, filepath, filename, mimetypeOf(filename), bytes);
    if (!storedFile) {
      const tmp = `/tmp/php${Math.random().toString(36).slice(2, 8)}`;
      results.push({ filename, filepath: tmp, size: bytes.length, errortype: 'filenameexist', error: `File name already exists: ${filename}` });
      continue;
    }
    results.push({
      component: 'user',
      contextid: storedFile.contextid,
      userid: String(user.id),
      filearea: 'draft',
      filename,
      filepath,
      itemid,
      license: 'unknown',
      author: user.fullname,
      source: serializedSource(filename),
      filesize: bytes.length,
    });
  }
  return answer(results, TEXT);
}
