import type { Connection } from '../auth/types.ts';

/** Who is calling, from where: gathered once per HTTP request (or once for stdio) and passed down the pipeline. */
export interface CallContext {
  connection: Connection;
  clientIp: string;
  userAgent?: string;
  sessionId?: string;
  requestId: string;
  /** Aborted when the client goes away or the server shuts down. */
  signal?: AbortSignal;
}
