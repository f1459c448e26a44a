/**
 * Latency the gateway adds to a call: the same Moodle call made directly with the Moodle client and through the
 * gateway with the MCP SDK client (Streamable HTTP, one session), both against one simulator over a socket,
 * interleaved call by call so that both see the same machine noise. Pipeline: auth, Zod validation, course refs,
 * rate limiter, WASM policy decision, Moodle call, rendering, audit record.
 */
import { randomBytes } from 'node:crypto';
import { createMoodleClient } from '../runtime/moodle/index.ts';
import { simulatorTokens, startSimulator } from '../runtime/simulator/index.ts';
import { listen, startTestGateway, testConfig } from '../test/helpers/gateway.ts';
import { connectClient } from '../test/helpers/mcp-client.ts';
import { percentile, timed } from './measure.ts';

export const title = 'Gateway overhead per call (direct Moodle client vs through moodle-mcp, same simulator, interleaved)';

const ROUNDS = 400;

export default async function bench() {
  const simulator = await startSimulator();
  const env = { BENCH_KEY: 'bench-key', BENCH_TOKEN: simulatorTokens['emma.johansson'], MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  const gw = await startTestGateway(
    testConfig(
      {
        moodle: { url: simulator.url },
        profiles: { default: { scopes: ['api.read'], allow: ['*'] }, demo: { scopes: ['api.read'], allow: ['*'] } },
        connections: [{ id: 'bench', key_env: 'BENCH_KEY', moodle_token_env: 'BENCH_TOKEN', profile: 'default' }],
      },
      env,
    ),
    { env },
  );
  const server = await listen(gw.gateway);
  const direct = createMoodleClient({ url: simulator.url });
  const client = await connectClient(server.url, 'bench-key');

  const rows = [];
  for (const [fn, args] of [
    ['mod_quiz_get_user_best_grade', { quizid: 1 }],
    ['core_course_get_contents', { courseid: 2 }],
  ] as const) {
    const viaDirect = () => direct.call(env.BENCH_TOKEN, fn, args, { access: 'read' });
    const viaGateway = () => client.callTool({ name: 'moodle_call_function', arguments: { name: fn, arguments: args } });
    for (let i = 0; i < 30; i++) await Promise.all([viaDirect(), viaGateway()]); // warm-up
    const d: number[] = [];
    const g: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const [run, into] of (i % 2 ? [[viaDirect, d], [viaGateway, g]] : [[viaGateway, g], [viaDirect, d]]) as [() => Promise<unknown>, number[]][]) into.push(await timed(run));
    }
    d.sort((a, b) => a - b);
    g.sort((a, b) => a - b);
    rows.push({
      name: fn,
      'direct p50 ms': percentile(d, 0.5),
      'gateway p50 ms': percentile(g, 0.5),
      'added p50 ms': percentile(g, 0.5) - percentile(d, 0.5),
      'direct p99 ms': percentile(d, 0.99),
      'gateway p99 ms': percentile(g, 0.99),
      'added p99 ms': percentile(g, 0.99) - percentile(d, 0.99),
      'ratio p50': percentile(g, 0.5) / percentile(d, 0.5),
    });
  }
  await client.close();
  await server.close();
  await gw.close();
  await simulator.close();
  return rows;
}
