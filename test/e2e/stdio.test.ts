// stdio end to end: `moodle-mcp serve --stdio` as a child process, driven by the SDK's stdio client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { recorded } from '../helpers/exchanges.ts';
import { ROOT } from '../helpers/gateway.ts';

test('serve --stdio lists tools and calls Moodle as the token user (simulator when no MOODLE_URL)', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [`${ROOT}bin/moodle-mcp.mjs`, 'serve', '--stdio', '--profile', 'demo'],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', MOODLE_MCP_CONFIG: `${ROOT}moodle-mcp.config.yaml` },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += chunk));
  const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'moodle_call_function'));
    const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { result: recorded(8) });
  } finally {
    await client.close();
  }
  assert.match(stderr, /SIMULATOR|simulator/);
  assert.match(stderr, /"event":"tools\/call"/, 'audit records go to stderr in stdio mode, never to stdout');
});
