/**
 * The hot path on realistic answers (issue #13): the same recorded Moodle 4.5.6 answers (site info 52 KB, course
 * contents 7 KB, discussion posts 6.5 KB, grade items 3.7 KB) fetched three ways, interleaved call by call so that
 * all see the same machine noise: directly from the Moodle stand-in, through a bare MCP pass-through (the SDK's
 * low-level Server + Streamable HTTP transport, no auth, policy, validation or audit), and through moodle-mcp.
 * Each server runs as plain node in a child process (the gateway from dist/, as in production, with a file audit sink):
 * its CPU time per call is its own (/proc utime + stime over the calls). Then 1000 calls over 50 sessions, and RSS.
 * Goals: gateway CPU/call <= 1.2x bare; added p50 <= bare's + 0.3 ms; gateway RSS <= 150 MB after the 1000 calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/net.ts';
import { percentile, timed } from './measure.ts';
import { PAYLOADS, startMoodleDouble } from './hotpath/moodle-double.ts';

export const title = 'Hot path on realistic answers: direct vs bare MCP pass-through vs moodle-mcp (plain node child processes, interleaved)';

const ROUNDS = Number(process.env.HOTPATH_ROUNDS ?? 300);
const TOKEN = 'bench-moodle-token';
const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Child { process: ChildProcess; url: string; stats(): { cpuMs: number; rssMb: number } }

/** CPU time (user + system, ms) and RSS (MB) of a process, from /proc: nothing runs inside the child to measure it. */
function procStats(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuMs: (ticks * 1000) / 100, rssMb: Number(rss) / 1024 };
}

async function waitForPort(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`bench: child exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/healthz`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`bench: ${url} did not come up`);
}

