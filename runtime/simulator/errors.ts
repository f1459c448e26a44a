/**
 * A Moodle error as the simulator answers it: the REST error body `{exception, errorcode, message}`.
 * `detail` says (to simulator logs and tests only) why; Moodle itself sends no debuginfo with debugging off.
 */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';
  constructor(
    readonly errorcode: string,
    message: string,
    readonly exception: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export const invalidParameter = (detail: string) =>
  new SimulatorError('invalidparameter', 'Invalid parameter value detected', 'core\\exception\\invalid_parameter_exception', detail);

export const invalidToken = () => new SimulatorError('invalidtoken', 'Invalid token - token not found', 'core\\exception\\moodle_exception');

export const missingRecord = (table: string) =>
  new SimulatorError('invalidrecord', `Can't find data record in database table ${table}.`, 'dml_missing_record_exception');

export const courseContextNotValid = (courseid: number) =>
  new SimulatorError(
    'errorcoursecontextnotvalid',
    `You cannot execute functions in the course context (course id:${courseid}). The context error message was: Course or activity not accessible.`,
    'core\\exception\\moodle_exception',
  );

export const requireLogin = () => new SimulatorError('requireloginerror', 'Course or activity not accessible.', 'core\\exception\\require_login_exception');

export const noPermissions = (capabilityName: string) =>
  new SimulatorError(
    'nopermissions',
    `Sorry, but you do not currently have permissions to do that (${capabilityName}).`,
    'core\\exception\\required_capability_exception',
  );
