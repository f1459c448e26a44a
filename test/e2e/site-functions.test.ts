// The gateway connected to a site whose functions differ from the catalog's: a Moodle 5.0.6 site (its site info lists
// the recorded 5.0.6 function list, served over the simulator) whose service also leaves out
// mod_forum_get_forums_by_courses, so that the site lacks a function whatever generated/ holds (the bundled 4.5.6
// catalog, or one from 5.0.6). Functions the site does not offer are refused with a clear, audited tool error and are
// neither listed, found nor described, without any extra Moodle call; the first site info is compared with the
// catalog in the log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';
import { MOODLE_506, siteInfoAs } from '../helpers/other-site.ts';

const GONE = 'mod_forum_get_forums_by_courses'; // in every catalog; left out of this site's service
const SITE = { ...MOODLE_506, functions: MOODLE_506.functions.filter((n) => n !== GONE) };
let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let client: Client;
const moodleCalls: string[] = [];
const logLines: { level: number; msg: string }[] = [];

before(async () => {
  const site = siteInfoAs(createSimulator().fetch, SITE);
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
  // The gateway's own file tools are in no site's function list, and stay listed (the read one: the gateway is read-only).
  assert.ok(tools.some((t) => t.name === 'moodle_read_file'), tools.map((t) => t.name).join());
  const found = JSON.parse(text(await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'forums in my courses', component: 'mod_forum', limit: 50 } }))) as { functions: { name: string }[] };
  const names = found.functions.map((f) => f.name);
  assert.ok(names.includes('mod_forum_get_forum_discussions'), 'functions the site offers are found as before');
  assert.ok(!names.includes(GONE), names.join());
  for (const gone of gw.gateway.catalog.functions.map((f) => f.name).filter((n) => !SITE.functions.includes(n))) {
    assert.ok(!names.includes(gone), gone);
  }
  const described = await client.callTool({ name: 'moodle_describe_function', arguments: { name: GONE } });
  assert.equal(described.isError, true);
  assert.equal((await client.callTool({ name: 'moodle_describe_function', arguments: { name: 'mod_forum_get_forum_discussions' } })).isError, undefined);
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
        `(the site lacks the function, or the token's service does not enable it; the catalog was generated from Moodle ${gw.gateway.catalog.catalog.moodle.release})`,
    );
  }
  assert.deepEqual(moodleCalls.slice(before), [], 'no Moodle call: the list came with the identity');
  const records = (await gw.audited()).filter((r) => r.event === 'tools/call' && r.moodle_function === GONE);
  assert.equal(records.length, 2);
  for (const r of records) {
    assert.equal(r.decision, 'error');
    assert.equal(r.status, 404);
    assert.match(r.reasons?.[0] ?? '', /does not offer mod_forum_get_forums_by_courses to this connection/);
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
  const { catalog } = gw.gateway;
  const lacks = catalog.functions.map((f) => f.name).filter((n) => !SITE.functions.includes(n));
  assert.ok(notices[0].msg.startsWith(`Moodle site ${MOODLE_506.release} vs the catalog (Moodle ${catalog.catalog.moodle.release}, ${catalog.functions.length} functions): `), notices[0].msg);
  assert.match(notices[0].msg, new RegExp(`the site does not offer ${lacks.length} catalog functions? to this token: [a-z_, ]*${lacks.length > 5 ? `, \\.\\.\\. \\(${lacks.length - 5} more\\)` : ''}[;.]`));
  assert.match(notices[0].msg, /Calls to the functions it does not offer are refused \(function_not_on_site\)/);
  assert.match(notices[0].msg, /make generate MOODLE_URL=http:\/\/moodle-simulator\.invalid MOODLE_TOKEN=<a site administrator's token>/);
});
