/**
 * `make bench`: runs every bench/<area>.bench.ts (or those named on the command line) one after the other
 * and prints each as a table. Numbers from one run on one machine: compare ratios within a table, not across runs.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Row = { name: string; [column: string]: string | number };

function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : String(v ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(columns));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}

const dir = fileURLToPath(new URL('./', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
if (files.length === 0) {
  console.error('bench: no benchmark files found');
  process.exit(1);
}
console.log(`moodle-mcp benchmarks — node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
let failed = 0;
for (const file of files) {
  try {
    const mod = (await import(`./${file}`)) as { default: () => Promise<Row[]>; title?: string; onlyWhenNamed?: boolean };
    // Long campaigns (fuzz) run only when named: `node bench/run.ts fuzz`.
    if (mod.onlyWhenNamed && only.length === 0) continue;
    printTable(mod.title ?? file.replace('.bench.ts', ''), await mod.default());
  } catch (error) {
    failed++;
    console.error(`bench ${file} failed:`, error);
  }
}
process.exit(failed ? 1 : 0);
