// Session caps: per connection and in total, least recently used evicted, the eviction audited, counts in /readyz.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway, testConfig } from '../helpers/gateway.ts';
import { INITIALIZE } from '../helpers/mcp-client.ts';

test('sessions are capped per connection and in total: the least recently used one ends, audited with the reason', async () => {
  const gw = await startTestGateway(testConfig({ server: { max_sessions: 3, max_sessions_per_connection: 2 } }));
  const app = gw.gateway.app;
  const post = (key: string, body: unknown, sessionId?: string) =>
    app.request(
      'http://127.0.0.1:3000/mcp',
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
        },
        body: JSON.stringify(body),
      },
      { clientIp: '127.0.0.1' },
    );
  const open = async (key: string) => {
    const response = await post(key, INITIALIZE);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    return response.headers.get('mcp-session-id')!;
  };
  const status = async (key: string, sessionId: string) => {
    const response = await post(key, { jsonrpc: '2.0', id: 2, method: 'ping' }, sessionId);
    await response.body?.cancel();
    return response.status;
  };
  try {
    const s1 = await open('demo-student');
    const s2 = await open('demo-student');
    const s3 = await open('demo-student'); // the student's third: s1 (least recently used) ends
    assert.equal(await status('demo-student', s1), 404);
    assert.equal(await status('demo-student', s2), 200); // s2 is now the most recently used
    const s4 = await open('demo-student'); // ends s3, not s2
    assert.equal(await status('demo-student', s3), 404);
    assert.equal(await status('demo-student', s2), 200);
    const t1 = await open('demo-teacher'); // 3 open: s4, s2, t1
    const m1 = await open('demo-manager'); // over the total: s4 (least recently used of all) ends
    assert.equal(await status('demo-student', s4), 404);
    for (const [key, id] of [['demo-student', s2], ['demo-teacher', t1], ['demo-manager', m1]] as const) assert.equal(await status(key, id), 200);

    const ends = (await gw.audited()).filter((r) => r.event === 'session.end');
    assert.deepEqual(
      ends.map((r) => [r.session_id, r.detail]),
      [
        [s1, 'evicted: server.max_sessions_per_connection (2) reached'],
        [s3, 'evicted: server.max_sessions_per_connection (2) reached'],
        [s4, 'evicted: server.max_sessions (3) reached'],
      ],
    );
    assert.equal(ends[0]?.moodle_username, 'emma.johansson');

    const ready = (await (await app.request('http://127.0.0.1:3000/readyz')).json()) as { checks: Record<string, Record<string, unknown>> };
    assert.deepEqual(ready.checks.sessions, { ok: true, detail: '3 open (at most 3, 2 per connection; 3 evicted)', open: 3, max: 3, max_per_connection: 2, evicted: 3 });
  } finally {
    await gw.close();
  }
  const closed = (await gw.audited()).filter((r) => r.event === 'session.end').slice(3);
  assert.equal(closed.length, 3);
  assert.ok(closed.every((r) => r.detail === 'gateway shutting down'));
});

test('the caps are configurable and validated', () => {
  assert.equal(testConfig().server.max_sessions, 1000);
  assert.equal(testConfig().server.max_sessions_per_connection, 20);
  assert.throws(() => testConfig({ server: { max_sessions: 0 } }), /server\.max_sessions/);
});
