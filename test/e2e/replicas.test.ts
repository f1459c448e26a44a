// Two gateway PROCESSES (`moodle-mcp serve`) sharing PostgreSQL (the auth store) and Redis (rate limits), behind a
// test load balancer that either round-robins or pins every request to one replica. Moodle: the simulator over HTTP
// (a test double). What several replicas must share is checked across them: an OAuth sign-in on one and its token used
// on the other, a token revoked on one refused by the other, an API key revoked (CLI, shared store) refused by both
// at once, one rate limit across both, and stateless MCP behind round-robin.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runKeysCommand } from '../../runtime/cli/keys.ts';
import { SIMULATOR_PASSWORD, simulatorRoles, startSimulator } from '../../runtime/simulator/index.ts';
import { sdkProvider, sdkSignIn } from '../auth/oauth-harness.ts';
import { startPgCluster, type PgCluster } from '../auth/pg-cluster.ts';
import { freePort, ROOT, testConfig } from '../helpers/gateway.ts';
import { memoryStream } from '../helpers/io.ts';
import { connectClient, postInitialize, text } from '../helpers/mcp-client.ts';
import { startRedis } from '../helpers/redis.ts';

interface Replica {
  name: 'a' | 'b';
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
}

/** A minimal HTTP load balancer: round-robin, or every request to one pinned replica; counts requests per replica. */
async function startBalancer(targets: () => Replica[]) {
  let pinned: Replica['name'] | undefined;
  let next = 0;
  const served = { a: 0, b: 0 };
  const server: Server = createServer((req, res) => {
    const all = targets();
    const target = pinned ? all.find((r) => r.name === pinned)! : all[next++ % all.length]!;
    served[target.name]++;
    const upstream = httpRequest({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    served,
    pin(name?: Replica['name']) {
      pinned = name;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let pg: PgCluster;
let redis: Awaited<ReturnType<typeof startRedis>>;
let simulator: Awaited<ReturnType<typeof startSimulator>>;
let balancer: Awaited<ReturnType<typeof startBalancer>>;
let replicas: Replica[] = [];
let configFile: string;
let env: NodeJS.ProcessEnv;
const BOT_KEY = `bot-${randomBytes(16).toString('hex')}`;

async function startReplica(name: Replica['name']): Promise<Replica> {
  const port = await freePort();
  let output = '';
  const proc = spawn(process.execPath, [join(ROOT, 'bin/moodle-mcp.mjs'), 'serve', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, ...env, MOODLE_MCP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`replica ${name} exited: ${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 600) throw new Error(`replica ${name} did not become ready: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, url, port, proc, output: () => output };
}

before(async () => {
  [pg, redis, simulator] = await Promise.all([startPgCluster(), startRedis(), startSimulator()]);
  balancer = await startBalancer(() => replicas);
  env = {
    DATABASE_URL: pg.createDatabase('replicas'),
    REDIS_URL: redis.url,
    MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BOT_KEY,
    BOT_MOODLE_TOKEN: simulatorRoles.teacher.token,
  };
  const config = testConfig(
    {
      moodle: { url: simulator.url },
      // Every replica has the same public URL: the balancer's (OAuth issuer and resource).
      server: { host: '127.0.0.1', public_url: balancer.url, sessions: 'stateless' },
      store: { type: 'postgres' },
      rate_limit: { backend: 'redis' },
      profiles: { bot: { scopes: ['api.read'], ip_allow: ['127.0.0.0/8'], allow: ['*'], deny: [], rate_per_minute: 4 } },
      connections: [{ id: 'bot', key_env: 'BOT_KEY', moodle_token_env: 'BOT_MOODLE_TOKEN', profile: 'bot' }],
      logging: { level: 'warn' },
      metrics: { enabled: false },
    },
    env,
  );
  configFile = join(config.store.dir, 'moodle-mcp.config.yaml');
  writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
  // Started one after the other: the first one creates the PostgreSQL schema (migrations are idempotent either way).
  replicas = [await startReplica('a')];
  replicas.push(await startReplica('b'));
});

after(async () => {
  for (const r of replicas) {
    const exited = new Promise((resolve) => r.proc.once('exit', resolve));
    r.proc.kill('SIGTERM');
    await exited;
  }
  await balancer?.close();
  await simulator?.close();
  await redis?.stop();
  await pg?.stop();
});

const replica = (name: Replica['name']) => replicas.find((r) => r.name === name)!;

test('an OAuth sign-in on replica a gives a token that replica b accepts; revoked on a, b refuses it at once', async () => {
  balancer.pin('a');
  const sdk = sdkProvider('Replicas test');
  const signedIn = await sdkSignIn(balancer.url, sdk, { username: simulatorRoles.student.username, password: SIMULATOR_PASSWORD, access: 'read' });
  assert.equal(signedIn.finished, 'AUTHORIZED', signedIn.signIn?.html.slice(0, 300));
  const token = sdk.state.tokens!.access_token;
  const before = { ...balancer.served };

  balancer.pin('b');
  const client = await connectClient(balancer.url, token);
  const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  assert.equal((info.structuredContent as { username: string }).username, simulatorRoles.student.username, text(info));
  await client.close();
  assert.ok(balancer.served.b > before.b && balancer.served.a === before.a, 'the calls went to replica b only');

  // RFC 7009 revocation at replica a; replica b refuses the token on its next request (no cache between them).
  const clientId = sdk.state.info?.client_id;
  assert.ok(clientId, 'the SDK registered a client');
  balancer.pin('a');
  const revoked = await fetch(`${balancer.url}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId }),
  });
  assert.equal(revoked.status, 200);
  balancer.pin('b');
  assert.equal((await postInitialize(balancer.url, token)).status, 401);
  balancer.pin(undefined);
});

test('an API key revoked in the shared store is refused by both replicas on their next request', async () => {
  const out = memoryStream();
  const err = memoryStream();
  const keyEnv = { ...env, AGENT_TOKEN: simulatorRoles.student.token };
  assert.equal(await runKeysCommand(['create', '--config', configFile, '--name', 'replica-bot', '--profile', 'default', '--token-env', 'AGENT_TOKEN'], { env: keyEnv, stdout: out.stream, stderr: err.stream }), 0, err.text());
  const key = /mmcp_[A-Za-z0-9_]+/.exec(out.text())?.[0];
  assert.ok(key, out.text());
  for (const r of replicas) assert.equal((await postInitialize(r.url, key)).status, 200, `replica ${r.name} accepts the new key`);

  const listed = memoryStream();
  assert.equal(await runKeysCommand(['list', '--config', configFile, '--json'], { env: keyEnv, stdout: listed.stream, stderr: err.stream }), 0);
  const row = (JSON.parse(listed.text()) as { id: string; name: string }[]).find((k) => k.name === 'replica-bot')!;
  assert.equal(await runKeysCommand(['revoke', '--config', configFile, row.id], { env: keyEnv, stdout: memoryStream().stream, stderr: err.stream }), 0, err.text());
  for (const r of replicas) assert.equal((await postInitialize(r.url, key)).status, 401, `replica ${r.name} refuses the revoked key`);
});

test('one rate limit across both replicas (Redis): the fifth call in a minute is refused wherever it lands', async () => {
  const clients = { a: await connectClient(replica('a').url, BOT_KEY), b: await connectClient(replica('b').url, BOT_KEY) };
  const call = (name: Replica['name']) => clients[name].callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  for (const name of ['a', 'b', 'a', 'b'] as const) {
    const ok = await call(name);
    assert.equal(ok.isError, undefined, `call on ${name}: ${text(ok)}`);
  }
  for (const name of ['a', 'b'] as const) {
    const limited = await call(name);
    assert.equal(limited.isError, true, `replica ${name} counts the calls made on the other`);
    assert.match(text(limited), /rate/i);
  }
  await clients.a.close();
  await clients.b.close();
});

test('stateless mode behind round-robin: one MCP client, its requests spread over both replicas', async () => {
  balancer.pin(undefined);
  const before = { ...balancer.served };
  const client = await connectClient(balancer.url, BOT_KEY);
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'moodle_call_function'));
  // The bot's rate limit is used up by the previous test: listings and initialization still go through.
  await client.listTools();
  await client.listTools();
  await client.close();
  assert.ok(balancer.served.a > before.a && balancer.served.b > before.b, `both replicas served requests: ${JSON.stringify(balancer.served)}`);
});
