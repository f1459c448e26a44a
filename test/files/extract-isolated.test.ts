// Text extraction in a worker thread: the same answers as in-process, and a file built to expand without end (a PDF
// whose page content inflates to hundreds of MB from a few hundred KB) is stopped at the time limit, not the gateway.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';
import { FileExtractError } from '../../runtime/files/extract.ts';
import { isolatedExtractText } from '../../runtime/files/extract-isolated.ts';
import { makePdf } from '../helpers/sample-files.ts';

const PDF = { filename: 'syllabus.pdf', mimetype: 'application/pdf' };
const LIMITS = { maxChars: 10_000, maxPages: 5 };

async function pdfBomb(inflatedMiB: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  const content = deflateSync(Buffer.concat([Buffer.from('BT 72 712 Td ET\n'), Buffer.alloc(inflatedMiB * 1024 * 1024, 0x20)]), { level: 9 });
  const stream = PDFRawStream.of(doc.context.obj({ Length: PDFNumber.of(content.length), Filter: PDFName.of('FlateDecode') }), content);
  page.node.set(PDFName.of('Contents'), doc.context.register(stream));
  return doc.save();
}

test('a PDF is read in the worker like in-process; a corrupt one is still a FileExtractError', async () => {
  const extract = isolatedExtractText({ timeoutMs: 30_000 });
  const result = await extract(await makePdf([['Week one: scope and charter.']]), PDF, LIMITS);
  assert.equal(result.kind, 'text');
  assert.match((result as { text: string }).text, /Week one: scope and charter\./);
  await assert.rejects(extract(new TextEncoder().encode('%PDF-1.7 broken'), PDF, LIMITS), (error: unknown) => error instanceof FileExtractError && /the PDF is corrupt/.test(error.message));
});

test('a PDF that inflates without end is stopped at the time limit (the worker is terminated), with a clear error', async () => {
  const bomb = await pdfBomb(200);
  assert.ok(bomb.byteLength < 1024 * 1024, 'far below files.max_read_bytes');
  await assert.rejects(isolatedExtractText({ timeoutMs: 300 })(bomb, PDF, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /took longer than 300 ms \(files\.extract_timeout_ms\)/);
    return true;
  });
});

test('at most maxConcurrent extractions run at once: a call that finds them busy waits its turn, then fails clearly', async () => {
  const bomb = await pdfBomb(200);
  // The bomb holds the only worker for seconds (until it ends or its 4 s limit); the waiter gives up after 300 ms.
  const extract = isolatedExtractText({ timeoutMs: 4_000, maxConcurrent: 1, queueTimeoutMs: 300 });
  const busy = extract(bomb, PDF, LIMITS).catch(() => undefined);
  const waiting = extract(await makePdf([['Week two.']]), PDF, LIMITS);
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /1 other files were being read for 300 ms \(files\.max_concurrent_extractions\)/);
    return true;
  });
  await busy;
  const after = await extract(await makePdf([['Week three.']]), PDF, LIMITS);
  assert.match((after as { text: string }).text, /Week three\./, 'the slot is free again once the worker is stopped');
});
