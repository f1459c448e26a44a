// Editing a profile changes what clients can list and call, without a restart and without touching TypeScript;
// an invalid edit keeps the previous profiles in force.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyError } from '../../runtime/policy/errors.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';

test('a profile edit applied by reloadConfig changes tools/list and tools/call at once', async () => {
  const gw = await startTestGateway();
  const server = await listen(gw.gateway);
  try {
    const client = await connectClient(server.url, 'demo-student');
    const before = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(before.includes('mod_forum_get_forums_by_courses'));
    const version = gw.gateway.policy.version;

    const restart = gw.gateway.reloadConfig(testConfig({ profiles: { demo: { scopes: ['api.read'], allow: ['*'], deny: ['mod_forum_*'] } } }));
    assert.ok(!restart.includes('profiles'));
    assert.notEqual(gw.gateway.policy.version, version, 'the policy version changes with its data');
    const after = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(!after.includes('mod_forum_get_forums_by_courses'));
    const refused = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'mod_forum_get_forums_by_courses', arguments: { courseids: [2] } } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /denied by pattern 'mod_forum_\*'/);

    // A section that cannot change at run time is reported, not applied.
    assert.deepEqual(gw.gateway.reloadConfig(testConfig({ server: { port: 4000 } })).filter((s) => s === 'server'), ['server']);
    await client.close();
  } finally {
    await server.close();
    await gw.close();
  }
});

test('invalid policy data is refused and the previous decisions stay in force', async () => {
  const gw = await startTestGateway();
  try {
    const version = gw.gateway.policy.version;
    const broken = testConfig();
    (broken.profiles.demo as { ip_allow: unknown }).ip_allow = 'not-a-list';
    assert.throws(() => gw.gateway.reloadConfig(broken), PolicyError);
    assert.equal(gw.gateway.policy.version, version);
    assert.equal(gw.gateway.policy.ready, true);
  } finally {
    await gw.close();
  }
});
