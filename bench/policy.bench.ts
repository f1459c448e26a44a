/**
 * Policy decisions through the compiled WASM (`make policy` first): per-call latency of `decide` for an allowed
 * and a denied call (goal: p50 ≤ 20 µs), and the time to decide the `tools/list` filter for the whole catalog.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadCatalog } from '../runtime/catalog/index.ts';
import { loadConfig, policyDataFromConfig } from '../runtime/config/index.ts';
import { loadPolicyEngine, type PolicyEngine } from '../runtime/policy/engine.ts';
import { ENTRYPOINT, PATTERN_INDEX_ENTRYPOINT } from '../runtime/policy/manifest.ts';
import { MemoryRateLimiter } from '../runtime/policy/rate-limit.ts';
import { listInput } from '../runtime/policy/review.ts';
import type { PolicyInput } from '../runtime/policy/types.ts';
import { paths, root } from '../test/policy/helpers.ts';
import { measureSync, percentiles } from './measure.ts';

const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

export const title = 'policy (WASM decisions)';

/** Samples in µs after a warm-up of up to 1000 runs. */
const time = (n: number, fn: () => void) => measureSync(n, fn, { warmup: Math.min(1000, n), unit: 'µs' });

const row = (name: string, samples: number[], unit: 'µs' | 'ms', extra: Record<string, string | number> = {}) => {
  const p = percentiles(samples);
  return { name, runs: samples.length, [`p50 ${unit}`]: p.p50, [`p99 ${unit}`]: p.p99, [`max ${unit}`]: p.max, ...extra };
};

const GOAL_P50_US = 20;
/** A decision row with the goal verdict (p50 ≤ 20 µs). */
const decisionRow = (name: string, samples: number[]) =>
  row(name, samples, 'µs', { [`goal p50 ≤ ${GOAL_P50_US} µs`]: percentiles(samples).p50 <= GOAL_P50_US ? 'ok' : 'over' });

export default async function bench() {
  const data = policyDataFromConfig(await loadConfig(`${root}moodle-mcp.config.yaml`, {}));
  const engine: PolicyEngine = await loadPolicyEngine({ ...paths, data });
  const { functions } = await loadCatalog();
  const fn = functions.find((f) => f.name === 'core_course_get_contents')!;
  const profile = Object.keys(data.profiles).find((p) => data.profiles[p]!.courses) ?? Object.keys(data.profiles)[0]!;
  const base = listInput(profile, data.profiles[profile], fn);
  // As the pipeline builds it for a signed-in OAuth client (the current time, a client id of realistic length).
  const allowed: PolicyInput = {
    ...base,
    action: 'tools/call',
    connection: { ...base.connection, id: 'oauth:b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d', auth_method: 'oauth' },
    courses: data.profiles[profile]!.courses?.slice(0, 1) ?? [2],
    now_ns: Date.now() * 1_000_000,
  };
  const denied: PolicyInput = { ...allowed, client_ip: '192.0.2.1', courses: [999], connection: { ...allowed.connection, site_admin: true } };
  if (!engine.decide(allowed).allow) throw new Error(`bench: expected ${profile} to be allowed: ${engine.decide(allowed).reasons}`);

  // The same decision through opa-wasm's own LoadedPolicy.evaluate, side by side with the engine's evaluator.
  const library = loadPolicySync(await readFile(paths.wasmPath));
  library.setData(data);
  library.setData({ ...data, pattern_index: library.evaluate(undefined, PATTERN_INDEX_ENTRYPOINT)[0].result });
  assert.deepEqual(library.evaluate(allowed, ENTRYPOINT)[0].result, engine.decide(allowed));

  const rows = [];
  for (let round = 0; round < 2; round++) {
    rows.push(
      decisionRow(`decide tools/call, allowed (${profile})`, time(10_000, () => engine.decide(allowed))),
      row('  same, through LoadedPolicy.evaluate', time(10_000, () => library.evaluate(allowed, ENTRYPOINT)), 'µs'),
    );
  }
  // A call whose references need Moodle lookups is decided twice: first with its course facts deferred, then with them.
  const deferred: PolicyInput = { ...allowed, courses: [], courses_resolved: false, courses_deferred: true };
  assert.equal(engine.decide(deferred).allow, true);
  rows.push(
    decisionRow('decide tools/call, course facts deferred (1st of 2)', time(10_000, () => engine.decide(deferred))),
    row('  both evaluations of a call with lookups', time(10_000, () => (engine.decide(deferred), engine.decide(allowed))), 'µs'),
  );
  const deniedOnce: PolicyInput = { ...allowed, client_ip: '192.0.2.1' };
  assert.equal(engine.decide(deniedOnce).reasons.length, 1);
  rows.push(
    decisionRow('decide tools/call, denied (1 reason: IP)', time(20_000, () => engine.decide(deniedOnce))),
    decisionRow('decide tools/call, denied (3 reasons)', time(20_000, () => engine.decide(denied))),
  );

  const limiter = new MemoryRateLimiter();
  let now = Date.now();
  rows.push(
    row('rate hit (memory) + decide', time(20_000, () => {
      void limiter.hit('bench', fn.name, ++now);
      engine.decide(allowed);
    }), 'µs'),
  );
  await limiter.close();

  for (const name of Object.keys(data.profiles)) {
    const inputs = functions.map((f) => listInput(name, data.profiles[name], f));
    let listed = 0;
    const samples = time(30, () => {
      listed = 0;
      for (const input of inputs) if (engine.decide(input).allow) listed++;
    }).map((us) => us / 1000);
    rows.push(row(`tools/list filter, ${functions.length} functions, profile ${name}`, samples, 'ms', { listed }));
  }
  engine.close();
  return rows;
}
