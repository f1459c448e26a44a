// Public OAuth endpoints read request bodies only up to their limit: past it, 413 without buffering the rest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runNodeHandler } from '../../runtime/auth/oauth/node-bridge.ts';
import { startHarness, type Harness } from './oauth-harness.ts';

/** A streamed body of `count` chunks of `size` bytes without a Content-Length; `pulled()` counts chunks produced. */
function streamed(url: string, size: number, count = 100, headers: Record<string, string> = {}) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= count) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x78));
    },
  });
  const request = new Request(url, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
  return { request, pulled: () => pulled };
}

describe('request body limits on the OAuth endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('runNodeHandler stops reading past 64 KiB: 413, the handler is not run', async () => {
    const { request, pulled } = streamed('http://x/oauth/token', 16 * 1024);
    let ran = false;
    const response = await runNodeHandler(() => void (ran = true), request, { forwarded: { proto: 'https', host: 'x' } });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal(ran, false);
    assert.ok(pulled() < 10, `read ${pulled()} of 100 chunks`);
  });

  for (const path of ['/oauth/token', '/oauth/register']) {
    it(`${path}: an oversized streamed body gets 413 without being buffered whole`, async () => {
      const { request, pulled } = streamed(`${h.base}${path}`, 16 * 1024, 100, { 'content-type': path.endsWith('token') ? 'application/x-www-form-urlencoded' : 'application/json' });
      const response = await h.oauth.handle(request);
      assert.equal(response?.status, 413);
      assert.ok(pulled() < 10, `read ${pulled()} of 100 chunks`);
    });
  }

  it('sign-in forms: a body over 16 KiB gets 413 without being buffered whole', async () => {
    const { request, pulled } = streamed(`${h.base}/connections/login`, 1024, 100, { 'content-type': 'application/x-www-form-urlencoded' });
    const response = await h.oauth.handle(request);
    assert.equal(response?.status, 413);
    assert.equal(response?.headers.get('connection'), 'close');
    assert.ok(pulled() < 25, `read ${pulled()} of 100 chunks`);
  });
});
