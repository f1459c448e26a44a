import { encodeForm } from '../../runtime/moodle/form.ts';
import { CodegenError } from '../errors.ts';
import type { FunctionsDocument } from './types.ts';
import { validateDocument } from './validate.ts';

/** The web-service function of the local_moodlemcp plugin (codegen/moodle/local_moodlemcp). */
export const EXPORT_FUNCTION = 'local_moodlemcp_export_functions';

export interface LiveSourceOptions {
  /** Site root, e.g. `https://moodle.example.org` (no trailing /webservice/...). */
  url: string;
  /** Web-service token of a site administrator. Never logged. */
  token: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

export interface LiveSource {
  url: string;
  site: { release: string; version: string };
  /** Functions that the token's external service enables (core_webservice_get_site_info `functions[]`). */
  enabled: Set<string>;
  document: FunctionsDocument;
}

/**
 * Introspects a live Moodle over REST: core_webservice_get_site_info (release, version, enabled functions), then
 * local_moodlemcp_export_functions (the `moodle-external-functions/1` document as a JSON string).
 * Moodle errors arrive with HTTP 200 as `{exception, errorcode, message}` and become CodegenErrors.
 */
export async function fetchLiveSource(options: LiveSourceOptions): Promise<LiveSource> {
  const url = siteRoot(options.url);
  const call = (wsfunction: string) => callRest(url, options, wsfunction);

  const info = await call('core_webservice_get_site_info');
  if (!isObject(info) || typeof info.release !== 'string' || !Array.isArray(info.functions)) {
    throw new CodegenError('core_webservice_get_site_info: unexpected answer (no release or functions)');
  }
  const enabled = new Set(
    (info.functions as unknown[]).flatMap((f) => (isObject(f) && typeof f.name === 'string' ? [f.name] : [])),
  );
  if (!enabled.has(EXPORT_FUNCTION)) {
    throw new CodegenError(`${EXPORT_FUNCTION} is not enabled for this token: install codegen/moodle/local_moodlemcp and add the function to the token's service`);
  }
  const exported = await call(EXPORT_FUNCTION);
  if (!isObject(exported) || typeof exported.json !== 'string') throw new CodegenError(`${EXPORT_FUNCTION}: expected {format, json}`);
  if (exported.format !== 'moodle-external-functions/1') throw new CodegenError(`${EXPORT_FUNCTION}: unsupported format ${JSON.stringify(exported.format)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(exported.json);
  } catch (error) {
    throw new CodegenError(`${EXPORT_FUNCTION}: json is not JSON: ${(error as Error).message}`);
  }
  const document = validateDocument(parsed, `${url} ${EXPORT_FUNCTION}`);
  return { url, site: { release: info.release, version: String(info.version ?? document.moodle.version) }, enabled, document };
}

/**
 * The site root of a `--url` value (no trailing slash). Refuses credentials, query and fragment; its errors never
 * repeat credentials, so call it before the URL is printed.
 */
export function siteRoot(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CodegenError(`--url: not a URL: ${redactUserinfo(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CodegenError(`--url: expected http(s), got ${parsed.protocol}`);
  if (parsed.username || parsed.password || parsed.search || parsed.hash) throw new CodegenError('--url: give the site root only (no credentials, query or fragment)');
  return parsed.toString().replace(/\/+$/, '');
}

/** `scheme://user:pass@rest` → `scheme://***@rest` (everything before the last `@` goes, however malformed the URL). */
function redactUserinfo(raw: string): string {
  const at = raw.lastIndexOf('@');
  if (at === -1) return raw;
  const scheme = /^[a-z][a-z0-9+.-]*:\/*/i.exec(raw)?.[0] ?? '';
  return `${scheme}***${raw.slice(at)}`;
}

async function callRest(url: string, options: LiveSourceOptions, wsfunction: string): Promise<unknown> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(`${url}/webservice/rest/server.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: encodeForm({ wstoken: options.token, wsfunction, moodlewsrestformat: 'json' }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      redirect: 'error',
    });
  } catch (error) {
    throw new CodegenError(`${wsfunction}: request to ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) throw new CodegenError(`${wsfunction}: HTTP ${response.status} from ${url}`);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CodegenError(`${wsfunction}: answer is not JSON (is REST enabled, and is ${url} a Moodle site?)`);
  }
  if (isObject(body) && typeof body.exception === 'string' && typeof body.errorcode === 'string') {
    throw new CodegenError(`${wsfunction}: Moodle error ${body.errorcode}: ${String(body.message ?? '')}`);
  }
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
