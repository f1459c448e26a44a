import { H3, type H3Event } from 'h3';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Connection } from '../auth/types.ts';
import type { CallContext } from '../mcp/context.ts';
import type { Drain } from './drain.ts';
import { checkHostAndOrigin, type HostPolicy } from './guards.ts';
import type { McpSessions } from './sessions.ts';
import { readTextCapped } from '../shared/read-capped.ts';

/** A failed authentication, as the auth layer reports it: mapped to 401/403 with `WWW-Authenticate` here. */
export interface AuthFailure {
  status: number;
  message: string;
  wwwAuthenticate?: string;
}

export interface HttpAppDeps {
  hostPolicy: HostPolicy;
  sessions: McpSessions;
  drain: Drain;
  /** Resolves the bearer credential of a request to a connection, or throws an AuthFailure-shaped error. */
  authenticate(request: Request, clientIp: string): Promise<Connection>;
  /** OAuth and sign-in routes (`/.well-known/*`, `/oauth/*`, ...): a Response, or undefined when not theirs. */
  oauth?(request: Request, clientIp: string): Promise<Response | undefined>;
  readiness(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }>;
  /**
   * Looks at the parsed JSON-RPC body of a POST before the MCP transport does: a Response refuses the whole request
   * at the HTTP level (e.g. 403 insufficient_scope, so that an OAuth client can step up).
   */
  preflight?(body: unknown, ctx: CallContext): Response | undefined;
  /** Every answer, after it is made (metrics), with the request's method and path (already parsed by h3). */
  onResponse?(request: { method: string; pathname: string }, response: Response): void;
  /** `GET /metrics` on this listener (the answer decides 404/401 itself). */
  metrics?(request: Request): Promise<Response>;
  /** Largest accepted POST body (413 past it). */
  bodyLimit: number;
  log: Logger;
}

/** The client address: srvx sets `request.ip` (after its trustProxy rules); tests pass it in the event context. */
export function clientIpOf(event: H3Event): string {
  return (event.req as Request & { ip?: string }).ip ?? (event.context.clientIp as string | undefined) ?? '';
}

function isAuthFailure(error: unknown): error is AuthFailure {
  return !!error && typeof (error as AuthFailure).status === 'number' && typeof (error as AuthFailure).message === 'string';
}

/** The gateway's h3 app: `/mcp`, health endpoints and the OAuth routes. */
export function createHttpApp(deps: HttpAppDeps): H3 {
  const app = new H3({
    onError(error, event) {
      deps.log.error({ err: error.cause ?? error, path: event.url.pathname }, 'http: unhandled error');
    },
    onResponse: deps.onResponse ? (response, event) => deps.onResponse!({ method: event.req.method, pathname: event.url.pathname }, response) : undefined,
  });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.all('/metrics', (event) => metrics(event.req));
  }

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    const result = await deps.readiness();
    return new Response(JSON.stringify({ status: result.ready ? 'ready' : 'not ready', checks: result.checks }), {
      status: result.ready ? 200 : 503,
      headers: { 'content-type': 'application/json' },
    });
  });

  app.all('/mcp', async (event) => {
    const request = event.req;
    const guard = checkHostAndOrigin(request, deps.hostPolicy);
    if (guard) return Response.json({ error: guard.message }, { status: guard.status });
    if (deps.drain.closing) return Response.json({ error: 'Server is shutting down' }, { status: 503, headers: { 'retry-after': '5' } });

    const clientIp = clientIpOf(event);
    let connection: Connection;
    try {
      connection = await deps.authenticate(request, clientIp);
    } catch (error) {
      if (!isAuthFailure(error)) throw error;
      const headers: Record<string, string> = {};
      if (error.wwwAuthenticate) headers['www-authenticate'] = error.wwwAuthenticate;
      return Response.json({ error: error.message }, { status: error.status, headers });
    }
    const ctx: CallContext = {
      connection,
      clientIp,
      userAgent: request.headers.get('user-agent') ?? undefined,
      requestId: request.headers.get('x-request-id')?.slice(0, 100) || randomUUID(),
      signal: request.signal,
    };
    if (request.method !== 'POST') return deps.sessions.handle(request, ctx);
    const text = await readTextCapped(request.body, request.headers.get('content-length'), deps.bodyLimit);
    if (text === undefined) {
      // The rest of the body is not read: close the connection rather than leave it unusable for the next request.
      const error = { jsonrpc: '2.0', error: { code: -32000, message: `Request body exceeds ${deps.bodyLimit} bytes` }, id: null };
      return Response.json(error, { status: 413, headers: { connection: 'close' } });
    }
    // The body is read here once (srvx's request cannot be copied after that): the transport gets it parsed.
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      deps.log.warn({ clientIp, connectionId: connection.id, bytes: Buffer.byteLength(text) }, 'mcp: request body is not JSON (answered 400 Parse error)');
      const error = { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the request body is not JSON' }, id: null };
      return Response.json(error, { status: 400 });
    }
    return deps.preflight?.(body, ctx) ?? deps.sessions.handle(request, ctx, body);
  });

  if (deps.oauth) {
    const oauth = deps.oauth;
    const own = new Set(['/mcp', '/healthz', '/readyz', '/metrics']);
    // OAuth, discovery and sign-in pages; anything they do not claim falls through to h3's 404.
    app.use(async (event) => (own.has(event.url.pathname) ? undefined : oauth(event.req, clientIpOf(event))));
  }
  return app;
}
