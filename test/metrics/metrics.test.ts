// /metrics: scraped over a real socket after real traffic (MCP SDK client → gateway → in-process Moodle simulator).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listen, ROOT, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, text } from '../helpers/mcp-client.ts';
import { parseListen, startMetricsListener } from '../../runtime/metrics/endpoint.ts';
import { routeLabel } from '../../runtime/metrics/registry.ts';
import type { CourseRef } from '../../runtime/catalog/types.ts';
import { createCourseResolver } from '../../runtime/policy/courses.ts';
import { parseConfig } from '../../runtime/config/index.ts';

const TOKEN = 'metrics-test-token-0123456789';
let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;

before(async () => {
  // demo profile: 3 calls a minute, so that the fourth is a rate-limit hit
  gw = await startTestGateway(testConfig({ profiles: { demo: { rate_per_minute: 3 } } }), { env: { MOODLE_MCP_METRICS_TOKEN: TOKEN } });
  server = await listen(gw.gateway);
});
after(async () => {
  await server.close();
  await gw.close();
});

const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => fetch(`${server.url}/metrics`, { headers });

/** The value of one sample (`name{labels} value`) in an exposition text; undefined when absent. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('/metrics on the gateway port needs the bearer token: 401 without it or with a wrong one', async () => {
  assert.equal((await scrape({})).status, 401);
  assert.equal((await scrape({ authorization: 'Bearer wrong' })).status, 401);
  const ok = await scrape();
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
});

test('tool calls, decisions, rate-limit hits, Moodle latency, policy time, sessions, HTTP requests and process metrics', async () => {
  const client = await connectClient(server.url, 'demo-student');
  for (let i = 0; i < 3; i++) {
    const ok = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal(ok.isError, undefined, text(ok));
  }
  const limited = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  assert.equal(limited.isError, true);
  const unknown = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'no_such_function_anywhere', arguments: {} } });
  assert.equal(unknown.isError, true);

  const body = await (await scrape()).text();
  const fn = 'core_webservice_get_site_info';
  assert.equal(sample(body, 'moodle_mcp_tool_calls_total', { function: fn, decision: 'allowed', outcome: 'ok' }), 3);
  assert.equal(sample(body, 'moodle_mcp_tool_calls_total', { function: fn, decision: 'denied', outcome: 'rate_limited' }), 1);
  assert.equal(sample(body, 'moodle_mcp_rate_limit_hits_total', { function: fn }), 1);
  // A made-up function name never becomes a label value.
  assert.ok((sample(body, 'moodle_mcp_tool_calls_total', { function: 'unknown', outcome: 'invalid' }) ?? 0) >= 1);
  assert.doesNotMatch(body, /no_such_function_anywhere/);
  // Three calls plus the identity check of the connection (site info is cached afterwards).
  assert.ok((sample(body, 'moodle_mcp_moodle_request_duration_seconds_count', { function: fn, outcome: 'ok' }) ?? 0) >= 3);
  assert.ok((sample(body, 'moodle_mcp_policy_decision_duration_seconds_count', { action: 'tools/call' }) ?? 0) >= 4);
  assert.equal(sample(body, 'moodle_mcp_sessions_open'), 1);
  assert.ok((sample(body, 'moodle_mcp_http_requests_total', { route: '/mcp', method: 'POST', status: '200' }) ?? 0) >= 5);
  assert.ok((sample(body, 'moodle_mcp_http_requests_total', { route: '/metrics', status: '401' }) ?? 0) >= 1);
  assert.equal(sample(body, 'moodle_mcp_audit_queue_depth', { sink: 'memory' }) !== undefined, true);
  assert.equal(sample(body, 'moodle_mcp_audit_dropped_total', { sink: 'memory' }), 0);
  assert.equal(sample(body, 'moodle_mcp_audit_sink_errors_total', { sink: 'memory' }), 0);
  assert.equal(sample(body, 'moodle_mcp_audit_healthy'), 1);
  assert.equal(sample(body, 'moodle_mcp_webhook_failures_total'), 0);
  assert.ok((sample(body, 'moodle_mcp_process_resident_memory_bytes') ?? 0) > 0);
  assert.ok(sample(body, 'moodle_mcp_nodejs_eventloop_lag_seconds') !== undefined);

  // Ending the session (DELETE /mcp) closes it on the gateway.
  await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
  await client.close();
  const afterClose = await (await scrape()).text();
  assert.equal(sample(afterClose, 'moodle_mcp_sessions_open'), 0);
});

test('every metric the Grafana dashboard queries is exposed', async () => {
  const dashboard = readFileSync(join(ROOT, 'deploy/grafana/moodle-mcp.json'), 'utf8');
  const used = [...new Set([...dashboard.matchAll(/moodle_mcp_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))];
  assert.ok(used.length >= 10, used.join(', '));
  const body = await (await scrape()).text();
  const exposed = new Set([...body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  assert.deepEqual(used.filter((name) => !exposed.has(name)), []);
});

test('without a token, /metrics is not served on the gateway port (404); metrics.enabled false removes it', async () => {
  const noToken = await startTestGateway(testConfig(), { env: {} });
  const off = await startTestGateway(testConfig({ metrics: { enabled: false } }), { env: { MOODLE_MCP_METRICS_TOKEN: TOKEN } });
  try {
    const a = await listen(noToken.gateway);
    const b = await listen(off.gateway);
    assert.equal((await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    assert.equal((await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    assert.equal(off.gateway.metrics, undefined);
    await a.close();
    await b.close();
  } finally {
    await noToken.close();
    await off.close();
  }
});

test('metrics.listen: its own listener serves /metrics (token optional there), and the gateway port does not', async () => {
  const own = await startTestGateway(testConfig({ metrics: { listen: '127.0.0.1:0' } }), { env: { MOODLE_MCP_METRICS_TOKEN: TOKEN } });
  const main = await listen(own.gateway);
  const listener = await startMetricsListener(own.gateway.metrics!.registry, own.gateway.metrics!.access);
  try {
    assert.match(listener.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal((await fetch(listener.url)).status, 401, 'a configured token is required on the own listener too');
    const ok = await fetch(listener.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /moodle_mcp_tool_calls_total/);
    assert.equal((await fetch(listener.url.replace('/metrics', '/mcp'))).status, 404);
    assert.equal((await fetch(`${main.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
  } finally {
    await listener.close();
    await main.close();
    await own.close();
  }
  const open = await startTestGateway(testConfig({ metrics: { listen: '127.0.0.1:0' } }), { env: {} });
  const openListener = await startMetricsListener(open.gateway.metrics!.registry, open.gateway.metrics!.access);
  try {
    assert.equal((await fetch(openListener.url)).status, 200, 'no token configured: the own address is the protection');
  } finally {
    await openListener.close();
    await open.close();
  }
});

test('metrics.listen is validated: host:port', () => {
  assert.throws(() => parseConfig('metrics: { listen: "9464" }', 'x.yaml', {}), /metrics\.listen.*host:port/);
  assert.deepEqual(parseListen('[::1]:9464'), { hostname: '::1', port: 9464 });
  assert.throws(() => parseListen('localhost:99999'), /not host:port/);
});

test('route labels are a bounded set: known routes, route families, else "other"', () => {
  assert.deepEqual(
    ['/mcp', '/readyz', '/oauth/token', '/.well-known/oauth-protected-resource/mcp', '/admin/keys', '/connections', '/wp-login.php', '/mcp/x'].map(routeLabel),
    ['/mcp', '/readyz', '/oauth/*', '/.well-known/*', '/admin/*', '/connections/*', 'other', 'other'],
  );
});

test('course lookups report hit, miss and failure to the hook', async () => {
  const seen: string[] = [];
  const resolver = createCourseResolver({
    callMoodle: async (_token, _fn, args) => {
      if (args.cmid === 99) throw new Error('invalidrecord');
      return { cm: { course: 2 } };
    },
    onLookup: (result) => seen.push(result),
  });
  const fn = { name: 'mod_x_view', access: 'read' as const, courseRefs: [{ path: 'cmid', entity: 'course_module', via: ['moodle'], source: 'rule:test' } as CourseRef] };
  const resolve = (args: Record<string, unknown>) => resolver.resolve(resolver.plan(fn, args, { resolver: false }), 't');
  assert.deepEqual((await resolve({ cmid: 5 })).courses, [2]);
  assert.deepEqual((await resolve({ cmid: 5 })).courses, [2]);
  assert.equal((await resolve({ cmid: 99 })).resolved, false);
  assert.deepEqual(seen, ['miss', 'hit', 'miss', 'failure']);
});
