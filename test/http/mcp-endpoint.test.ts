// The /mcp endpoint's HTTP edge over a real socket (srvx): bodies that are not JSON, methods it does not serve.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { INITIALIZE, postMcp } from '../helpers/mcp-client.ts';

/** A gateway whose operational log lines are kept (to check what one bad request logs). */
async function gatewayWithLog(overrides: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const gw = await startTestGateway(testConfig(overrides), { log: pino({ level: 'info' }, sink) });
  const server = await listen(gw.gateway);
  return { gw, server, lines, close: async () => (await server.close(), await gw.close()) };
}

let stateful: Awaited<ReturnType<typeof gatewayWithLog>>;
let stateless: Awaited<ReturnType<typeof gatewayWithLog>>;
before(async () => {
  stateful = await gatewayWithLog();
  stateless = await gatewayWithLog({ server: { sessions: 'stateless' } });
});
after(async () => {
  await stateful.close();
  await stateless.close();
});

const headers = { authorization: 'Bearer demo-student', 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const raw = (url: string, method: string, body?: string, extra: Record<string, string> = {}) =>
  fetch(`${url}/mcp`, { method, headers: { ...headers, ...extra }, body, signal: AbortSignal.timeout(5000) });

async function openSession(url: string): Promise<string> {
  const init = await postMcp(url, 'demo-student', INITIALIZE);
  assert.equal(init.status, 200);
  await init.body?.cancel();
  return init.headers.get('mcp-session-id')!;
}

for (const [label, body] of [['malformed JSON', '{"jsonrpc":"2.0","id":1,'], ['empty', ''], ['binary', '\u0000\u0001garbage']] as const) {
  test(`request body ${label}: 400 with JSON-RPC -32700 and one log line without a stack trace`, async () => {
    for (const gateway of [stateful, stateless]) {
      const before = gateway.lines.length;
      const response = await raw(gateway.server.url, 'POST', body);
      assert.equal(response.status, 400);
      const answer = (await response.json()) as { jsonrpc: string; error: { code: number; message: string }; id: null };
      assert.equal(answer.jsonrpc, '2.0');
      assert.equal(answer.error.code, -32700);
      assert.match(answer.error.message, /Parse error/);
      assert.equal(answer.id, null);
      const logged = gateway.lines.slice(before);
      assert.equal(logged.length, 1, logged.join('\n'));
      assert.doesNotMatch(logged[0]!, /stack|at .*\.ts:\d+/);
      assert.match(logged[0]!, /not JSON/);
    }
  });
}

test('stateful GET /mcp with a valid session answers 405 at once (the gateway pushes nothing on a standalone stream)', async () => {
  const sessionId = await openSession(stateful.server.url);
  const response = await raw(stateful.server.url, 'GET', undefined, { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get('allow'), 'POST, DELETE');
  const answer = (await response.json()) as { error: { code: number } };
  assert.equal(answer.error.code, -32000);
});

test('stateless GET and DELETE /mcp answer 405 with Allow: POST', async () => {
  for (const method of ['GET', 'DELETE']) {
    const response = await raw(stateless.server.url, method, undefined, { accept: 'text/event-stream' });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get('allow'), 'POST', method);
    await response.body?.cancel();
  }
});

test('PUT, PATCH without a session (and with one) answer 405', async () => {
  const sessionId = await openSession(stateful.server.url);
  for (const [gateway, allow] of [[stateful, 'POST, DELETE'], [stateless, 'POST']] as const) {
    for (const method of ['PUT', 'PATCH']) {
      for (const extra of [{}, { 'mcp-session-id': sessionId }] as Record<string, string>[]) {
        const response = await raw(gateway.server.url, method, JSON.stringify(INITIALIZE), extra);
        assert.equal(response.status, 405, `${method} ${JSON.stringify(extra)}`);
        assert.equal(response.headers.get('allow'), allow);
        await response.body?.cancel();
      }
    }
  }
});

test('DELETE still ends a stateful session', async () => {
  const sessionId = await openSession(stateful.server.url);
  const ended = await raw(stateful.server.url, 'DELETE', undefined, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  assert.equal(ended.status, 200);
  await ended.body?.cancel();
});


test('a 405 to a request with a large body closes the connection: the next request on a kept-alive socket is not reset', async () => {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${stateful.server.url}/mcp`, { method, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal(await send('PUT', 'x'.repeat(400_000)), 405);
      assert.equal(await send('POST', JSON.stringify(INITIALIZE)), 200);
    }
  } finally {
    agent.destroy();
  }
});
