// The gateway connected to a site whose functions differ from the catalog's (a Moodle 5.0.6 site: its site info, from
// the recorded 5.0.6 function list, served over the simulator; the catalog is the bundled 4.5.6 one): functions the
// site does not offer are refused with a clear, audited tool error and are neither listed nor found, without any
// extra Moodle call, and the first site info is compared with the catalog in the log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';
import { MOODLE_506, siteInfoAs } from '../helpers/other-site.ts';

const GONE = 'mod_chat_get_chats_by_courses'; // in the 4.5.6 catalog, removed in Moodle 5.0
let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let client: Client;
const moodleCalls: string[] = [];
const logLines: { level: number; msg: string }[] = [];

before(async () => {
  const site = siteInfoAs(createSimulator().fetch, MOODLE_506);
  const moodleFetch = async (request: Request) => {
    moodleCalls.push(new URLSearchParams(await request.clone().text()).get('wsfunction') ?? '');
    return site(request);
  };
  const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const config = testConfig({ expose: { meta: true, direct: ['core_webservice_get_site_info', GONE] } });
  gw = await startTestGateway(config, { moodleFetch, log });
  server = await listen(gw.gateway);
  client = await connectClient(server.url, 'demo-teacher');
});
after(async () => {
  await client?.close();
  await server?.close();
  await gw?.close();
});

test('a function the site does not offer is neither listed, found nor described', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).filter((n) => !n.startsWith('moodle_')), ['core_webservice_get_site_info']);
  const found = JSON.parse(text(await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'chat sessions', limit: 50 } }))) as { functions: { name: string }[] };
  assert.ok(found.functions.length > 0);
  assert.ok(!found.functions.some((f) => f.name.startsWith('mod_chat_')), found.functions.map((f) => f.name).join());
  const described = await client.callTool({ name: 'moodle_describe_function', arguments: { name: GONE } });
  assert.equal(described.isError, true);
  // Functions the site offers are listed as before.
  const forum = JSON.parse(text(await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'forum discussions' } }))) as { functions: { name: string }[] };
  assert.ok(forum.functions.some((f) => f.name === 'mod_forum_get_forum_discussions'));
});

test('a call to it, direct or through moodle_call_function, is a tool error naming the function and why, audited, and Moodle is not asked', async () => {
  const before = moodleCalls.length;
  const results = [
    await client.callTool({ name: GONE, arguments: { courseids: [2] } }),
    await client.callTool({ name: 'moodle_call_function', arguments: { name: GONE, arguments: { courseids: [2] } } }),
  ];
  for (const result of results) {
    assert.equal(result.isError, true);
    assert.equal(
      text(result),
      `function_not_on_site: ${GONE} is not available on the connected Moodle site.\n` +
        `- the Moodle site (${MOODLE_506.release}) does not offer ${GONE} to this connection: its token's site info does not list it ` +
        "(the site lacks the function, or the token's service does not enable it; the catalog was generated from Moodle 4.5.6 (Build: 20250811))",
    );
  }
  assert.deepEqual(moodleCalls.slice(before), [], 'no Moodle call: the list came with the identity');
  const records = (await gw.audited()).filter((r) => r.event === 'tools/call' && r.moodle_function === GONE);
  assert.equal(records.length, 2);
  for (const r of records) {
    assert.equal(r.decision, 'error');
    assert.equal(r.status, 404);
    assert.match(r.reasons?.[0] ?? '', /does not offer mod_chat_get_chats_by_courses to this connection/);
    assert.deepEqual(r.arg_keys, ['courseids[]']);
  }
  // A function the site offers is called as before, with no site-info call of its own.
  const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  assert.equal(info.isError, undefined);
  assert.equal(moodleCalls.filter((f) => f === 'core_webservice_get_site_info').length, 2, 'one to identify the connection, one for the call itself');
});

test("the site's function list is compared with the catalog once, in the log: counts, first names, the regenerate commands", () => {
  const notices = logLines.filter((l) => l.msg.startsWith('Moodle site '));
  assert.equal(notices.length, 1, JSON.stringify(notices));
  assert.equal(notices[0].level, 40, 'warn');
  assert.match(notices[0].msg, /^Moodle site 5\.0\.6\+ \(Build: 20260403\) vs the catalog \(Moodle 4\.5\.6 \(Build: 20250811\), 759 functions\): the site does not offer 18 catalog functions to this token: core_grades_get_enrolled_users_for_search_widget, .*, \.\.\. \(13 more\); the site offers 13 functions the catalog lacks: /);
  assert.match(notices[0].msg, /calls to the functions it does not offer are refused \(function_not_on_site\)/);
  assert.match(notices[0].msg, /make generate MOODLE_URL=http:\/\/moodle-simulator\.invalid MOODLE_TOKEN=<a site administrator's token>/);
});
