/**
 * One HTTP exchange with Moodle: POST a urlencoded body, time it out, cap the response size,
 * map transport failures to MoodleError. Node's global fetch keeps connections alive in a pool
 * (undici's global dispatcher), so every client created in one process shares warm connections.
 */
import { MoodleError } from './errors.ts';
import { readTextCapped } from '../shared/read-capped.ts';

export type FetchLike = (request: Request) => Promise<Response>;

export interface ExchangeOptions {
  /** Transport taking a Request (tests pass the simulator's); default: Node's global fetch, called without a Request. */
  fetch?: FetchLike;
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

/** POSTs `body` to `url` and returns the decoded JSON answer (any JSON value, `null` included). */
export async function postForm(url: string, body: string, options: ExchangeOptions): Promise<unknown> {
  // One controller and one timer per exchange: cheaper on the hot path than a Request object, AbortSignal.timeout and
  // AbortSignal.any (measured in bench/hotpath.bench.ts). The timer covers the whole exchange, body included.
  const deadline = exchangeDeadline(options.timeoutMs, options.signal);
  const { signal, describeAbort } = deadline;
  try {
    let response: Response;
    // Never follow: a 307/308 would re-send the token or password to the redirect target, a 301/302 would turn
    // the POST into a body-less GET whose answer is misread. Any 3xx becomes an http_status error below.
    const init: RequestInit = { method: 'POST', headers: FORM_HEADERS, body, signal, redirect: 'manual' };
    try {
      response = options.fetch ? await options.fetch(new Request(url, init)) : await fetch(url, init);
    } catch (error) {
      if (signal.aborted) throw describeAbort(error);
      throw networkError(url, error);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      const target = redirectTarget(url, response);
      const redirect = target ? ` (a redirect to ${target}; set the Moodle URL to the site's address)` : '';
      throw new MoodleError('http_status', `Moodle answered HTTP ${response.status}${redirect} instead of 200.`, { status: response.status });
    }
    let text: string;
    try {
      text = await readCapped(response, options.maxResponseBytes);
    } catch (error) {
      if (error instanceof MoodleError) throw error;
      if (signal.aborted) throw describeAbort(error);
      throw networkError(url, error);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new MoodleError('bad_json', `Moodle's answer is not JSON (${text.length} characters; is the URL a Moodle site with REST enabled?).`);
    }
  } finally {
    deadline.end();
  }
}

/**
 * The signal of one exchange with Moodle: aborted after `timeoutMs` or when `outer` aborts; `describeAbort` names
 * which (MoodleError `timeout` or `aborted`); `end` clears the timer and the listener.
 */
export function exchangeDeadline(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; describeAbort(cause: unknown): MoodleError; end(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    describeAbort: (cause) =>
      timedOut
        ? new MoodleError('timeout', `Moodle did not answer within ${timeoutMs} ms.`, { cause })
        : new MoodleError('aborted', 'The call to Moodle was cancelled.', { cause }),
    end() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

/** The Location of a 3xx answer without credentials, query or fragment (they may carry secrets), or undefined. */
function redirectTarget(url: string, response: Response): string | undefined {
  const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
  if (!location) return undefined;
  try {
    const target = new URL(location, url);
    target.username = target.password = target.search = target.hash = '';
    return target.href;
  } catch {
    return undefined;
  }
}

/** A transport failure reaching `url`'s origin, as MoodleError `network` (retryable). */
export function networkError(url: string, error: unknown): MoodleError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? 'unknown error';
  return new MoodleError('network', `Cannot reach Moodle at ${new URL(url).origin}: ${detail}.`, { retryable: true, cause: error });
}

/** Reads the body as UTF-8 text, aborting as soon as it grows past `max` bytes. */
async function readCapped(response: Response, max: number): Promise<string> {
  const text = await readTextCapped(response.body, response.headers.get('content-length'), max);
  if (text === undefined) throw new MoodleError('response_too_large', `Moodle's answer exceeds the ${max}-byte limit (maxResponseBytes).`);
  return text;
}