/** The gateway as in production: `moodle-mcp serve` from dist/ (plain node), a config key, a file audit sink. */
async function startGateway(moodleUrl: string): Promise<Child> {
  if (!existsSync(join(ROOT, 'dist/runtime/cli/main.js'))) throw new Error('bench: dist/ is missing (make build)');
  const dir = mkdtempSync(join(tmpdir(), 'moodle-mcp-hotpath-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yaml'), [
    `moodle: { url: "${moodleUrl}" }`,
    `server: { host: 127.0.0.1, port: ${port}, max_sessions_per_connection: 100 }`,
    'profiles:',
    '  bench: { scopes: [api.read], ip_allow: ["127.0.0.0/8"], allow: ["*"], rate_per_minute: 1000000 }',
    'connections:',
    '  - { id: bench, key_env: BENCH_KEY, moodle_token_env: BENCH_TOKEN, profile: bench }',
    `audit: { sinks: [{ type: file, path: "${join(dir, 'audit.jsonl')}" }] }`,
    `store: { dir: "${join(dir, 'data')}" }`,
    'oauth: { enabled: false }',
    `policy: { wasm: "${join(ROOT, 'policies/build/policy.wasm')}", manifest: "${join(ROOT, 'policies/build/manifest.json')}", sources: "${join(ROOT, 'policies')}", watch: false }`,
    'logging: { level: warn }',
  ].join('\n'));
  // HOTPATH_PROF=<dir>: a CPU profile of the gateway process (written when it exits), for finding hot spots.
  const prof = process.env.HOTPATH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HOTPATH_PROF}`, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.env.HOTPATH_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, join(ROOT, 'bin/moodle-mcp.mjs'), 'serve', '--config', join(dir, 'config.yaml')], {
    env: { ...process.env, NODE_OPTIONS: process.env.HOTPATH_GATEWAY_NODE_OPTIONS ?? '', MOODLE_MCP_FROM_SOURCE: '', BENCH_KEY: 'bench-key', BENCH_TOKEN: TOKEN, MOODLE_MCP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForPort(url, child);
  return { process: child, url, stats: () => procStats(child.pid!) };
}

async function startBare(moodleUrl: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./hotpath/bare.mjs', import.meta.url)), String(port), moodleUrl, TOKEN], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    try {
      await fetch(`${url}/mcp`, { method: 'GET' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { process: child, url, stats: () => procStats(child.pid!) };
}

/** A minimal Streamable HTTP client (fetch): initialize once, then tools/call in the session; SSE or JSON answers. */
async function session(url: string, bearer?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let id = 0;
  const post = async (body: unknown) => {
    const response = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`bench: HTTP ${response.status}: ${text.slice(0, 200)}`);
    return { response, text };
  };
  const init = await post({ jsonrpc: '2.0', id: ++id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  const sid = init.response.headers.get('mcp-session-id');
  if (sid) headers['mcp-session-id'] = sid;
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    async call(fn: string, args: Record<string, unknown>): Promise<number> {
      const { text } = await post({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'moodle_call_function', arguments: { name: fn, arguments: args } } });
      if (text.includes('"isError":true')) throw new Error(`bench: ${fn} failed: ${text.slice(0, 300)}`);
      return text.length;
    },
  };
}

export default async function bench() {
  const moodle = await startMoodleDouble();
  const bare = await startBare(moodle.url);
  const gateway = await startGateway(moodle.url);
  const rows: Record<string, string | number>[] = [];
  try {
    const rest = { bare: bare.stats().rssMb, gateway: gateway.stats().rssMb };
    const viaBare = await session(bare.url);
    const viaGateway = await session(gateway.url, 'bench-key');
    const direct = (fn: string, args: Record<string, unknown>) => {
      const form = new URLSearchParams({ wstoken: TOKEN, wsfunction: fn, moodlewsrestformat: 'json' });
      for (const [k, v] of Object.entries(args)) form.set(k, String(v));
      return fetch(`${moodle.url}/webservice/rest/server.php`, { method: 'POST', body: form }).then((r) => r.text());
    };

    for (const { fn, args } of PAYLOADS) {
      const runs = {
        direct: () => direct(fn, args),
        bare: () => viaBare.call(fn, args),
        gateway: () => viaGateway.call(fn, args),
      };
      for (let i = 0; i < 30; i++) for (const run of Object.values(runs)) await run(); // warm-up
      const samples: Record<keyof typeof runs, number[]> = { direct: [], bare: [], gateway: [] };
      const cpu0 = { bare: bare.stats().cpuMs, gateway: gateway.stats().cpuMs };
      const order = Object.keys(runs) as (keyof typeof runs)[];
      for (let i = 0; i < ROUNDS; i++) {
        for (let k = 0; k < order.length; k++) {
          const name = order[(i + k) % order.length]!;
          samples[name].push(await timed(runs[name]));
        }
      }
      const cpuBare = (bare.stats().cpuMs - cpu0.bare) / ROUNDS;
      const cpuGateway = (gateway.stats().cpuMs - cpu0.gateway) / ROUNDS;
      for (const s of Object.values(samples)) s.sort((a, b) => a - b);
      const p = (name: keyof typeof runs, q: number) => percentile(samples[name], q);
      const addedBare = p('bare', 0.5) - p('direct', 0.5);
      const addedGateway = p('gateway', 0.5) - p('direct', 0.5);
      rows.push({
        name: `${fn} (${(moodle.bytes[fn]! / 1024).toFixed(1)} KB)`,
        'direct p50 ms': p('direct', 0.5),
        'bare added p50': addedBare,
        'gw added p50': addedGateway,
        'bare added p99': p('bare', 0.99) - p('direct', 0.99),
        'gw added p99': p('gateway', 0.99) - p('direct', 0.99),
        'bare CPU ms/call': cpuBare,
        'gw CPU ms/call': cpuGateway,
        'CPU ratio (goal <= 1.2)': cpuGateway / cpuBare,
        'p50 over bare ms (goal <= 0.3)': addedGateway - addedBare,
      });
    }

    // Memory: 1000 calls over 50 sessions, then each server's RSS (as an operator sees it: no forced GC).
    const after: Record<string, number> = {};
    for (const [name, child, bearer] of [['bare', bare, undefined], ['gateway', gateway, 'bench-key']] as const) {
      const sessions = await Promise.all(Array.from({ length: 50 }, () => session(child.url, bearer)));
      for (let i = 0; i < 1000; i++) {
        const { fn, args } = PAYLOADS[i % PAYLOADS.length]!;
        await sessions[i % sessions.length]!.call(fn, args);
      }
      await new Promise((r) => setTimeout(r, 500));
      after[name] = child.stats().rssMb;
      if (process.env.HOTPATH_PROF && name === 'gateway') {
        child.process.kill('SIGUSR2');
        await new Promise((r) => setTimeout(r, 8000));
      }
    }
    rows.push({ name: 'RSS MB at start / after the calls above and 1000 calls over 50 sessions (goal: gateway <= 150)', 'bare CPU ms/call': `${rest.bare.toFixed(0)} / ${after.bare!.toFixed(0)}`, 'gw CPU ms/call': `${rest.gateway.toFixed(0)} / ${after.gateway!.toFixed(0)}` });
  } finally {
    for (const child of [bare, gateway]) {
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.kill('SIGTERM');
      await exited;
    }
    await moodle.close();
  }
  return rows;
}
