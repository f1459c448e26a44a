/** I/O helpers for tests: a text-capturing stream, a recording HTTP receiver, polling for a condition. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';

/** Polls a condition (no timing assertion: only a generous upper bound so a bug fails instead of hanging). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what = 'condition', maxMs = 10_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Collects everything written to it (stdout/stderr of a CLI command, log lines); `text` decodes all chunks at once,
 * so a multi-byte character split across two writes stays whole.
 */
export class TextSink extends Writable {
  readonly #chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.#chunks.push(Buffer.from(chunk));
    cb();
  }
  get text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** A TextSink as `{ stream, text() }`. */
export function memoryStream(): { stream: Writable; text(): string } {
  const stream = new TextSink();
  return { stream, text: () => stream.text };
}

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** HTTP server on 127.0.0.1:0 answering with `status(requestIndex)`; records every request; closed after the test. */
export async function startServer(
  t: { after(fn: () => Promise<void> | void): void },
  status: (index: number, req: Received) => number = () => 200,
  respond: (req: Received) => string = () => '{}',
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const code = status(received.length, r);
      received.push(r);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(code < 300 ? respond(r) : '{"error":"failing on purpose"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/ingest`, received, server };
}
