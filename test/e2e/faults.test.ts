// Faults in Moodle and a graceful shutdown under load, through the gateway with the SDK client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

async function setup(overrides: Record<string, unknown> = {}) {
  const simulator = createSimulator();
  const gw = await startTestGateway(testConfig(overrides), { moodleFetch: simulator.fetch });
  const server = await listen(gw.gateway);
  const client = await connectClient(server.url, 'demo-student');
  return { simulator, gateway: gw.gateway, audited: gw.audited, server, client };
}

test('a Moodle that does not answer in time gives a clear, audited timeout error, not a hang', async () => {
  const { simulator, gateway, audited, server, client } = await setup({ moodle: { timeout_ms: 300 } });
  try {
    simulator.injectFault({ fault: { kind: 'delay', ms: 2_000 }, endpoint: 'rest' });
    const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(result.isError, true);
    assert.match(text(result), /^timeout: /);
    const rec = (await audited()).find((r) => r.event === 'tools/call' && r.moodle_function === 'core_course_get_contents');
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
  const { simulator, gateway, audited, server, client } = await setup();
  try {
    // demo-teacher's token is not in the identity cache yet: checking it needs Moodle (a read: retried once).
    simulator.injectFault({ fault: { kind: 'drop' }, endpoint: 'rest', times: 3 });
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { authorization: 'Bearer demo-teacher', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 503);
    assert.match(((await response.json()) as { error: string }).error, /Moodle is unreachable/);
    assert.deepEqual((await audited()).filter((r) => r.event === 'auth.token.rejected' || r.event === 'auth.signin.failed'), []);
  } finally {
    await client.close();
    await server.close();
    await gateway.close();
  }
});

test('graceful shutdown waits for calls in flight, loses no audit record, and refuses new calls', async () => {
  const { simulator, gateway, audited, server, client } = await setup();
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
    const allowed = (await audited()).filter((r) => r.event === 'tools/call' && r.decision === 'allowed');
    assert.equal(allowed.length, 20);
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
});
