// Client ID Metadata Documents must not become a blind SSRF: an anonymous caller chooses the client_id URL, so the
// gateway refuses non-public targets before connecting, pins the connection to the checked address, follows no
// redirects, bounds the answer and rate-limits the fetches.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { createMetadataFetch, nonPublicAddress, type Resolver } from '../../runtime/auth/oauth/metadata-fetch.ts';
import { REDIRECT, startHarness, type Harness } from './oauth-harness.ts';

/** A TCP listener on loopback that counts the connections it gets (and closes them). */
async function countingListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, connections: () => count, close: () => new Promise((r) => server.close(() => r())) };
}

async function authorizeWith(h: Harness, clientId: string): Promise<Response> {
  const url = new URL(`${h.base}/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'api.read',
    code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256', state: 's',
  }).toString();
  return fetch(url, { redirect: 'manual' });
}

const refusals = (h: Harness) => h.audit.filter((r) => r.event === 'auth.client_metadata.refused');

describe('Client ID Metadata Documents: address checks', () => {
  it('classifies addresses with ipaddr.js: only public unicast passes', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '240.0.0.1', '255.255.255.255', '192.0.2.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'ff02::1', '2001:db8::1', '2002:7f00:1::1', '64:ff9b::7f00:1', '2001::1'])
      assert.ok(nonPublicAddress(address), `${address} must be refused`);
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(nonPublicAddress(address), undefined, address);
    assert.match(nonPublicAddress('169.254.169.254')!, /link-local/);
    assert.match(nonPublicAddress('100.64.0.1')!, /carrier-grade NAT/);
  });

  let listener: Awaited<ReturnType<typeof countingListener>>;
  let h: Harness;
  const resolved: string[] = [];
  const resolve: Resolver = async (host) => {
    resolved.push(host);
    if (host === 'mixed.example') return [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }];
    if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    if (host === 'rebind.example') return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
  before(async () => {
    listener = await countingListener();
    h = await startHarness({ clientMetadata: { resolve } });
  });
  after(async () => {
    await h.close();
    await listener.close();
  });

  it('refuses a client_id on 127.0.0.1 without any connection attempt, and audits why', async () => {
    const r = await authorizeWith(h, `https://127.0.0.1:${listener.port}/client.json`);
    assert.equal(r.status, 400);
    assert.match(await r.text(), /invalid_client/);
    assert.equal(listener.connections(), 0, 'no connection to the loopback listener');
    const [record] = refusals(h);
    assert.equal(record.client_id, `https://127.0.0.1:${listener.port}/client.json`);
    assert.equal(record.decision, 'denied');
    assert.match(record.reasons![0], /127\.0\.0\.1 is a loopback address/);
  });

  it('refuses IPv6 loopback and IPv4-mapped literals, host names resolving to loopback, and a name with one private address among public ones', async () => {
    for (const clientId of [`https://[::1]:${listener.port}/c.json`, `https://[::ffff:127.0.0.1]:${listener.port}/c.json`, `https://localhost:${listener.port}/c.json`, `https://mixed.example:${listener.port}/c.json`]) {
      const r = await authorizeWith(h, clientId);
      assert.equal(r.status, 400, clientId);
    }
    assert.equal(listener.connections(), 0);
    assert.ok(resolved.includes('localhost') && resolved.includes('mixed.example'));
    assert.ok(refusals(h).some((r) => /10\.0\.0\.7 is a private address/.test(r.reasons![0])), 'every resolved address is checked');
  });

  it('the fetch itself checks again at connect time (a rebinding answer after the first check is refused)', async () => {
    const guarded = createMetadataFetch({ resolve });
    await assert.rejects(guarded(`https://rebind.example:${listener.port}/c.json`), /loopback address/);
    await assert.rejects(guarded(`http://93.184.215.14/c.json`), /https only/);
    assert.equal(listener.connections(), 0);
  });
});

