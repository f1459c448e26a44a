/**
 * Moodle client and simulator latency: one client call (core_webservice_get_site_info, ~110 KB answer, and
 * mod_quiz_get_user_best_grade, tiny) through the in-process simulator and over a keep-alive socket, p50 and p99.
 */
import { createMoodleClient } from '../runtime/moodle/index.ts';
import { createSimulator, startSimulator, simulatorTokens } from '../runtime/simulator/index.ts';

export const title = 'Moodle client → simulator (test double), per call';

const ROUNDS = 300;

async function measure(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(ROUNDS * 0.5)], p99: times[Math.floor(ROUNDS * 0.99)] };
}

export default async function bench() {
  const token = simulatorTokens['emma.johansson'];
  const sim = createSimulator();
  const running = await startSimulator();
  const clients = {
    'in-process': createMoodleClient({ url: 'http://moodle.test', fetch: sim.fetch }),
    socket: createMoodleClient({ url: running.url }),
  };
  const rows = [];
  try {
    for (const [transport, client] of Object.entries(clients)) {
      for (const [fn, args] of [['core_webservice_get_site_info', {}], ['mod_quiz_get_user_best_grade', { quizid: 1 }]] as const) {
        const { p50, p99 } = await measure(() => client.call(token, fn, args, { access: 'read' }));
        rows.push({ name: `${fn} (${transport})`, calls: ROUNDS, 'p50 ms': p50, 'p99 ms': p99 });
      }
    }
  } finally {
    await running.close();
  }
  return rows;
}
