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

/**
 * The error body of webservice/pluginfile.php and webservice/upload.php (Moodle's default exception handler writing
 * JSON): `{error, errorcode, stacktrace, debuginfo, reproductionlink}`, recorded in test/fixtures/moodle/files-4.5.6.json.
 */
export interface FileEndpointError {
  status: number;
  errorcode: string;
  message: string;
}

export const FILE_ERRORS = {
  missingToken: { status: 200, errorcode: 'missingparam', message: 'A required parameter (token) was missing' },
  invalidToken: { status: 200, errorcode: 'invalidtoken', message: 'Invalid token - token not found' },
  noPath: { status: 200, errorcode: 'invalidargorconf', message: 'No valid arguments supplied or incorrect server configuration' },
  notAccessible: { status: 200, errorcode: 'requireloginerror', message: 'Course or activity not accessible.' },
  fileNotFound: { status: 404, errorcode: 'filenotfound', message: 'Sorry, the requested file could not be found' },
  missingRecord: (table: string) => ({ status: 200, errorcode: 'invalidrecord', message: `Can't find data record in database table ${table}.` }),
} satisfies Record<string, FileEndpointError | ((table: string) => FileEndpointError)>;

export function fileErrorBody(error: FileEndpointError): string {
  return JSON.stringify({ error: error.message, errorcode: error.errorcode, stacktrace: null, debuginfo: null, reproductionlink: null });
}
