// The audit trail of a running gateway: allowed, denied and failing calls in the file sink, exported as CSV by the
// CLI; the security webhook receiving a signed denial; a planted secret nowhere. (Moodle: the simulator, a test double.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifyWebhookSignature } from '../../runtime/audit/webhook.ts';
import { runAuditCommand } from '../../runtime/cli/audit.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { memoryStream, startServer } from '../helpers/io.ts';
import { connectClient } from '../helpers/mcp-client.ts';

test('file sink, CSV export and signed webhook for allowed, denied and failing calls', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moodle-mcp-audit-'));
  const file = join(dir, 'audit.jsonl');
  const { url: hookUrl, received } = await startServer(t, () => 204, () => '');
  const env = { HOOK_SECRET: 'webhook-secret-0123456789' };
  const gw = await startTestGateway(testConfig({ audit: { sinks: [{ type: 'file', path: file }], webhook: { url: hookUrl, secret_env: 'HOOK_SECRET' } } }, env), { env });
  const server = await listen(gw.gateway);
  const planted = 'planted-argument-value-7f3a9';
  try {
    const client = await connectClient(server.url, 'demo-teacher', { 'user-agent': 'audit-e2e/1.0' });
    await client.listTools();
    assert.equal((await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } })).isError, undefined);
    const denied = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_group_create_groups', arguments: { groups: [{ courseid: 2, name: planted, description: 'x' }] } } });
    assert.equal(denied.isError, true);
    const failed = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_enrol_get_enrolled_users', arguments: { courseid: 4 } } });
    assert.equal(failed.isError, true);
    await client.close();
  } finally {
    await server.close();
    await gw.close(); // flushes the file sink and the webhook
  }

  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const calls = lines.filter((r) => r.event === 'tools/call');
  assert.deepEqual(calls.map((r) => r.decision), ['allowed', 'denied', 'error']);
  for (const r of calls) {
    for (const field of ['timestamp', 'request_id', 'session_id', 'connection_id', 'moodle_user_id', 'moodle_username', 'auth_method', 'client_ip', 'user_agent', 'tool', 'moodle_function', 'access', 'arg_keys', 'status', 'duration_ms', 'policy_version'])
      assert.ok(r[field] !== undefined, `${r.decision} record has ${field}`);
  }
  assert.equal(calls[2].moodle_errorcode, 'errorcoursecontextnotvalid');
  assert.ok(lines.some((r) => r.event === 'tools/list'));
  assert.ok(lines.some((r) => r.event === 'session.start'));
  assert.ok(!readFileSync(file, 'utf8').includes(planted), 'argument values never reach the audit trail');

  // The CLI export as CSV: a header and one row per selected record.
  const out = memoryStream();
  assert.equal(await runAuditCommand(['export', '--file', file, '--decision', 'denied', '--format', 'csv'], { stdout: out.stream, stderr: memoryStream().stream }), 0);
  const rows = out.text().trim().split('\r\n');
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^timestamp,/);
  assert.match(rows[1], /core_group_create_groups/);

  // The webhook got the denial, signed.
  const delivery = received.find((d) => JSON.parse(d.body).decision === 'denied');
  assert.ok(delivery, 'the denial was delivered');
  assert.equal(verifyWebhookSignature(delivery.body, delivery.headers, env.HOOK_SECRET), true);
  assert.equal(verifyWebhookSignature(delivery.body, delivery.headers, 'wrong-secret'), false);
});