describe('Client ID Metadata Documents: bounded in time', () => {
  it('a resolver that never answers, and a server that never answers, are given up after timeoutMs', async () => {
    const { checkedAddresses } = await import('../../runtime/auth/oauth/metadata-fetch.ts');
    await assert.rejects(checkedAddresses('slow.example', { resolve: () => new Promise(() => undefined), timeoutMs: 200 }), /slow\.example does not resolve \(ETIMEOUT\)/);
    const held: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as { port: number };
      const guarded = createMetadataFetch({ allowPrivate: true, timeoutMs: 300 });
      await assert.rejects(guarded(`https://127.0.0.1:${port}/c.json`), /no answer within 300 ms/);
      assert.equal(held.length, 1);
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('Client ID Metadata Documents: fetching (private targets allowed, as in tests)', { skip: !hasOpenssl && 'openssl is not installed (needed for a test certificate)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcp-cimd-'));
  let server: HttpsServer;
  let port = 0;
  let requests = 0;
  const paths: string[] = [];
  let ca: Buffer;
  const served = new Map<string, (res: import('node:http').ServerResponse) => void>();
  const lookups: string[] = [];
  // client.test exists only in this resolver: the connection can reach the server only through the checked answer.
  const resolve: Resolver = async (host) => {
    lookups.push(host);
    return [{ address: '127.0.0.1', family: 4 }];
  };
  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=client.test', '-addext', 'subjectAltName=DNS:client.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'));
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
      requests++;
      paths.push(req.url ?? '');
      const answer = served.get(req.url ?? '');
      if (answer) answer(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches the document from the checked address (pinned: one DNS answer), with redirects not followed and large answers refused', async () => {
    const clientId = `https://client.test:${port}/client.json`;
    served.set('/client.json', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: clientId, client_name: 'Pinned Client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })));
    served.set('/moved.json', (res) => res.writeHead(302, { location: `https://client.test:${port}/target.json` }).end());
    served.set('/big.json', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pad: 'x'.repeat(100_000) })));
    const h = await startHarness({ clientMetadata: { allowPrivate: true, resolve, ca, fetchesPerMinute: 3 } });
    try {
      const ok = await authorizeWith(h, clientId);
      assert.equal(ok.status, 303, 'a valid document leads to the sign-in page');
      assert.equal(requests, 1);
      assert.deepEqual(lookups, ['client.test', 'client.test'], 'checked once before the fetch, once by the fetch itself');

      lookups.length = 0;
      const direct = createMetadataFetch({ allowPrivate: true, resolve, ca });
      const body = await (await direct(clientId)).json();
      assert.equal(body.client_name, 'Pinned Client', 'the connection went to the checked address');
      assert.deepEqual(lookups, ['client.test'], 'one DNS answer, checked and used');
      const moved = await direct(`https://client.test:${port}/moved.json`);
      assert.equal(moved.status, 302, 'a redirect is returned, never followed');
      assert.equal(requests, 3);
      await assert.rejects(direct(`https://client.test:${port}/big.json`), /larger than 65536 bytes/);

      const redirected = await authorizeWith(h, `https://client.test:${port}/moved.json`);
      assert.equal(redirected.status, 400);
      assert.ok(paths.includes('/moved.json') && !paths.includes('/target.json'), 'the redirect target was never fetched');
    } finally {
      await h.close();
    }
  });

  it('rate-limits the fetches: past oauth.client_metadata.fetches_per_minute nothing is fetched', async () => {
    served.set('/missing.json', (res) => res.writeHead(404).end());
    const h = await startHarness({ clientMetadata: { allowPrivate: true, resolve, ca, fetchesPerMinute: 2 } });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await authorizeWith(h, `https://client.test:${port}/missing.json?n=${i}`)).status, 400);
      assert.ok(paths.includes('/missing.json?n=1'));
      assert.equal(refusals(h).length, 0);
      const before = requests;
      for (let i = 2; i < 4; i++) assert.equal((await authorizeWith(h, `https://client.test:${port}/missing.json?n=${i}`)).status, 400);
      assert.equal(requests, before, 'nothing fetched past the limit');
      assert.equal(refusals(h).length, 2, 'one refusal audited per request');
      assert.match(refusals(h)[0].reasons![0], /fetches_per_minute/);
    } finally {
      await h.close();
    }
  });
});
