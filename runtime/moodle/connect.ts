/**
 * The gateway's side of the local_moodlemcp connect flow (docs: README "Sign in with Moodle"): `connectinfo.php` (is
 * the flow on?), the browser's `connect.php` address, `redeem.php` (one-time code + PKCE verifier + shared secret →
 * a new Moodle token for this connection) and `revoke.php` (deletes a token the plugin issued). Server-to-server
 * answers are JSON, errors included; every failure is a MoodleError (the plugin's `error` as its code, the HTTP status
 * kept). Never logs; the secret, codes and tokens never reach error messages.
 */
import { MoodleError } from './errors.ts';
import type { FetchLike } from './http.ts';
import { readTextCapped } from '../shared/read-capped.ts';

const PLUGIN_PATH = '/local/moodlemcp';
const MAX_ANSWER = 64 * 1024;

/** What `connectinfo.php` says about the plugin. */
export interface ConnectInfo {
  enabled: boolean;
  release?: string;
}

/** The token `redeem.php` hands over for one code. */
export interface RedeemedToken {
  token: string;
  userid: number;
  /** Unix seconds; 0 = no expiry. */
  validuntil: number;
  service: string;
}

/** The parameters of the browser's trip to `connect.php`. */
export interface ConnectRequest {
  returnTo: string;
  state: string;
  codeChallenge: string;
  client: string;
  gateway: string;
  /** Unix seconds; 0 = none. */
  validUntil: number;
}

export interface MoodleConnect {
  /** True when a secret was given (redeem possible). */
  readonly hasSecret: boolean;
  /** `<moodle>/local/moodlemcp/connect.php?…` for the browser. */
  connectUrl(request: ConnectRequest): string;
  info(): Promise<ConnectInfo>;
  /** Throws MoodleError with the plugin's code (`invalid_grant`, `invalid_client`, `invalid_request`) or a transport code. */
  redeem(input: { code: string; verifier: string; redirectUri: string }): Promise<RedeemedToken>;
  /** True when the plugin deleted the token, false when it did not know it (idempotent). */
  revoke(token: string): Promise<boolean>;
}

export interface MoodleConnectOptions {
  /** The Moodle site's base URL (the normalised MoodleClient.url). */
  url: string;
  /** The plugin's connectsecret; without it redeem() fails with `no_secret` (connectinfo and revoke need none). */
  secret?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

/** The trimmed display name (connect.php takes at most 100 characters). */
const displayName = (name: string) => [...name.trim()].slice(0, 100).join('');

export function createMoodleConnect(o: MoodleConnectOptions): MoodleConnect {
  const base = `${o.url.replace(/\/+$/, '')}${PLUGIN_PATH}`;
  const timeoutMs = o.timeoutMs ?? 15_000;

  async function exchange(script: string, init: RequestInit, limitMs = timeoutMs): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = `${base}/${script}`;
    const signal = AbortSignal.timeout(limitMs);
    let response: Response;
    try {
      const request = new Request(url, { ...init, signal, redirect: 'manual', headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } });
      response = o.fetch ? await o.fetch(request) : await fetch(request);
    } catch (error) {
      if (signal.aborted) throw new MoodleError('timeout', `${script} did not answer within ${limitMs} ms.`, { cause: error });
      throw new MoodleError('network', `${script} could not be reached (${(error as Error)?.message ?? 'network error'}).`, { cause: error, retryable: true });
    }
    let text: string | undefined;
    try {
      text = await readTextCapped(response.body, response.headers.get('content-length'), MAX_ANSWER);
    } catch (error) {
      if (signal.aborted) throw new MoodleError('timeout', `${script} did not answer within ${limitMs} ms.`, { cause: error });
      throw new MoodleError('network', `${script}'s answer broke off (${(error as Error)?.message ?? 'network error'}).`, { cause: error, retryable: true });
    }
    if (text === undefined) throw new MoodleError('response_too_large', `${script} answered more than ${MAX_ANSWER} bytes.`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // An HTML page: the plugin is missing (404) or too old, or a proxy answered.
      throw new MoodleError(response.status === 200 ? 'bad_json' : 'http_status', `${script} answered HTTP ${response.status} without JSON (is local_moodlemcp installed and up to date?).`, { status: response.status });
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new MoodleError('bad_json', `${script} answered JSON that is not an object.`, { status: response.status });
    return { status: response.status, body: body as Record<string, unknown> };
  }

  const pluginError = (script: string, status: number, body: Record<string, unknown>) => {
    const code = typeof body.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? body.error : 'http_status';
    const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 300) : `HTTP ${status}`;
    return new MoodleError(code, `${script}: ${description}`, { status });
  };

  return {
    hasSecret: !!o.secret,
    connectUrl(r) {
      const query = new URLSearchParams({
        return_to: r.returnTo, state: r.state, code_challenge: r.codeChallenge, code_challenge_method: 'S256',
        client: displayName(r.client), gateway: displayName(r.gateway), valid_until: String(Math.max(0, Math.floor(r.validUntil))),
      });
      return `${base}/connect.php?${query}`;
    },
    async info() {
      // Asked while a sign-in page is being rendered: a short wait (a failure just means Moodle sign-in is not offered).
      const { status, body } = await exchange('connectinfo.php', { method: 'GET' }, Math.min(timeoutMs, 5_000));
      if (status !== 200) throw pluginError('connectinfo.php', status, body);
      const connect = body.connect as { enabled?: unknown } | undefined;
      return { enabled: body.component === 'local_moodlemcp' && connect?.enabled === true, release: typeof body.release === 'string' ? body.release : undefined };
    },
    async redeem({ code, verifier, redirectUri }) {
      if (!o.secret) throw new MoodleError('no_secret', 'the gateway has no connect secret (oauth.moodle_connect_secret_env)');
      const { status, body } = await exchange('redeem.php', { method: 'POST', body: new URLSearchParams({ code, code_verifier: verifier, redirect_uri: redirectUri, secret: o.secret }).toString() });
      if (status !== 200) throw pluginError('redeem.php', status, body);
      const { token, userid, validuntil, service } = body;
      if (typeof token !== 'string' || !/^[A-Za-z0-9]{8,128}$/.test(token) || typeof userid !== 'number')
        throw new MoodleError('bad_json', 'redeem.php answered without a token and user id.');
      return { token, userid, validuntil: typeof validuntil === 'number' ? validuntil : 0, service: typeof service === 'string' ? service : '' };
    },
    async revoke(token) {
      const { status, body } = await exchange('revoke.php', { method: 'POST', body: new URLSearchParams({ token }).toString() });
      if (status !== 200 || typeof body.revoked !== 'boolean') throw pluginError('revoke.php', status, body);
      return body.revoked;
    },
  };
}
