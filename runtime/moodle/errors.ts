/**
 * The one error class of the Moodle layer: Moodle's own errors (HTTP 200 bodies with `errorcode`)
 * and transport failures (our codes). Messages never contain tokens or argument values.
 */

/** Our codes for failures that did not come from Moodle's error body. */
export type TransportErrorCode = 'timeout' | 'network' | 'http_status' | 'response_too_large' | 'bad_json' | 'aborted';

export class MoodleError extends Error {
  override readonly name = 'MoodleError';
  /** Moodle's `errorcode` (`invalidtoken`, `nopermissions`, ...) or a {@link TransportErrorCode}. */
  readonly code: string;
  /** Moodle's exception class (`core\exception\moodle_exception`, ...) when Moodle sent one. */
  readonly exception?: string;
  /** True when repeating the same request may succeed (connection failures). */
  readonly retryable: boolean;
  /** HTTP status for `http_status` errors. */
  readonly status?: number;

  constructor(code: string, message: string, options: { exception?: string; retryable?: boolean; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exception = options.exception;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }

  /** True when the error is a transport failure (ours), false when Moodle answered with an error. */
  get isTransport(): boolean {
    return TRANSPORT_CODES.has(this.code);
  }
}

const TRANSPORT_CODES = new Set<string>(['timeout', 'network', 'http_status', 'response_too_large', 'bad_json', 'aborted']);

/** Reads `{exception, errorcode, message}` (REST server) out of a decoded JSON body, or undefined when it is a result. */
export function restErrorFromBody(body: unknown): MoodleError | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.exception !== 'string' || typeof b.errorcode !== 'string') return undefined;
  const message = typeof b.message === 'string' ? b.message : b.errorcode;
  return new MoodleError(b.errorcode, message, { exception: b.exception });
}

/** Reads `{error, errorcode, stacktrace, debuginfo, reproductionlink}` (login/token.php) out of a decoded JSON body. */
export function tokenErrorFromBody(body: unknown): MoodleError | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.errorcode !== 'string' && typeof b.error !== 'string') return undefined;
  const code = typeof b.errorcode === 'string' ? b.errorcode : 'tokenerror';
  const message = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : code;
  return new MoodleError(code, message, { exception: typeof b.exception === 'string' ? b.exception : undefined });
}
