/** A problem in the audit layer: bad sink/webhook configuration, bad CLI input, unreadable audit files. */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}

/**
 * Thrown by the gateway pipeline when `audit.fail_closed` is on and the audit trail cannot be written
 * (`audit.healthy()` is false): the call is refused rather than performed unrecorded.
 */
export class AuditUnavailableError extends AuditError {
  readonly status = 503;
  constructor(readonly sinks: string[] = []) {
    super(`audit trail unavailable (fail_closed): cannot write to ${sinks.length ? sinks.join(', ') : 'an audit sink'}`);
    this.name = 'AuditUnavailableError';
  }
}
