/**
 * Moodle client and simulator latency: one client call (core_webservice_get_site_info, ~110 KB answer, and
 * mod_quiz_get_user_best_grade, tiny) through the in-process simulator and over a keep-alive socket, p50 and p99.
 */
import { createMoodleClient } from '../runtime/moodle/index.ts';
import { createSimulator, startSimulator, simulatorTokens } from '../runtime/simulator/index.ts';
import { measure, percentiles } from './measure.ts';

export const title = 'Moodle client → simulator (test double), per call';

const ROUNDS = 300;

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
        const { p50, p99 } = percentiles(await measure(ROUNDS, () => client.call(token, fn, args, { access: 'read' })));
        rows.push({ name: `${fn} (${transport})`, calls: ROUNDS, 'p50 ms': p50, 'p99 ms': p99 });
      }
    }
  } finally {
    await running.close();
  }
  return rows;
}
