/** A gateway-level failure to admit a caller (token refused by Moodle, admin token, Moodle unreachable): HTTP status at the edge. */
export class GatewayAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly wwwAuthenticate?: string,
  ) {
    super(message);
    this.name = 'GatewayAuthError';
  }
}
