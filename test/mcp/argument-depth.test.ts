// Deeply nested tool arguments: refused before anything recurses over them, with a clear error, and audited.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { argumentDepth, MAX_ARGUMENT_DEPTH } from '../../runtime/mcp/argument-depth.ts';
import { callFunction } from '../../runtime/mcp/pipeline.ts';
import { bundledGeneratedDir } from '../helpers/bundled-catalog.ts';
import { listen, startTestGateway, testConfig } from '../helpers/gateway.ts';
import { startServer } from '../helpers/io.ts';
import { INITIALIZE, postMcp } from '../helpers/mcp-client.ts';
import { ctx, harness } from './harness.ts';

/** `{ courseid: 2, x: [[[…]]] }` with `levels` nested lists (the 200 KB body has 100 000). */
function nested(levels: number): Record<string, unknown> {
  let inner: unknown[] = [];
  for (let i = 1; i < levels; i++) inner = [inner];
  return { courseid: 2, x: inner };
}

test('argumentDepth counts object and list levels without recursing (100 000 levels do not overflow the stack)', () => {
  assert.equal(argumentDepth(2), 0);
  assert.equal(argumentDepth({}), 1);
  assert.equal(argumentDepth({ a: [{ b: 1 }] }), 3);
  assert.equal(argumentDepth(nested(5)), 6);
  assert.equal(argumentDepth(nested(100_000)), 100_001);
});

test('the limit leaves room over the deepest generated input schema (10 levels in Moodle 4.5.6)', async () => {
  // Data depth a schema allows: 1 per object or array level.
  const depthOf = (schema: Record<string, any>): number => {
    if (schema.type === 'object') return 1 + Math.max(0, ...Object.values<Record<string, any>>(schema.properties ?? {}).map(depthOf));
    if (schema.type === 'array') return 1 + depthOf(schema.items ?? {});
    return Math.max(0, ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].map(depthOf));
  };
  // The bundled Moodle 4.5.6 catalog, whatever generated/ holds (test/helpers/bundled-catalog.ts).
  const dir = join(await bundledGeneratedDir(), 'schemas');
  let deepest = 0;
  let count = 0;
  for (const file of readdirSync(dir)) {
    for (const [name, entry] of Object.entries<{ input: Record<string, any> }>(JSON.parse(readFileSync(join(dir, file), 'utf8')))) {
      if (name.startsWith('$')) continue;
      count++;
      deepest = Math.max(deepest, depthOf(entry.input));
    }
  }
  assert.equal(count, 759);
  assert.equal(deepest, 10);
  assert.ok(MAX_ARGUMENT_DEPTH >= 3 * deepest, `limit ${MAX_ARGUMENT_DEPTH} vs deepest schema ${deepest}`);
});

test('arguments nested past the limit are invalid_arguments naming the limit, audited, and reach neither validation nor Moodle', async () => {
  let validated = 0;
  const h = harness({ validate: (_fn, args) => (validated++, { ok: true, value: args as Record<string, unknown> }) });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', nested(100_000), 'core_course_get_contents');
  assert.equal(result.isError, true);
  const text = (result.content[0] as { text: string }).text;
  assert.match(text, /invalid_arguments/);
  assert.match(text, /nested deeper than 32 levels/);
  assert.equal(validated, 0);
  assert.equal(h.calls.length, 0);
  assert.equal(h.audit.length, 1);
  assert.deepEqual([h.audit[0]?.decision, h.audit[0]?.status, h.audit[0]?.moodle_function], ['error', 400, 'core_course_get_contents']);
  assert.match(h.audit[0]?.reasons?.[0] ?? '', /deeper than 32 levels/);
});

test('arguments at the limit go on to validation as usual', async () => {
  let validated = 0;
  const h = harness({ validate: (_fn, args) => (validated++, { ok: true, value: args as Record<string, unknown> }) });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', nested(MAX_ARGUMENT_DEPTH - 1), 'core_course_get_contents');
  assert.equal(result.isError, undefined);
  assert.equal(validated, 1);
});

test('through the gateway: the 200 KB body of the issue is refused, audited once, and the webhook fires', async (t) => {
  const { url: hookUrl, received } = await startServer(t, () => 204, () => '');
  const env = { HOOK_SECRET: 'webhook-secret-0123456789' };
  const config = testConfig({ audit: { webhook: { url: hookUrl, secret_env: 'HOOK_SECRET', events: ['tools/call:error'] } } }, env);
  const gw = await startTestGateway(config, { env });
  const again = await listen(gw.gateway);
  let records: Awaited<ReturnType<typeof gw.audited>> = [];
  try {
    const init = await postMcp(again.url, 'demo-student', INITIALIZE);
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    // Written out as text: JSON.stringify itself overflows the stack on 100 000 levels.
    const levels = 100_000;
    const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"moodle_call_function","arguments":{"name":"core_user_delete_users","arguments":{"courseid":2,"x":${'['.repeat(levels)}${']'.repeat(levels)}}}}}`;
    const response = await fetch(`${again.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-student', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...session },
      body,
    });
    assert.equal(response.status, 200);
    const answer = await response.text();
    assert.match(answer, /nested deeper than 32 levels/);
    assert.doesNotMatch(answer, /Maximum call stack/);
    records = (await gw.audited()).filter((r) => r.event === 'tools/call');
  } finally {
    await again.close();
    await gw.close(); // flushes the webhook
  }
  assert.equal(records.length, 1);
  assert.deepEqual([records[0]?.moodle_function, records[0]?.decision, records[0]?.status], ['core_user_delete_users', 'error', 400]);
  assert.ok(received.some((d) => JSON.parse(d.body).moodle_function === 'core_user_delete_users'), 'the webhook got the record');
});
