/** Text extraction (runtime/files/extract.ts) of realistic course files: a 20-page PDF, a long DOCX, a syllabus page. */
import { extractText } from '../runtime/files/extract.ts';
import { makeDocx, makePdf } from '../test/helpers/sample-files.ts';

export const title = 'files: text extraction';

const LINES = [
  'Learning outcomes: plan, schedule and control a small project with standard tools.',
  'Readings: chapter notes, the case study and the template pack for this week.',
  'Activity: work in your team on the deliverable and post questions in the forum.',
  'Assessment: the weekly quiz counts 2% and the team deliverable 10% of the grade.',
];

async function time(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const t = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - t) / runs;
}

export default async function bench(): Promise<{ name: string; [column: string]: string | number }[]> {
  const pdf = await makePdf(Array.from({ length: 20 }, (_, p) => Array.from({ length: 40 }, (_, l) => `${LINES[(p + l) % LINES.length]} (${p + 1}.${l + 1})`)));
  const docx = await makeDocx('Course handbook', Array.from({ length: 400 }, (_, i) => `${LINES[i % LINES.length]} (${i + 1})`));
  const html = new TextEncoder().encode(`<!DOCTYPE html><html><body>${Array.from({ length: 200 }, (_, i) => `<h3>Week ${i}</h3><p>${LINES[i % 4]}</p>`).join('')}</body></html>`);
  const big = { maxChars: 1_000_000, maxPages: 100 };
  const rows: { name: string; [column: string]: string | number }[] = [];
  const row = async (name: string, bytes: Uint8Array, file: { filename: string; mimetype: string }, limits: { maxChars: number; maxPages: number }, runs: number) => {
    let chars = 0;
    const ms = await time(runs, async () => {
      const result = await extractText(bytes, file, limits);
      chars = result.kind === 'text' ? result.text.length : 0;
    });
    rows.push({ name, 'input KB': +(bytes.length / 1024).toFixed(1), 'chars out': chars, 'ms/file': +ms.toFixed(2) });
  };
  const PDF = { filename: 'syllabus.pdf', mimetype: 'application/pdf' };
  await row('PDF, 20 pages, all read', pdf, PDF, big, 10);
  await row('PDF, 20 pages, maxPages 3', pdf, PDF, { maxChars: 1_000_000, maxPages: 3 }, 10);
  await row('PDF, 20 pages, maxChars 2000', pdf, PDF, { maxChars: 2000, maxPages: 100 }, 10);
  await row('DOCX, 400 paragraphs, all read', docx, { filename: 'handbook.docx', mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }, big, 10);
  await row('DOCX, 400 paragraphs, maxChars 2000', docx, { filename: 'handbook.docx', mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }, { maxChars: 2000, maxPages: 1 }, 10);
  await row('HTML page, 200 sections', html, { filename: 'index.html', mimetype: 'text/html' }, big, 20);
  return rows;
}
