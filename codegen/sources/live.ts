import { EXPORT_FUNCTION } from '../../runtime/moodle/plugin.ts';
import { createMoodleClient, MoodleError, type FetchLike, type MoodleClient } from '../../runtime/moodle/index.ts';
import { CodegenError } from '../errors.ts';
import type { FunctionsDocument } from './types.ts';
import { isObject, validateDocument } from './validate.ts';

/** The web-service function of the local_moodlemcp plugin (codegen/moodle/local_moodlemcp). */
export { EXPORT_FUNCTION };

/** Why codegen's token must be a site administrator's, and why that token is for codegen only. */
export const SITE_ADMIN_NEEDED =
  `${EXPORT_FUNCTION} needs a site administrator's token: describing every function of the site requires ` +
  'moodle/site:config and is limited to site administrators. Use such a token for make generate only: the gateway ' +
  "refuses site administrators' tokens at run time (a connection must not act with rights over the whole site), so " +
  'give the gateway a token of a non-admin user';

/** The exported document of a large site is far bigger than a runtime answer (the bundled Moodle 4.5.6 snapshot is about 10 MB). */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface LiveSourceOptions {
  /** Site root, e.g. `https://moodle.example.org` (no trailing /webservice/...). */
  url: string;
  /** Web-service token of a site administrator. Never logged. */
  token: string;
  fetch?: FetchLike;
  /** Deadline of each call. Default 120 000. */
  timeoutMs?: number;
  /** Largest accepted answer. Default 256 MiB. */
  maxResponseBytes?: number;
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
  let client: MoodleClient;
  try {
    client = createMoodleClient({
      url,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs ?? 120_000,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
  } catch (error) {
    throw asCodegenError('live source', url, error);
  }
  const call = async (wsfunction: string): Promise<unknown> => {
    try {
      return await client.call(options.token, wsfunction);
    } catch (error) {
      throw asCodegenError(wsfunction, url, error);
    }
  };

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
  if (info.userissiteadmin === false) throw new CodegenError(SITE_ADMIN_NEEDED);
  let exported: unknown;
  try {
    exported = await client.call(options.token, EXPORT_FUNCTION);
  } catch (error) {
    // Moodle's answer to anyone else is "Change site configuration" (nopermissions on moodle/site:config).
    if (error instanceof MoodleError && error.code === 'nopermissions') throw new CodegenError(`${SITE_ADMIN_NEEDED} (Moodle: ${error.message})`);
    throw asCodegenError(EXPORT_FUNCTION, url, error);
  }
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

/** A MoodleError (its message never carries the token) as a CodegenError naming `what` and, for transport failures, the site. */
function asCodegenError(what: string, url: string, error: unknown): unknown {
  if (!(error instanceof MoodleError)) return error;
  if (error.isTransport) return new CodegenError(`${what}: request to ${url} failed: ${error.message}`);
  if (error.exception !== undefined) return new CodegenError(`${what}: Moodle error ${error.code}: ${error.message}`);
  return new CodegenError(`${what}: ${error.message}`);
}
