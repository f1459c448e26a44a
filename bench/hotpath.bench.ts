/**
 * The hot path on realistic answers (issue #13): the same recorded Moodle 4.5.6 answers (site info 52 KB, course
 * contents 7 KB, discussion posts 6.5 KB, grade items 3.7 KB) fetched three ways, interleaved call by call so that
 * all see the same machine noise: directly from the Moodle stand-in, through a bare MCP pass-through (the SDK's
 * low-level Server + Streamable HTTP transport, no auth, policy, validation or audit), and through moodle-mcp.
 * Each server runs in a child process: its CPU time per call is its own (process.cpuUsage over the calls).
 * Then 1000 calls over 50 sessions, and each server's RSS after a GC.
 * Goals: gateway CPU/call <= 1.2x bare; added p50 <= bare's + 0.3 ms; gateway RSS <= 150 MB after the 1000 calls.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile, timed } from './measure.ts';
import { PAYLOADS, startMoodleDouble } from './hotpath/moodle-double.ts';

export const title = 'Hot path on realistic answers: direct vs bare MCP pass-through vs moodle-mcp (child processes, interleaved)';

const ROUNDS = Number(process.env.HOTPATH_ROUNDS ?? 300);
const TOKEN = 'bench-moodle-token';
const CHILD = fileURLToPath(new URL('./hotpath/child.ts', import.meta.url));

interface Child { process: ChildProcess; url: string; stats(gc?: boolean): Promise<{ cpuUs: number; rss: number; heapUsed: number; external: number }>; }

async function startChild(kind: 'bare' | 'gateway', moodleUrl: string): Promise<Child> {
  const child = fork(CHILD, [kind, moodleUrl, TOKEN], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { kind: string; url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`bench: ${kind} child exited with ${code}`)));
  });
  return {
    process: child,
    url,
    stats: (gc = false) =>
      new Promise((resolve) => {
        child.once('message', (m: { cpuUs: number; rss: number; heapUsed: number; external: number }) => resolve(m));
        child.send(gc ? 'gc' : 'stats');
      }),
  };
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
  const bare = await startChild('bare', moodle.url);
  const gateway = await startChild('gateway', moodle.url);
  const rows: Record<string, string | number>[] = [];
  let atRestOf: (name: string) => unknown = () => undefined;
  try {
    const rest = await gateway.stats(true);
    const bareRest = await bare.stats(true);
    atRestOf = (name) => (name === 'bare' ? bareRest : rest);
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
      const profDir = process.env.HOTPATH_PROF;
      if (profDir) for (const child of [bare, gateway]) child.process.send('prof-start');
      const cpu0 = { bare: (await bare.stats()).cpuUs, gateway: (await gateway.stats()).cpuUs };
      const order = Object.keys(runs) as (keyof typeof runs)[];
      for (let i = 0; i < ROUNDS; i++) {
        for (let k = 0; k < order.length; k++) {
          const name = order[(i + k) % order.length]!;
          samples[name].push(await timed(runs[name]));
        }
      }
      const cpuBare = ((await bare.stats()).cpuUs - cpu0.bare) / ROUNDS / 1000;
      const cpuGateway = ((await gateway.stats()).cpuUs - cpu0.gateway) / ROUNDS / 1000;
      if (profDir) {
        bare.process.send(`prof-stop:${profDir}/bare-${fn}.cpuprofile`);
        gateway.process.send(`prof-stop:${profDir}/gateway-${fn}.cpuprofile`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
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

    // Memory: 1000 calls over 50 sessions, then RSS after a GC.
    for (const [name, child, bearer] of [['bare', bare, undefined], ['gateway', gateway, 'bench-key']] as const) {
      const sessions = await Promise.all(Array.from({ length: 50 }, () => session(child.url, bearer)));
      for (let i = 0; i < 1000; i++) {
        const { fn, args } = PAYLOADS[i % PAYLOADS.length]!;
        await sessions[i % sessions.length]!.call(fn, args);
      }
      const after = await child.stats(true);
      if (process.env.HOTPATH_DEBUG) console.error(name, 'rest', atRestOf(name), 'after', after);
      const atRest = name === 'bare' ? bareRest : rest;
      rows.push({ name: `${name}: RSS MB at rest / after 1000 calls, 50 sessions${name === 'gateway' ? ' (goal <= 150)' : ''}`, 'direct p50 ms': '', 'bare added p50': '', 'gw added p50': '', 'bare added p99': '', 'gw added p99': '', 'bare CPU ms/call': name === 'bare' ? `${(atRest.rss / 2 ** 20).toFixed(0)} / ${(after.rss / 2 ** 20).toFixed(0)}` : '', 'gw CPU ms/call': name === 'gateway' ? `${(atRest.rss / 2 ** 20).toFixed(0)} / ${(after.rss / 2 ** 20).toFixed(0)}` : '' });
    }
  } finally {
    for (const child of [bare, gateway]) {
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.send('exit');
      await exited;
    }
    await moodle.close();
  }
  return rows;
}
