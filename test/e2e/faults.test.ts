// Faults in Moodle and a graceful shutdown under load, through the gateway with the SDK client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import { createGateway } from '../../runtime/gateway/create.ts';
import { createSimulator } from '../../runtime/simulator/index.ts';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { listen, ROOT, testConfig } from '../helpers/gateway.ts';

async function setup(overrides: Record<string, unknown> = {}) {
  const simulator = createSimulator();
  const records: AuditRecord[] = [];
  const gateway = await createGateway({
    config: testConfig(overrides),
    baseDir: ROOT,
    env: {},
    log: pino({ level: 'silent' }),
    moodleFetch: simulator.fetch,
    auditWriters: [{ name: 'memory', maxBatch: 1000, write: async (lines) => void records.push(...lines.map((l) => JSON.parse(l))), close: async () => {} }],
  });
  const server = await listen(gateway);
  const client = new Client({ name: 'faults', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer demo-student' } } }));
  return { simulator, gateway, server, client, records };
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

test('a Moodle that does not answer in time gives a clear, audited timeout error, not a hang', async () => {
  const { simulator, gateway, server, client, records } = await setup({ moodle: { timeout_ms: 300 } });
  try {
    simulator.injectFault({ fault: { kind: 'delay', ms: 2_000 }, endpoint: 'rest' });
    const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(result.isError, true);
    assert.match(text(result), /^timeout: /);
    await gateway.audit.flush();
    const rec = records.find((r) => r.event === 'tools/call' && r.moodle_function === 'core_course_get_contents');
    assert.equal(rec?.status, 502);
    assert.equal(rec?.moodle_errorcode, 'timeout');
  } finally {
    await client.close();
    await server.close();
    await gateway.close();
  }
});

test('Moodle answering HTTP 500 or dropping the connection is a tool error, and the gateway keeps serving', async () => {
  const { simulator, gateway, server, client } = await setup();
  try {
    simulator.injectFault({ fault: { kind: 'status', status: 500 }, endpoint: 'rest' });
    const failed = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(failed.isError, true);
    assert.match(text(failed), /http_status/);
    // A read is retried once after a dropped connection; three drops exhaust the retries.
    simulator.injectFault({ fault: { kind: 'drop' }, endpoint: 'rest', times: 3 });
    const dropped = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(dropped.isError, true);
    assert.match(text(dropped), /network/);
    const ok = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(ok.isError, undefined);
  } finally {
    await client.close();
    await server.close();
    await gateway.close();
  }
});

test('a Moodle that cannot be reached to check a token is a 503, not audited as a refused sign-in', async () => {
  const { simulator, gateway, server, client, records } = await setup();
  try {
    // demo-teacher's token is not in the identity cache yet: checking it needs Moodle (a read: retried once).
    simulator.injectFault({ fault: { kind: 'drop' }, endpoint: 'rest', times: 3 });
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: 'Bearer demo-teacher', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 503);
    assert.match(((await response.json()) as { error: string }).error, /Moodle is unreachable/);
    await gateway.audit.flush();
    assert.deepEqual(records.filter((r) => r.event === 'auth.signin.failed'), []);
  } finally {
    await client.close();
    await server.close();
    await gateway.close();
  }
});

test('graceful shutdown waits for calls in flight, loses no audit record, and refuses new calls', async () => {
  const { simulator, gateway, server, client, records } = await setup();
  try {
    simulator.injectFault({ fault: { kind: 'delay', ms: 300 }, endpoint: 'rest', times: 20 });
    const calls = Array.from({ length: 20 }, () => client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } }));
    const deadline = Date.now() + 5_000;
    while (gateway.drain.inFlight < 20) {
      assert.ok(Date.now() < deadline, `only ${gateway.drain.inFlight} of 20 calls in flight after 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const closing = gateway.close();
    const refused = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: 'Bearer demo-student', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 503);
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.isError === undefined), 'every call in flight completed');
    await closing;
    const audited = records.filter((r) => r.event === 'tools/call' && r.decision === 'allowed');
    assert.equal(audited.length, 20);
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
});
