import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from '../../runtime/audit/errors.ts';
import { createAudit } from '../../runtime/audit/logger.ts';
import {
  DELIVERY_HEADER,
  createWebhook,
  matchesWebhook,
  DEFAULT_WEBHOOK_EVENTS,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../runtime/audit/webhook.ts';
import { captureLogger, fullRecord, startServer, tempDir, waitFor } from './helpers.ts';

const SECRET = 'webhook-test-secret';

test('signature scheme: HMAC-SHA256 over "<timestamp>.<body>", verified with tolerance', () => {
  const body = '{"event":"rate_limit.hit"}';
  const sig = signWebhookBody(body, 1_700_000_000, SECRET);
  assert.match(sig, /^sha256=[0-9a-f]{64}$/);
  const headers = { 'X-Moodle-MCP-Signature': sig, 'X-Moodle-MCP-Timestamp': '1700000000' };
  assert.equal(verifyWebhookSignature(body, headers, SECRET, { now: 1_700_000_100 }), true);
  assert.equal(verifyWebhookSignature(body, new Headers(headers), SECRET, { now: 1_700_000_100 }), true);
  assert.equal(verifyWebhookSignature(body + ' ', headers, SECRET, { now: 1_700_000_100 }), false, 'body changed');
  assert.equal(verifyWebhookSignature(body, headers, 'other', { now: 1_700_000_100 }), false, 'wrong secret');
  assert.equal(verifyWebhookSignature(body, headers, SECRET, { now: 1_700_001_000 }), false, 'too old (replay)');
  assert.equal(verifyWebhookSignature(body, { ...headers, 'X-Moodle-MCP-Timestamp': '1700000001' }, SECRET, { now: 1_700_000_100 }), false);
  assert.equal(verifyWebhookSignature(body, {}, SECRET), false);
});

test('selectors: event or event:decision; defaults are failed sign-ins, rejected tokens, refused client metadata, denied calls, rate-limit hits', () => {
  const defaults = DEFAULT_WEBHOOK_EVENTS;
  assert.deepEqual(defaults, ['auth.signin.failed', 'auth.token.rejected', 'auth.client_metadata.refused', 'tools/call:denied', 'rate_limit.hit']);
  assert.equal(matchesWebhook(fullRecord({ event: 'auth.token.rejected', decision: 'denied' }), defaults), true);
  assert.equal(matchesWebhook(fullRecord({ event: 'auth.client_metadata.refused', decision: 'denied' }), defaults), true);
  assert.equal(matchesWebhook(fullRecord({ decision: 'denied' }), defaults), true);
  assert.equal(matchesWebhook(fullRecord({ decision: 'allowed' }), defaults), false);
  assert.equal(matchesWebhook(fullRecord({ event: 'auth.signin.failed', decision: undefined }), defaults), true);
  assert.equal(matchesWebhook(fullRecord({ event: 'rate_limit.hit' }), defaults), true);
  assert.equal(matchesWebhook(fullRecord({ event: 'policy.rejected' }), defaults), false);
});

test('webhook fires signed events only for matching records and retries after a failure', async (t) => {
  const { url, received } = await startServer(t, (i) => (i === 0 ? 500 : 200));
  const { logger, lines } = captureLogger();
  const audit = createAudit({
    sinks: [],
    webhook: { url, secret_env: 'HOOK_SECRET' },
    env: { HOOK_SECRET: SECRET },
    webhookTuning: { baseDelayMs: 1, maxDelayMs: 5 },
    logger,
  });
  audit.record(fullRecord({ decision: 'allowed', request_id: 'ignored' }));
  audit.record(fullRecord({ decision: 'denied', request_id: 'denied-1' }));
  audit.record(fullRecord({ event: 'auth.signin.failed', decision: undefined, request_id: 'signin-1' }));
  await audit.close();
  assert.equal(received.length, 3, 'one failed attempt, then two deliveries');
  assert.equal(received[0].body, received[1].body, 'the failed delivery was retried');
  assert.equal(received[0].headers[DELIVERY_HEADER], received[1].headers[DELIVERY_HEADER], 'same delivery id on retry');
  for (const r of received) {
    assert.equal(verifyWebhookSignature(r.body, r.headers as Record<string, string>, SECRET), true);
    assert.equal(r.headers['content-type'], 'application/json');
  }
  assert.deepEqual(received.slice(1).map((r) => JSON.parse(r.body).request_id), ['denied-1', 'signin-1']);
  assert.deepEqual(received.slice(1).map((r) => r.headers['x-moodle-mcp-event']), ['tools/call', 'auth.signin.failed']);
  const stats = audit.stats().webhook!;
  assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, failures: stats.failures, queued: stats.queued }, { sent: 2, dropped: 0, failures: 1, queued: 0 });
  assert.equal(lines.join('').includes(SECRET), false, 'secret never logged');
});

