import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { runNodeHandler } from '../../runtime/auth/oauth/node-bridge.ts';

const forwarded = { proto: 'https', host: 'mcp.example.edu' };

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

describe('runNodeHandler (oidc-provider under a fetch-style server)', () => {
  it('passes method, path, query, headers and body; returns status, headers (several Set-Cookie) and body', async () => {
    const response = await runNodeHandler(
      async (req, res) => {
        const seen = { method: req.method, url: req.url, host: req.headers.host, proto: req.headers['x-forwarded-proto'], xff: req.headers['x-forwarded-for'], body: await body(req) };
        res.statusCode = 201;
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.setHeader('content-type', 'application/json');
        res.write('{"seen":');
        res.end(JSON.stringify(seen) + '}');
      },
      new Request('http://127.0.0.1:3000/oauth/token?x=1', { method: 'POST', headers: { 'x-forwarded-for': '6.6.6.6', 'content-type': 'text/plain' }, body: 'hello' }),
      { forwarded },
    );
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    assert.deepEqual((await response.json()).seen, { method: 'POST', url: '/oauth/token?x=1', host: 'mcp.example.edu', proto: 'https', body: 'hello' });
  });

  it('rewrites the path, supports writeHead, and sends no body for 204', async () => {
    const response = await runNodeHandler(
      (req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(204, { 'x-path': req.url! });
        res.end();
      },
      new Request('http://127.0.0.1/.well-known/oauth-authorization-server'),
      { forwarded, path: '/.well-known/openid-configuration' },
    );
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('x-path'), '/.well-known/openid-configuration');
    assert.equal(await response.text(), '');
  });

  it('413 for a body over 64 KiB; a handler error rejects', async () => {
    const big = await runNodeHandler(() => undefined, new Request('http://x/oauth/token', { method: 'POST', body: 'x'.repeat(70_000) }), { forwarded });
    assert.equal(big.status, 413);
    await assert.rejects(runNodeHandler(async () => { throw new Error('boom'); }, new Request('http://x/'), { forwarded }), /boom/);
  });
});
