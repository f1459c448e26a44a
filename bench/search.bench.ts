// Function search quality and cost: recall@1 and recall@5 of the search index over bench/search-queries.yaml
// (requests phrased as people do; goal: 80 % and 95 %), index build time per catalog load and query latency.
// `node --import tsx bench/search.bench.ts --misses` lists the requests whose answer is not first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadCatalog } from '../runtime/catalog/index.ts';
import { FunctionSearchIndex } from '../runtime/mcp/search-index.ts';
import { measureSync, percentiles } from './measure.ts';

export const title = 'function search (moodle_search_functions)';
const QUERIES = fileURLToPath(new URL('./search-queries.yaml', import.meta.url));
const GOAL = { at1: 0.8, at5: 0.95 };

export default async function bench(): Promise<{ name: string; [column: string]: string | number }[]> {
  const catalog = await loadCatalog();
  const queries = parse(readFileSync(QUERIES, 'utf8')) as { q: string; ok: string[] }[];
  const known = new Set(catalog.functions.map((f) => f.name));
  for (const { q, ok } of queries) for (const name of ok) if (!known.has(name)) throw new Error(`search-queries.yaml: "${q}": no function ${name}`);

  const builds = measureSync(5, () => new FunctionSearchIndex(catalog.functions), { warmup: 1 });
  const index = new FunctionSearchIndex(catalog.functions);
  let at1 = 0;
  let at5 = 0;
  const misses: string[] = [];
  for (const { q, ok } of queries) {
    const top = index.search(q).slice(0, 5).map((h) => h.name);
    if (ok.includes(top[0]!)) at1++;
    if (top.some((name) => ok.includes(name))) at5++;
    else misses.push(`MISS@5 "${q}" → ${top.join(', ')}`);
    if (!ok.includes(top[0]!) && top.some((name) => ok.includes(name))) misses.push(`miss@1 "${q}" → ${top.join(', ')}`);
  }
  if (process.argv.includes('--misses')) console.log(misses.join('\n'));
  let i = 0;
  const latency = percentiles(measureSync(500, () => index.search(queries[i++ % queries.length]!.q), { unit: 'µs' }));
  const build = percentiles(builds);
  const pct = (n: number) => `${((100 * n) / queries.length).toFixed(1)} %`;
  return [
    { name: 'recall@1', value: pct(at1), goal: '80 %', status: at1 / queries.length >= GOAL.at1 ? 'ok' : 'UNDER', detail: `${at1}/${queries.length} requests` },
    { name: 'recall@5', value: pct(at5), goal: '95 %', status: at5 / queries.length >= GOAL.at5 ? 'ok' : 'UNDER', detail: `${at5}/${queries.length} requests` },
    { name: 'index build (per catalog load)', value: `${build.p50.toFixed(0)} ms p50`, goal: '', status: '', detail: `${catalog.functions.length} functions, max ${build.max.toFixed(0)} ms` },
    { name: 'query', value: `${latency.p50.toFixed(0)} µs p50`, goal: '', status: '', detail: `p99 ${latency.p99.toFixed(0)} µs` },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.table(await bench());
