// API keys for headless agents, end to end: `keys create` (the CLI) → the key works on /mcp of a running gateway
// → `keys list` shows it used → `keys revoke` → refused at once. Moodle: the simulator over HTTP (a test double).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runKeysCommand } from '../../runtime/cli/keys.ts';
import { createMoodleClient } from '../../runtime/moodle/index.ts';
import { createSimulator, simulatorRoles, startSimulator } from '../../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { memoryStream } from '../helpers/io.ts';
import { connectClient, postInitialize } from '../helpers/mcp-client.ts';

test('keys create → use on /mcp → list → revoke', async () => {
  const simulator = await startSimulator();
  const env = { MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'), AGENT_TOKEN: simulatorRoles.student.token };
  const config = testConfig({ moodle: { url: simulator.url }, audit: { sinks: [] } }, env);
  const configFile = join(config.store.dir, 'moodle-mcp.config.yaml');
  writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
  const gw = await startTestGateway(config, { env });
  const server = await listen(gw.gateway);
  try {
    const out = memoryStream();
    const err = memoryStream();
    const created = await runKeysCommand(['create', '--config', configFile, '--name', 'reporting-bot', '--profile', 'default', '--token-env', 'AGENT_TOKEN'], { env, stdout: out.stream, stderr: err.stream });
    assert.equal(created, 0, err.text());
    const key = /mmcp_[A-Za-z0-9_]+/.exec(out.text())?.[0];
    assert.ok(key, out.text());

    const client = await connectClient(server.url, key);
    const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((info.structuredContent as { username: string }).username, 'emma.johansson');
    await client.close();

    const listed = memoryStream();
    assert.equal(await runKeysCommand(['list', '--config', configFile, '--json'], { env, stdout: listed.stream, stderr: err.stream }), 0);
    const rows = JSON.parse(listed.text()) as { id: string; name: string; lastUsedAt?: string; last_used_at?: string }[];
    const row = rows.find((r) => r.name === 'reporting-bot');
    assert.ok(row, listed.text());
    assert.ok(!listed.text().includes(key!), 'the key is never listed');
    assert.ok(!listed.text().includes(env.AGENT_TOKEN), 'nor the Moodle token');

    assert.equal(await runKeysCommand(['revoke', '--config', configFile, row.id], { env, stdout: memoryStream().stream, stderr: err.stream }), 0);
    const refused = await postInitialize(server.url, key);
    assert.equal(refused.status, 401);
  } finally {
    await server.close();
    await gw.close();
    await simulator.close();
  }
});

test('a stored key whose Moodle user has become a site administrator since is refused (403, audited)', async () => {
  const simulator = createSimulator();
  let promoted = false;
  // The simulator's student, made a site administrator in Moodle after the key was created.
  const moodleFetch = async (request: Request) => {
    const isSiteInfo = (await request.clone().text()).includes('wsfunction=core_webservice_get_site_info');
    const response = await simulator.fetch(request);
    if (!promoted || !isSiteInfo) return response;
    return Response.json({ ...((await response.json()) as object), userissiteadmin: true }, { status: response.status });
  };
  const env = { MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'), AGENT_TOKEN: simulatorRoles.student.token };
  const config = testConfig({ moodle: { url: 'http://moodle.invalid' }, audit: { sinks: [] } }, env);
  const gw = await startTestGateway(config, { env, moodleFetch });
  const server = await listen(gw.gateway);
  try {
    const moodle = createMoodleClient({ url: config.moodle.url, timeoutMs: 5_000, service: config.moodle.service, fetch: moodleFetch });
    const out = memoryStream();
    const err = memoryStream();
    const argv = ['create', '--name', 'promoted', '--profile', 'default', '--token-env', 'AGENT_TOKEN'];
    assert.equal(await runKeysCommand(argv, { env, config, stdout: out.stream, stderr: err.stream, getSiteInfo: (token) => moodle.getSiteInfo(token) }), 0, err.text());
    const key = /mmcp_[A-Za-z0-9_]+/.exec(out.text())?.[0];
    assert.ok(key, out.text());

    promoted = true;
    const refused = await postInitialize(server.url, key);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: string }).error, /site administrator/);
    const records = await gw.audited();
    const failed = records.find((r) => r.event === 'auth.token.rejected');
    assert.equal(failed?.status, 403);
    assert.ok(!JSON.stringify(records).includes(key!) && !JSON.stringify(records).includes(env.AGENT_TOKEN), 'no secret in the audit trail');
  } finally {
    await server.close();
    await gw.close();
  }
});
