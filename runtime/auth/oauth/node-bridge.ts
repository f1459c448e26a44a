import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { readTextCapped } from '../../shared/read-capped.ts';
import { AuthError } from '../errors.ts';

/** A Node (req, res) handler, such as oidc-provider's `provider.callback()`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

const MAX_BODY = 64 * 1024;

/**
 * Runs a Node request handler in process on a web-standard Request and returns a web Response, so oidc-provider
 * can be mounted under any fetch-style server (h3 v2 / srvx) without depending on its Node adapter.
 * `forwarded` sets the protocol and host the handler sees (its `proxy` mode must be on); client-sent
 * X-Forwarded-* headers are dropped. `path` overrides the request path (e.g. RFC 8414 → OIDC discovery).
 * The body is read up to 64 KiB (413 past it, without reading the rest); `rewriteBody` may replace its text.
 */
export async function runNodeHandler(
  handler: NodeHandler,
  request: Request,
  options: { forwarded: { proto: string; host: string }; path?: string; rewriteBody?: (text: string) => string },
): Promise<Response> {
  const text = await readTextCapped(request.body, request.headers.get('content-length'), MAX_BODY);
  // The rest of the body is not read: close the connection rather than leave it unusable for the next request.
  if (text === undefined) return new Response('request body too large', { status: 413, headers: { connection: 'close' } });
  const body = Buffer.from(options.rewriteBody ? options.rewriteBody(text) : text);

  const req = nodeRequest(request, body, options);
  const res = new ServerResponse(req);
  const chunks: Buffer[] = [];
  return new Promise<Response>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.getHeaders())) {
        if (value === undefined) continue;
        if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
        else headers.set(name, String(value));
      }
      const status = res.statusCode;
      const payload = status === 204 || status === 304 || request.method === 'HEAD' ? null : Buffer.concat(chunks);
      resolve(new Response(payload, { status, headers }));
    };
    const collect = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    };
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      res.statusCode = status;
      const headers = rest.find((r) => r && typeof r === 'object') as Record<string, string | string[]> | undefined;
      if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      return res;
    }) as typeof res.writeHead;
    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      collect(chunk, encoding);
      const callback = [encoding, cb].find((f) => typeof f === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
      collect(chunk, encoding);
      (res as { finished: boolean }).finished = true;
      finish();
      res.emit('finish');
      const callback = [chunk, encoding, cb].find((f) => typeof f === 'function') as (() => void) | undefined;
      callback?.();
      return res;
    }) as typeof res.end;
    try {
      const out = handler(req, res);
      if (out && typeof (out as Promise<unknown>).then === 'function')
        (out as Promise<unknown>).then(
          () => (done ? undefined : setImmediate(() => !done && reject(new AuthError('store', 'OAuth handler ended without a response')))),
          reject,
        );
    } catch (err) {
      reject(err);
    }
  });
}

/** A Node IncomingMessage carrying the request's method, path, headers and body (forwarded headers replaced). */
export function nodeRequest(
  request: Request,
  body: Buffer,
  options: { forwarded: { proto: string; host: string }; path?: string },
): IncomingMessage {
  const url = new URL(request.url);
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
  const req = new IncomingMessage(socket);
  req.method = request.method;
  req.url = (options.path ?? url.pathname) + url.search;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  const rawHeaders: string[] = [];
  request.headers.forEach((value, name) => {
    if (name.startsWith('x-forwarded-') || name === 'forwarded') return;
    req.headers[name] = value;
    rawHeaders.push(name, value);
  });
  req.headers['x-forwarded-proto'] = options.forwarded.proto;
  req.headers['x-forwarded-host'] = options.forwarded.host;
  req.headers.host = options.forwarded.host;
  if (body.length) req.headers['content-length'] = String(body.length);
  req.rawHeaders = rawHeaders;
  if (body.length) req.push(body);
  req.push(null);
  return req;
}

