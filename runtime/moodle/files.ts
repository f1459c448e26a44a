/**
 * Moodle's file endpoints, outside the web-service functions: downloads from `webservice/pluginfile.php/<contextid>/
 * <component>/<filearea>[/<itemid>]/<filepath><filename>` and uploads into the caller's draft area through
 * `webservice/upload.php`. The token travels in the POST body (Moodle reads `token` from GET or POST), never in a URL;
 * only paths on the configured site are requested; redirects are refused; downloads are capped while streaming.
 * Failures are MoodleErrors (Moodle's `{error, errorcode}` bodies keep their errorcode).
 */
import { MoodleError, tokenErrorFromBody } from './errors.ts';
import { exchangeDeadline, networkError, type FetchLike } from './http.ts';
import { readBytesCapped, readTextCapped } from '../shared/read-capped.ts';

/** Where a file lives in Moodle: the parts of a pluginfile path. `itemid` is absent for areas without item ids. */
export interface FileRef {
  contextid: number;
  component: string;
  filearea: string;
  itemid?: number;
  /** `/` or `/folder/sub/`. */
  filepath: string;
  filename: string;
}

export interface DownloadedFile {
  bytes: Uint8Array;
  /** Content type Moodle sent, without parameters (`application/pdf`). */
  mimetype: string;
  /** The file name Moodle sent (Content-Disposition), else the requested one. */
  filename: string;
}

export interface UploadedFile {
  itemid: number;
  contextid?: number;
  filename: string;
  filepath: string;
  filesize: number;
}

export interface MoodleFilesOptions {
  /** The site's base URL (a path prefix is kept), as for the REST client. */
  url: string;
  timeoutMs: number;
  fetch?: FetchLike;
}

export interface MoodleFiles {
  /** Downloads one file as the token's user; refuses it past `maxBytes` (declared or while streaming). */
  download(token: string, file: FileRef, options: { maxBytes: number; signal?: AbortSignal }): Promise<DownloadedFile>;
  /** Uploads one file into the user's draft area (a new one, or `itemid`'s); answers the draft item id. */
  upload(token: string, file: { filename: string; filepath: string; itemid?: number; bytes: Uint8Array; mimetype: string }, options?: { signal?: AbortSignal }): Promise<UploadedFile>;
  /** The token-free webservice URL of a file (what audit-free descriptions and resource URIs may show). */
  urlOf(file: FileRef): string;
  /**
   * Reads a pluginfile URL of the configured site (`/webservice/pluginfile.php/...` or `/pluginfile.php/...`) into a
   * FileRef; `itemid` is taken as absent when the path has no room for one. Throws MoodleError `invalid_file_url`.
   */
  parseUrl(url: string): FileRef;
}

const COMPONENT = /^[a-z][a-z0-9_]*$/;
const FILEAREA = /^[a-z0-9_]+$/;

