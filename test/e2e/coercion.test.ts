// End to end: arguments Moodle would accept but JSON clients type loosely (issue 12's five false refusals) pass the
// gateway, and the Moodle simulator receives the coerced, validated values in its REST form.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
const simulator = createSimulator();
const sent: URLSearchParams[] = [];

before(async () => {
  gw = await startTestGateway(undefined, {
    moodleFetch: async (request: Request) => {
      const body = await request.clone().text();
      const form = new URLSearchParams(body);
      if (form.get('wsfunction') !== 'core_webservice_get_site_info') sent.push(form);
      return simulator.fetch(request);
    },
  });
  server = await listen(gw.gateway);
});
after(async () => {
  await server.close();
  await gw.close();
});

const CASES: [string, Record<string, unknown>, Record<string, string>][] = [
  ['core_course_get_contents', { courseid: '2' }, { courseid: '2' }],
  ['core_enrol_get_users_courses', { userid: 6, returnusercount: 1 }, { userid: '6', returnusercount: '1' }],
  ['core_course_get_courses_by_field', { field: 'id', value: 2 }, { field: 'id', value: '2' }],
  ['core_enrol_get_enrolled_users', { courseid: 2, options: [{ name: 'limitnumber', value: 2 }] }, { courseid: '2', 'options[0][name]': 'limitnumber', 'options[0][value]': '2' }],
  ['core_user_get_users_by_field', { field: 'id', values: [7] }, { field: 'id', 'values[0]': '7' }],
];

test('the five false refusals reach Moodle with the coerced values', async () => {
  const client = await connectClient(server.url, 'demo-manager');
  for (const [name, args, form] of CASES) {
    sent.length = 0;
    const result = await client.callTool({ name: 'moodle_call_function', arguments: { name, arguments: args } });
    assert.equal(result.isError, undefined, `${name}: ${text(result)}`);
    const call = sent.find((f) => f.get('wsfunction') === name);
    assert.ok(call, `${name} did not reach Moodle`);
    for (const [key, value] of Object.entries(form)) assert.equal(call.get(key), value, `${name} ${key}`);
  }
  await client.close();
});

test('a value Moodle refuses is refused by the gateway, naming field, expected and given type, and never sent', async () => {
  const client = await connectClient(server.url, 'demo-manager');
  sent.length = 0;
  const result = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_enrol_get_users_courses', arguments: { userid: 6, returnusercount: 'true' } } });
  assert.equal(result.isError, true);
  assert.match(text(result), /returnusercount: expected boolean or null, got a string/);
  assert.equal(sent.filter((f) => f.get('wsfunction') === 'core_enrol_get_users_courses').length, 0);
  await client.close();
});