test('webhook: bounded queue drops and counts, gives up after max attempts, secret from file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  const { url, received } = await startServer(t, () => 503);
  const hook = createWebhook(
    { url, secret_file: join(dir, 'secret'), events: ['tools/call'] },
    { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3, queueSize: 2, logger: captureLogger().logger },
  );
  for (let i = 0; i < 5; i++) hook.offer(fullRecord({ request_id: `r${i}` }));
  assert.equal(hook.stats().dropped, 3, 'beyond the queue of 2');
  await hook.flush();
  assert.equal(received.length, 6, '3 attempts each');
  assert.equal(verifyWebhookSignature(received[0].body, received[0].headers as Record<string, string>, SECRET), true);
  assert.deepEqual({ sent: hook.stats().sent, dropped: hook.stats().dropped }, { sent: 0, dropped: 5 });
  await hook.close(10);
});

test('webhook configuration errors are clear', () => {
  assert.throws(() => createWebhook({ url: 'http://127.0.0.1:1/' }), (e: unknown) => e instanceof AuditError && /secret_env or secret_file/.test((e as Error).message));
  assert.throws(() => createWebhook({ url: 'http://127.0.0.1:1/', secret_env: 'X' }, { env: {} }), /secret_env.*X is not set/);
  assert.throws(() => createWebhook({ url: 'ftp://x/', secret_env: 'X' }, { env: { X: 'y' } }), /audit\.webhook\.url/);
});

test('close() gives up on an unreachable webhook within its timeout and counts the drop', async (t) => {
  const { url } = await startServer(t, () => 500);
  const hook = createWebhook({ url, secret_env: 'S' }, { env: { S: SECRET }, baseDelayMs: 60_000, maxDelayMs: 60_000 });
  hook.offer(fullRecord({ decision: 'denied' }));
  await waitFor(() => hook.stats().failures === 1, 'first failure');
  await hook.close(20);
  assert.equal(hook.stats().dropped, 1);
  assert.equal(hook.stats().queued, 0);
});

test('webhook queue bound counts the delivery being retried; drops go to the drop handler', async (t) => {
  const { url } = await startServer(t, () => 503);
  const drops: [string, number, string][] = [];
  const hook = createWebhook(
    { url, secret_env: 'S' },
    { env: { S: SECRET }, queueSize: 1, baseDelayMs: 60_000, maxDelayMs: 60_000, onDrop: (...drop) => void drops.push(drop) },
  );
  hook.offer(fullRecord({ decision: 'denied', request_id: 'first' }));
  await waitFor(() => hook.stats().failures === 1, 'first failure');
  hook.offer(fullRecord({ decision: 'denied', request_id: 'second' }));
  assert.deepEqual({ queued: hook.stats().queued, dropped: hook.stats().dropped }, { queued: 1, dropped: 1 });
  assert.deepEqual(drops, [['webhook', 1, 'buffer full']]);
  await hook.close(10);
  assert.equal(hook.stats().dropped, 2);
});

test('webhook deliveries given up are reported in the audit drop log', async (t) => {
  const { url, received } = await startServer(t, () => 500);
  const { logger, lines } = captureLogger();
  const audit = createAudit({
    sinks: [],
    webhook: { url, secret_env: 'HOOK_SECRET' },
    env: { HOOK_SECRET: SECRET },
    webhookTuning: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 },
    logger,
  });
  audit.record(fullRecord({ decision: 'denied' }));
  await audit.flush();
  await audit.close();
  assert.equal(received.length, 2);
  assert.equal(audit.stats().webhook!.dropped, 1);
  const dropLog = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'audit records dropped');
  assert.deepEqual(dropLog?.dropped, { webhook: 1 });
  assert.equal(lines.join('').includes(SECRET), false, 'secret never logged');
});
