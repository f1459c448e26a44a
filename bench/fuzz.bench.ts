/**
 * `make fuzz`: the full fuzz campaigns (test/fuzz/harness.ts) against a gateway with the Moodle simulator (a test
 * double): FUZZ_CASES cases in all (default 100 000), 60 % schema-driven tools/call over the 759 generated input
 * schemas (valid and mutated arguments), 40 % raw HTTP/JSON-RPC requests to /mcp. FUZZ_SEED picks the seed.
 * Fails (exit 1) when an invariant is broken: a crash, an unaudited tools/call, a Moodle call with arguments the
 * schema refuses, or a 5xx. `make bench` skips it unless named (`node bench/run.ts fuzz`).
 */
import { startFuzzTarget, type FuzzTally } from '../test/fuzz/harness.ts';

export const title = 'Fuzzing /mcp: schema-driven tools/call and raw HTTP/JSON-RPC (invariants must all be 0)';
export const onlyWhenNamed = true;

export default async function bench() {
  const total = Number(process.env.FUZZ_CASES ?? 100_000);
  const seed = Number(process.env.FUZZ_SEED ?? 20261207);
  const target = await startFuzzTarget();
  const tallies: [string, FuzzTally][] = [];
  const started = Date.now();
  const progress = (name: string) => (t: FuzzTally) =>
    console.error(`fuzz ${name}: ${t.cases} cases, ${Math.round((Date.now() - started) / 1000)} s, crashes ${t.crashes}, unaudited ${t.unaudited}, invalid reached Moodle ${t.invalidReachedMoodle}`);
  try {
    tallies.push(['schema (759 input schemas)', await target.schemaCampaign({ seed, cases: Math.round(total * 0.6), progress: progress('schema') })]);
    tallies.push(['raw HTTP/JSON-RPC', await target.rawCampaign({ seed, cases: total - Math.round(total * 0.6), progress: progress('raw') })]);
  } finally {
    await target.close();
  }
  const rows = tallies.map(([name, t]) => ({
    name,
    cases: t.cases,
    'tools/call': t.toolCalls,
    'args valid/invalid': t.validArgs + t.invalidArgs ? `${t.validArgs}/${t.invalidArgs}` : '-',
    audited: t.audited,
    unaudited: t.unaudited,
    'reached Moodle': t.reachedMoodle,
    'invalid reached Moodle': t.invalidReachedMoodle,
    crashes: t.crashes,
    '5xx': Object.values(t.serverErrors).reduce((a, b) => a + b, 0),
    's': Math.round(t.ms / 1000),
  }));
  for (const [name, t] of tallies) {
    console.log(`\n${name}: outcomes (HTTP status, JSON-RPC error codes) ${JSON.stringify(t.outcomes)}`);
    if (t.stricterThanSchema) console.log(`${name}: ${t.stricterThanSchema} calls refused although the JSON Schema accepts them (integers past 2^53: the gateway's Zod is stricter)`);
    if (Object.keys(t.serverErrors).length) console.log(`${name}: 5xx ${JSON.stringify(t.serverErrors)}`);
    for (const example of t.examples) console.log(`${name}: VIOLATION ${example}`);
  }
  const broken = tallies.some(([, t]) => t.crashes || t.unaudited || t.invalidReachedMoodle || Object.keys(t.serverErrors).length);
  if (broken) {
    console.log(rows);
    throw new Error('fuzz: an invariant is broken (see the VIOLATION lines)');
  }
  return rows;
}
