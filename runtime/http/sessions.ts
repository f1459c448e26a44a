import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { randomUUID } from 'node:crypto';
import type { CallContext } from '../mcp/context.ts';

export interface McpSessionsOptions {
  stateful: boolean;
  idleMs: number;
  bodyLimit: number;
  /** Open sessions in total and per connection; past either, the least recently used session ends. */
  maxSessions: number;
  maxSessionsPerConnection: number;
  newServer(): Server;
  /** `reason`: why a session ended (client, idle, evicted, shutdown). */
  onSession?(event: 'session.start' | 'session.end', sessionId: string, ctx: CallContext, reason?: string): void;
}

/** What `/readyz` reports about sessions. */
export interface SessionStats {
  stateful: boolean;
  open: number;
  max: number;
  maxPerConnection: number;
  evicted: number;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  connectionId: string;
  ctx: CallContext;
  lastSeen: number;
}

const jsonRpcError = (status: number, code: number, message: string, headers?: Record<string, string>) =>
  Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status, headers });

/**
 * The `/mcp` endpoint's sessions: one low-level Server and transport per MCP session (stateful, with
 * `Mcp-Session-Id`), or one per request (stateless). A session is bound to the connection that opened it.
 * Sessions are capped in total and per connection: opening one past a cap ends the least recently used one.
 */
export class McpSessions {
  /** In least-recently-used order: a session used again moves to the end. */
  private readonly sessions = new Map<string, Session>();
  private readonly perConnection = new Map<string, number>();
  private evicted = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: McpSessionsOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** `parsedBody`: the JSON body when the caller already read it. */
  async handle(request: Request, ctx: CallContext, parsedBody?: unknown): Promise<Response> {
    // POST carries every message; DELETE ends a stateful session. GET (a standalone SSE stream) is refused with 405,
    // as MCP 2025-11-25 allows: the gateway never sends unsolicited messages, and an open stream with nothing to push
    // would hold a connection (the SDK client treats 405 as "no stream offered").
    const allow = this.options.stateful ? 'POST, DELETE' : 'POST';
    if (request.method !== 'POST' && !(this.options.stateful && request.method === 'DELETE')) {
      // A body is not read: it is cancelled and the connection closed, or the client's next request on it is reset.
      const hasBody = request.body !== null && request.headers.get('content-length') !== '0';
      if (hasBody) await request.body?.cancel().catch(() => {});
      return jsonRpcError(405, -32000, `Method not allowed: /mcp accepts ${allow}`, hasBody ? { allow, connection: 'close' } : { allow });
    }
    const authInfo = { token: '', clientId: ctx.connection.client?.id ?? ctx.connection.id, scopes: ctx.connection.scopes, extra: { ctx } };
    if (!this.options.stateful) return this.handleStateless(request, authInfo, parsedBody);

    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      // A session of another connection looks exactly like an unknown one.
      if (!session || session.connectionId !== ctx.connection.id) return jsonRpcError(404, -32001, 'Session not found');
      session.lastSeen = Date.now();
      this.sessions.delete(sessionId);
      this.sessions.set(sessionId, session);
      authInfo.extra.ctx = { ...ctx, sessionId };
      return session.transport.handleRequest(request, { authInfo, parsedBody });
    }
    if (request.method === 'DELETE') return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');

    const server = this.options.newServer();
    let opened: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.options.bodyLimit,
      onsessioninitialized: (id) => {
        opened = { transport, server, connectionId: ctx.connection.id, ctx: { ...ctx, sessionId: id }, lastSeen: Date.now() };
        this.makeRoomFor(opened.connectionId);
        this.sessions.set(id, opened);
        this.perConnection.set(opened.connectionId, (this.perConnection.get(opened.connectionId) ?? 0) + 1);
        this.options.onSession?.('session.start', id, opened.ctx);
      },
      onsessionclosed: (id) => this.end(id, 'closed by the client'),
    });
    await server.connect(transport);
    const response = await transport.handleRequest(request, { authInfo, parsedBody });
    if (!opened) await server.close(); // not an initialize request: nothing to keep
    return response;
  }

  private async handleStateless(request: Request, authInfo: { token: string; clientId: string; scopes: string[]; extra: { ctx: CallContext } }, parsedBody?: unknown) {
    const server = this.options.newServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: this.options.bodyLimit,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { authInfo, parsedBody });
    } finally {
      await server.close();
    }
  }

  /** Ends least recently used sessions until one more fits under both caps. */
  private makeRoomFor(connectionId: string): void {
    const { maxSessions, maxSessionsPerConnection } = this.options;
    for (const [id, session] of this.sessions) {
      if ((this.perConnection.get(connectionId) ?? 0) < maxSessionsPerConnection) break;
      if (session.connectionId === connectionId) this.evict(id, `evicted: server.max_sessions_per_connection (${maxSessionsPerConnection}) reached`);
    }
    while (this.sessions.size >= maxSessions) {
      this.evict(this.sessions.keys().next().value!, `evicted: server.max_sessions (${maxSessions}) reached`);
    }
  }

  private evict(id: string, reason: string): void {
    this.evicted++;
    this.end(id, reason);
  }

  /** Ends a session: its server and transport close (open streams end, later requests get 404). */
  private end(id: string, reason: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const left = (this.perConnection.get(session.connectionId) ?? 1) - 1;
    if (left > 0) this.perConnection.set(session.connectionId, left);
    else this.perConnection.delete(session.connectionId);
    this.options.onSession?.('session.end', id, session.ctx, reason);
    void session.server.close().catch(() => {});
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleMs;
    const reason = `idle for ${Math.round(this.options.idleMs / 60_000)} minutes`;
    for (const [id, session] of this.sessions) if (session.lastSeen < cutoff) this.end(id, reason);
  }

  /** Open sessions, caps and evictions so far (for `/readyz`). */
  stats(): SessionStats {
    const { stateful, maxSessions, maxSessionsPerConnection } = this.options;
    return { stateful, open: this.sessions.size, max: maxSessions, maxPerConnection: maxSessionsPerConnection, evicted: this.evicted };
  }

  /** Ends every session (graceful shutdown). */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.end(id, 'gateway shutting down');
  }
}