/** The file client of one Moodle site. */
export function createMoodleFiles(options: MoodleFilesOptions): MoodleFiles {
  const base = new URL(options.url.replace(/\/+$/, '') + '/');
  const prefix = base.pathname.replace(/\/$/, '');
  const fetchImpl: FetchLike = options.fetch ?? ((request) => fetch(request));

  function urlOf(file: FileRef): string {
    checkRef(file);
    const parts = [String(file.contextid), file.component, file.filearea, ...(file.itemid === undefined ? [] : [String(file.itemid)])];
    const path = `${parts.map(encodeURIComponent).join('/')}${file.filepath.split('/').map(encodeURIComponent).join('/')}${encodeURIComponent(file.filename)}`;
    return `${base.origin}${prefix}/webservice/pluginfile.php/${path}`;
  }

  function parseUrl(raw: string): FileRef {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalidUrl('it is not an absolute URL');
    }
    if (url.origin !== base.origin) throw invalidUrl(`only files of the configured Moodle site (${base.origin}) are read`);
    if (url.username || url.password) throw invalidUrl('it must not contain credentials');
    const path = url.pathname;
    const rest = [`${prefix}/webservice/pluginfile.php/`, `${prefix}/pluginfile.php/`].find((p) => path.startsWith(p));
    if (!rest) throw invalidUrl(`it is not a pluginfile URL of the site (${prefix}/webservice/pluginfile.php/... or ${prefix}/pluginfile.php/...)`);
    let segments: string[];
    try {
      segments = path.slice(rest.length).split('/').map(decodeURIComponent);
    } catch {
      throw invalidUrl('its path is not valid percent-encoding');
    }
    if (segments.length < 4 || segments.some((s) => s === '')) {
      throw invalidUrl('the path must be /<contextid>/<component>/<filearea>/[<itemid>/][<folders>/]<filename>');
    }
    const [context, component, filearea, ...tail] = segments;
    const contextid = Number(context);
    if (!/^[1-9][0-9]{0,9}$/.test(context)) throw invalidUrl('its context id is not a positive integer');
    const filename = tail.pop()!;
    // Moodle's own convention: a numeric first segment after the file area is the item id (areas without item ids
    // have none, e.g. mod_page/content/index.html).
    let itemid: number | undefined;
    if (tail.length > 0 && /^(0|[1-9][0-9]{0,9})$/.test(tail[0])) itemid = Number(tail.shift());
    const ref: FileRef = { contextid, component, filearea, filepath: tail.length ? `/${tail.join('/')}/` : '/', filename };
    if (itemid !== undefined) ref.itemid = itemid;
    checkRef(ref);
    return ref;
  }

  async function exchange<T>(request: (signal: AbortSignal) => Request, signal: AbortSignal | undefined, read: (response: Response) => Promise<T>): Promise<T> {
    const deadline = exchangeDeadline(options.timeoutMs, signal);
    const fail = (error: unknown): never => {
      if (error instanceof MoodleError) throw error;
      throw deadline.signal.aborted ? deadline.describeAbort(error) : networkError(base.origin, error);
    };
    try {
      const response = await fetchImpl(request(deadline.signal)).catch(fail);
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => {});
        // Never followed: the target could be off-site, and a redirect is not what a file endpoint answers.
        throw new MoodleError('http_status', `Moodle answered HTTP ${response.status} (a redirect, refused) instead of the file.`, { status: response.status });
      }
      return await read(response).catch(fail);
    } finally {
      deadline.end();
    }
  }

  return {
    urlOf,
    parseUrl,
    async download(token, file, { maxBytes, signal }) {
      requireToken(token);
      const url = urlOf(file);
      return exchange(
        (s) => new Request(url, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual', signal: s }),
        signal,
        async (response) => {
          const mimetype = (response.headers.get('content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase();
          const disposition = response.headers.get('content-disposition');
          const bytes = await readBytesCapped(response.body, response.headers.get('content-length'), maxBytes);
          // Moodle's refusals (bad token, no access, missing file) are JSON `{error, errorcode}` without a
          // Content-Disposition, with HTTP 200 or 404; a served file always has one.
          if (!disposition && (mimetype === 'application/json' || response.status !== 200)) {
            const error = bytes && tokenErrorFromBody(parseJson(bytes));
            if (error) throw error;
          }
          if (response.status !== 200) throw new MoodleError('http_status', `Moodle answered HTTP ${response.status} instead of the file.`, { status: response.status });
          if (!bytes) throw new MoodleError('file_too_large', `The file is larger than ${maxBytes} bytes (files.max_read_bytes): not read.`);
          return { bytes, mimetype, filename: dispositionName(disposition) ?? file.filename };
        },
      );
    },
    async upload(token, file, uploadOptions = {}) {
      requireToken(token);
      const form = new FormData();
      form.set('token', token);
      form.set('filepath', file.filepath);
      form.set('itemid', String(file.itemid ?? 0));
      form.set('file_1', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mimetype }), file.filename);
      const url = `${base.origin}${prefix}/webservice/upload.php`;
      return exchange(
        (s) => new Request(url, { method: 'POST', body: form, redirect: 'manual', signal: s }),
        uploadOptions.signal,
        async (response) => {
          const text = await readTextCapped(response.body, response.headers.get('content-length'), 1024 * 1024);
          if (response.status !== 200 && !text) throw new MoodleError('http_status', `Moodle answered HTTP ${response.status} to the upload.`, { status: response.status });
          let body: unknown;
          try {
            body = JSON.parse(text ?? '');
          } catch {
            throw new MoodleError('bad_json', `Moodle's answer to the upload is not JSON (HTTP ${response.status}).`);
          }
          const error = tokenErrorFromBody(body);
          if (error) throw error;
          const first = Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined) : undefined;
          if (!first) throw new MoodleError('nofile', 'Moodle stored no file (webservice/upload.php answered an empty list).');
          // A file Moodle refused is answered in the list: `{filename, errortype, error}` (filenameexist, fileoversized...).
          if (typeof first.errortype === 'string') {
            const why = typeof first.error === 'string' && first.error !== '[[maxbytes]]' ? first.error : `${first.errortype}: the file is larger than this site accepts`;
            throw new MoodleError(first.errortype, why);
          }
          const itemid = Number(first.itemid);
          if (!Number.isInteger(itemid) || itemid <= 0) throw new MoodleError('bad_json', 'webservice/upload.php answered without a draft item id.');
          const uploaded: UploadedFile = {
            itemid,
            filename: typeof first.filename === 'string' ? first.filename : file.filename,
            filepath: typeof first.filepath === 'string' ? first.filepath : file.filepath,
            filesize: Number(first.filesize) || file.bytes.byteLength,
          };
          if (Number.isInteger(Number(first.contextid))) uploaded.contextid = Number(first.contextid);
          return uploaded;
        },
      );
    },
  };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

function invalidUrl(why: string): MoodleError {
  return new MoodleError('invalid_file_url', `The file URL is refused: ${why}.`);
}

function checkRef(file: FileRef): void {
  const bad = (why: string) => new MoodleError('invalid_file_url', `The file reference is refused: ${why}.`);
  if (!Number.isInteger(file.contextid) || file.contextid <= 0) throw bad('contextid must be a positive integer');
  if (!COMPONENT.test(file.component)) throw bad('component must be a Moodle component name such as mod_resource');
  if (!FILEAREA.test(file.filearea)) throw bad('filearea must be lower-case letters, digits and underscores');
  if (file.itemid !== undefined && (!Number.isInteger(file.itemid) || file.itemid < 0)) throw bad('itemid must be a non-negative integer');
  if (!file.filepath.startsWith('/') || !file.filepath.endsWith('/') || file.filepath.split('/').some((s) => s === '.' || s === '..')) {
    throw bad('filepath must start and end with / and contain no . or .. folder');
  }
  if (!file.filename || file.filename.includes('/') || file.filename === '.' || file.filename === '..') throw bad('filename must be a plain file name');
}

function requireToken(token: string) {
  if (typeof token !== 'string' || token.length === 0) throw new MoodleError('invalid_request', 'A Moodle token is required.');
}

/** The filename of a Content-Disposition header (RFC 6266 `filename*` first), or undefined. */
function dispositionName(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(header);
  const name = plain?.[1] ?? plain?.[2]?.trim();
  return name || undefined;
}
