import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { PipelineDeps } from '../../runtime/mcp/pipeline.ts';
import { createMcpServer } from '../../runtime/mcp/server.ts';
import type { ToolRegistry } from '../../runtime/mcp/tools.ts';
import { ctx, harness } from './harness.ts';

/** The MCP server over an in-memory transport, with meta-tools on and no direct tools. */
async function connect(pipeline: PipelineDeps, search: ToolRegistry['search'] = () => ({ total: 0, functions: [] })) {
  const registry = {
    meta: true,
    directTools: new Map(),
    gatewayTools: new Map(),
    listTools: () => [],
    search,
    visibleFunctions: () => new Set<string>(),
    schemasOf: () => ({ input: {}, output: {} }),
  } as unknown as ToolRegistry;
  const server = createMcpServer({ registry, pipeline, contextOf: () => ctx });
  const client = new Client({ name: 'test', version: '0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return { client, close: () => client.close() };
}

test('meta-tool argument errors are audited as the pipeline audits them: issue paths, never argument values', async () => {
  const h = harness();
  const { client, close } = await connect(h.deps);
  try {
    const meta = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_course_get_contents', secret: 'value-1' } });
    const call = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_course_get_contents', arguments: { courseid: 'value-2' } } });
    assert.equal(meta.isError, true);
    assert.equal(call.isError, true);
    const [metaRecord, callRecord] = h.audit;
    assert.deepEqual(
      [metaRecord?.tool, metaRecord?.decision, metaRecord?.status, metaRecord?.reasons],
      ['moodle_call_function', 'error', 400, ['secret: unknown key']],
    );
    assert.deepEqual([callRecord?.decision, callRecord?.status, callRecord?.reasons], ['error', 400, ['courseid: expected integer']]);
    assert.ok(!JSON.stringify(h.audit).includes('value-'), 'argument values stay out of the audit');
  } finally {
    await close();
  }
});

test('a meta-tool error names no argument value in the audit', async () => {
  const h = harness();
  const { client, close } = await connect(h.deps);
  try {
    const result = await client.callTool({ name: 'moodle_describe_function', arguments: { name: 'value-3' } });
    assert.equal(result.isError, true);
    assert.deepEqual([h.audit[0]?.decision, h.audit[0]?.status], ['error', 404]);
    assert.ok(!JSON.stringify(h.audit).includes('value-3'), 'argument values stay out of the audit');
  } finally {
    await close();
  }
});

/** The JSON-RPC error a raw `tools/call` with `params` gets (the SDK client would refuse to send some of these). */
async function callError(client: Client, params: unknown): Promise<{ code: number; message: string }> {
  const { McpError } = await import('@modelcontextprotocol/sdk/types.js');
  const { z } = await import('zod');
  try {
    await client.request({ method: 'tools/call', params: params as Record<string, unknown> }, z.object({}).passthrough());
  } catch (error) {
    assert.ok(error instanceof McpError, String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail('tools/call succeeded');
}

test('an unknown tool is JSON-RPC -32602 (MCP 2025-11-25), audited with its outcome', async () => {
  const h = harness();
  const { client, close } = await connect(h.deps);
  try {
    const error = await callError(client, { name: 'no_such_tool', arguments: {} });
    assert.equal(error.code, -32602);
    assert.match(error.message, /Unknown tool "no_such_tool"/);
    assert.deepEqual([h.audit[0]?.event, h.audit[0]?.tool, h.audit[0]?.decision, h.audit[0]?.status], ['tools/call', 'no_such_tool', 'error', 404]);
  } finally {
    await close();
  }
});

test('tools/call with params {} or a non-object arguments is -32602 with one clear sentence (no schema dump), audited', async () => {
  const h = harness();
  const { client, close } = await connect(h.deps);
  try {
    const cases: [unknown, RegExp][] = [
      [{}, /params\.name/],
      [{ name: '' }, /params\.name/],
      [{ name: 42 }, /params\.name/],
      [{ name: 'moodle_call_function', arguments: 'x' }, /params\.arguments/],
      [{ name: 'moodle_call_function', arguments: [1] }, /params\.arguments/],
    ];
    for (const [params, pattern] of cases) {
      const error = await callError(client, params);
      assert.equal(error.code, -32602, JSON.stringify(params));
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /invalid_type|"path"|\[\s*\{|\n/, 'one sentence, not a Zod dump');
    }
    assert.equal(h.audit.length, cases.length);
    assert.ok(h.audit.every((r) => r.event === 'tools/call' && r.decision === 'error' && r.status === 400 && r.reasons?.length === 1));
  } finally {
    await close();
  }
});

test('a search query longer than its declared 200 characters is invalid_arguments, audited, and never searched', async () => {
  const h = harness();
  let searched = 0;
  const { client, close } = await connect(h.deps, () => (searched++, { total: 0, functions: [] }));
  try {
    const result = await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'x'.repeat(900_000) } });
    assert.equal(result.isError, true);
    assert.match((result.content as { text: string }[])[0]!.text, /at most 200 characters/);
    assert.equal(searched, 0);
    assert.deepEqual([h.audit[0]?.tool, h.audit[0]?.decision, h.audit[0]?.status], ['moodle_search_functions', 'error', 400]);
  } finally {
    await close();
  }
});

test('an unexpected failure inside a meta-tool is an audited internal error, not a bare JSON-RPC -32603', async () => {
  const logged: string[] = [];
  const h = harness({ logError: (_error, fn) => void logged.push(fn) });
  const { client, close } = await connect(h.deps, () => {
    throw new RangeError('Invalid typed array length');
  });
  try {
    const result = await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'forum' } });
    assert.equal(result.isError, true);
    assert.match((result.content as { text: string }[])[0]!.text, /internal_error/);
    assert.doesNotMatch((result.content as { text: string }[])[0]!.text, /typed array/);
    assert.deepEqual([h.audit[0]?.tool, h.audit[0]?.decision, h.audit[0]?.status], ['moodle_search_functions', 'error', 500]);
    assert.deepEqual(logged, ['moodle_search_functions']);
  } finally {
    await close();
  }
});
