/**
 * Moodle REST client: calls web-service functions as the token's user (`/webservice/rest/server.php`,
 * PHP-style form arguments, `moodlewsrestformat=json`) and gets tokens from `login/token.php`.
 * Retries only read functions, only on connection failures. Never logs; tokens never reach error messages.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MoodleError, restErrorFromBody, tokenErrorFromBody } from './errors.ts';
import { encodeForm } from './form.ts';
import { postForm, type FetchLike } from './http.ts';
import type { SiteInfo } from './site-info.ts';

export interface MoodleClientOptions {
  /** Site base URL, e.g. `https://moodle.example.edu` (a path prefix is kept). */
  url: string;
  /** Whole exchange deadline (request, wait, body). Default 30 000. */
  timeoutMs?: number;
  /** Largest accepted answer; bigger bodies are aborted while streaming. Default 32 MiB. */
  maxResponseBytes?: number;
  /** Extra attempts for read functions after a connection failure. Default 2. */
  retries?: number;
  /** First backoff between attempts (doubles each time). Default 100. */
  retryDelayMs?: number;
  /** Service short name for {@link MoodleClient.tokenLogin}. Default `mcp`. */
  service?: string;
  /** Transport (tests pass the simulator's `fetch`). Default: Node's global fetch (keep-alive pool). */
  fetch?: FetchLike;
}

export interface CallOptions {
  /** `read` enables retries on connection failures; anything else (the default) never retries. */
  access?: 'read' | 'write';
  signal?: AbortSignal;
}

export interface TokenLoginResult {
  token: string;
  /** Moodle only returns one over https for some setups; null otherwise. */
  privateToken: string | null;
}

export interface MoodleClient {
  /** Calls `fn` with `args`; resolves with Moodle's JSON answer as is (object, list, scalar or null). */
  call(token: string, fn: string, args?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** `core_webservice_get_site_info` for the token's user. */
  getSiteInfo(token: string, options?: { signal?: AbortSignal }): Promise<SiteInfo>;
  /** Exchanges a username and password for a token of `service` (`login/token.php`). */
  tokenLogin(username: string, password: string, service?: string, options?: { signal?: AbortSignal }): Promise<TokenLoginResult>;
  /** The normalised site base URL. */
  readonly url: string;
}

const FUNCTION_NAME = /^[a-z][a-z0-9_]*$/;

/** Creates a client for one Moodle site. Throws MoodleError `invalid_config` for a bad URL or limits. */
export function createMoodleClient(options: MoodleClientOptions): MoodleClient {
  const base = normaliseBaseUrl(options.url);
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
  const maxResponseBytes = positive('maxResponseBytes', options.maxResponseBytes ?? 32 * 1024 * 1024);
  const retries = Math.max(0, Math.floor(options.retries ?? 2));
  const retryDelayMs = Math.max(0, options.retryDelayMs ?? 100);
  const fetchImpl: FetchLike | undefined = options.fetch;
  const restUrl = `${base}/webservice/rest/server.php`;
  const tokenUrl = `${base}/login/token.php`;

  async function call(token: string, fn: string, args: Record<string, unknown> = {}, callOptions: CallOptions = {}) {
    requireToken(token);
    if (typeof fn !== 'string' || !FUNCTION_NAME.test(fn)) {
      throw new MoodleError('invalid_request', 'The function name must be lower-case letters, digits and underscores (e.g. core_course_get_contents).');
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      throw new MoodleError('invalid_request', `The arguments of ${fn} must be an object of named parameters.`);
    }
    const reserved = ['wstoken', 'wsfunction', 'moodlewsrestformat'].find((k) => k in args);
    if (reserved) throw new MoodleError('invalid_request', `"${reserved}" is set by the client and cannot be an argument.`);
    const body = new URLSearchParams([['wstoken', token], ['wsfunction', fn], ['moodlewsrestformat', 'json']]).toString();
    const encoded = encodeForm(args);
    const form = encoded ? `${body}&${encoded}` : body;
    const attempts = callOptions.access === 'read' ? 1 + retries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await postForm(restUrl, form, { fetch: fetchImpl, timeoutMs, maxResponseBytes, signal: callOptions.signal });
        const error = restErrorFromBody(answer);
        if (error) throw error;
        return answer;
      } catch (error) {
        if (!(error instanceof MoodleError) || !error.retryable || attempt >= attempts) throw error;
        await sleep(retryDelayMs * 2 ** (attempt - 1), callOptions.signal);
      }
    }
  }

  return {
    url: base,
    call,
    async getSiteInfo(token, siteOptions = {}) {
      const info = await call(token, 'core_webservice_get_site_info', {}, { access: 'read', signal: siteOptions.signal });
      if (!info || typeof info !== 'object' || typeof (info as SiteInfo).userid !== 'number') {
        throw new MoodleError('bad_json', 'core_webservice_get_site_info did not return site information.');
      }
      return info as SiteInfo;
    },
    async tokenLogin(username, password, service = options.service ?? 'mcp', loginOptions = {}) {
      if (typeof username !== 'string' || !username) throw new MoodleError('invalid_request', 'username is required.');
      if (typeof password !== 'string' || !password) throw new MoodleError('invalid_request', 'password is required.');
      const body = new URLSearchParams({ username, password, service }).toString();
      const answer = await postForm(tokenUrl, body, { fetch: fetchImpl, timeoutMs, maxResponseBytes, signal: loginOptions.signal });
      const error = tokenErrorFromBody(answer);
      if (error) throw error;
      const token = (answer as { token?: unknown })?.token;
      if (typeof token !== 'string' || !token) throw new MoodleError('bad_json', 'login/token.php answered without a token.');
      const privateToken = (answer as { privatetoken?: unknown }).privatetoken;
      return { token, privateToken: typeof privateToken === 'string' ? privateToken : null };
    },
  };
}

function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Whatever precedes an @ may be credentials: never repeat it.
    throw new MoodleError('invalid_config', `The Moodle URL "${String(url).replace(/^([^/]*\/\/)?[^/]*@/, '$1***@')}" is not a valid absolute URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new MoodleError('invalid_config', `The Moodle URL must use http or https, not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new MoodleError('invalid_config', 'The Moodle URL must not contain credentials, a query or a fragment.');
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new MoodleError('invalid_config', `${name} must be a positive number, got ${value}.`);
  return value;
}

function requireToken(token: string) {
  if (typeof token !== 'string' || token.length === 0) throw new MoodleError('invalid_request', 'A Moodle token is required.');
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') throw new MoodleError('aborted', 'The call to Moodle was cancelled.');
    throw error;
  }
}
