/**
 * `webservice/pluginfile.php/<contextid>/<component>/<filearea>/<itemid>/<path>` as Moodle 4.5.6 answers it (recorded
 * in test/fixtures/moodle/files-4.5.6.json): the token is the `token` parameter (query or POST form field; an
 * Authorization header is ignored); then the path, the context, course access, and the component's own file rules.
 * Errors are JSON `{error, errorcode, …}`, HTTP 200 except `filenotfound` (404). The browser `/pluginfile.php` wants a
 * session: 303 to the login page.
 */
import { FILE_ERRORS, fileErrorBody, type FileEndpointError } from './errors.ts';
import type { FileStore, StoredFile } from './file-store.ts';
import type { SimUser, World } from './world.ts';

const ERROR_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache, must-revalidate', pragma: 'no-cache' };
const FILE_HEADERS = {
  'access-control-allow-origin': '*',
  'cache-control': 'private, must-revalidate, pre-check=0, post-check=0, max-age=0, no-transform',
  expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
  pragma: 'no-cache',
};

class PluginfileRefusal extends Error {
  constructor(readonly refusal: FileEndpointError) {
    super(refusal.errorcode);
  }
}
const refuse = (error: FileEndpointError) => new PluginfileRefusal(error);

interface Served {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/** Answers a request to the browser `/pluginfile.php/...`: Moodle redirects to its login page. */
export function browserPluginfile(request: Request): Response {
  const login = new URL('/login/index.php', request.url).href;
  return new Response(`<!DOCTYPE html><html><head><title>Redirect</title></head><body><a href="${login}">Continue</a></body></html>`, {
    status: 303,
    headers: { location: login, 'content-type': 'text/html; charset=utf-8' },
  });
}

/** Answers one webservice/pluginfile.php request; `relativePath` is what follows `pluginfile.php`. */
export async function handlePluginfile(request: Request, relativePath: string, world: World, store: FileStore): Promise<Response> {
  try {
    const token = await tokenOf(request);
    if (!token) throw refuse(FILE_ERRORS.missingToken);
    const user = world.userByToken(token);
    if (!user) throw refuse(FILE_ERRORS.invalidToken);
    const served = serve(relativePath, user, world, store);
    return new Response(served.bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        ...FILE_HEADERS,
        'content-type': served.contentType,
        'content-length': String(served.bytes.length),
        'content-disposition': `attachment; filename="${served.filename.replace(/["\\\r\n]/g, '_')}"`,
        'accept-ranges': 'none',
      },
    });
  } catch (error) {
    if (!(error instanceof PluginfileRefusal)) throw error;
    return new Response(fileErrorBody(error.refusal), { status: error.refusal.status, headers: ERROR_HEADERS });
  }
}

/** `token` from the query string, or from a urlencoded / multipart POST body (PHP's $_GET + $_POST). */
async function tokenOf(request: Request): Promise<string | undefined> {
  const url = new URL(request.url);
  let token = url.searchParams.get('token') ?? undefined;
  if (request.method === 'POST') {
    const type = request.headers.get('content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      const form = await request.formData().catch(() => undefined);
      const posted = form?.get('token');
      if (typeof posted === 'string') token = posted;
    }
  }
  // required_param(PARAM_ALPHANUM): other characters are dropped.
  return token?.replace(/[^A-Za-z0-9]/g, '') || undefined;
}

function serve(relativePath: string, user: SimUser, world: World, store: FileStore): Served {
  const parts = relativePath.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  if (parts.length < 3 || !/^\d+$/.test(parts[0]!)) throw refuse(FILE_ERRORS.noPath);
  const [contextText, component, filearea, ...args] = parts as [string, string, string, ...string[]];
  const contextid = Number(contextText);
  const place = store.place(contextid);
  if (!place) throw refuse(FILE_ERRORS.missingRecord('context'));
  if (place.kind === 'module' || place.kind === 'course') {
    if (!world.canAccessCourse(user, place.course)) throw refuse(FILE_ERRORS.notAccessible);
  }
  if (place.kind !== 'module') throw refuse(FILE_ERRORS.fileNotFound); // draft areas, course and user files: none served
  const { module } = place;
  if (component === 'mod_page' && module.modname === 'page' && filearea === 'content') {
    const rest = args.length > 1 ? args.slice(1) : args; // the first of several args is the page revision (ignored)
    const name = rest.join('/');
    const body = store.pageBody(module.cmid);
    if ((name === 'index.html' || name === 'index.htm') && body) return { filename: name, contentType: 'text/html;charset=UTF-8', bytes: body };
    throw refuse(FILE_ERRORS.fileNotFound);
  }
  const itemid = args.length > 1 && /^\d+$/.test(args[0]!) ? Number(args[0]) : undefined;
  if (itemid === undefined) throw refuse(FILE_ERRORS.fileNotFound);
  const filename = args.at(-1)!;
  const filepath = args.length > 2 ? `/${args.slice(1, -1).join('/')}/` : '/';
  if (component === 'mod_forum' && module.modname === 'forum' && (filearea === 'attachment' || filearea === 'post')) {
    return stored(store.find(contextid, component, filearea, itemid, filepath, filename));
  }
  if (component === 'assignsubmission_file' && module.modname === 'assign' && filearea === 'submission_files') {
    const submission = store.submissionById(itemid);
    if (!submission || submission.assign !== module.instance) throw refuse(FILE_ERRORS.missingRecord('assign_submission'));
    const seesAll = user.isPrivileged || (user.isTeacher && module.course.enrolled.includes(user.id));
    if (submission.userid !== user.id && !seesAll) throw refuse(FILE_ERRORS.fileNotFound);
    return stored(store.find(contextid, component, filearea, itemid, filepath, filename));
  }
  throw refuse(FILE_ERRORS.fileNotFound);
}

function stored(file: StoredFile | undefined): Served {
  if (!file) throw refuse(FILE_ERRORS.fileNotFound);
  return { filename: file.filename, contentType: file.mimetype, bytes: file.bytes };
}
