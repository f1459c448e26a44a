// End to end: a policy refusal reaches the AI client in the language of the connection's Moodle user (site info
// `lang`), while the audit trail keeps the policy's English reasons. Moodle: the simulator (a test double) whose site
// info answers are given the language `de` here, as Moodle reports a German-speaking person.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

test('refusals in the person’s Moodle language; audit in English', async () => {
  const simulator = createSimulator();
  const german = async (request: Request) => {
    const body = await request.clone().text();
    const response = await simulator.fetch(request);
    if (!body.includes('wsfunction=core_webservice_get_site_info')) return response;
    const info = await response.json();
    return Response.json({ ...info, lang: 'de' });
  };
  const gw = await startTestGateway(testConfig(), { moodleFetch: german });
  const server = await listen(gw.gateway);
  try {
    const client = await connectClient(server.url, 'demo-student');
    const result = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'tool_mobile_call_external_functions', arguments: { requests: [{ function: 'core_webservice_get_site_info' }] } } });
    assert.equal(result.isError, true);
    assert.match(text(result), /^denied: Die Richtlinie des Gateways hat tool_mobile_call_external_functions abgelehnt\./);
    assert.match(text(result), /- das Gateway ist schreibgeschützt: schreibende Funktionen sind deaktiviert/);
    assert.match(text(result), /- die Funktion tool_mobile_call_external_functions ist durch das Muster 'tool_mobile_call_external_functions' gesperrt/);
    await client.close();
    const denied = (await gw.audited()).find((r) => r.event === 'tools/call' && r.decision === 'denied');
    assert.deepEqual(denied?.reasons, ['the gateway is read-only: write functions are disabled', "function tool_mobile_call_external_functions is denied by pattern 'tool_mobile_call_external_functions'"]);
  } finally {
    await server.close();
    await gw.close();
  }
});
