import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractText, FileExtractError, type Extracted } from '../../runtime/files/extract.ts';
import { makeDocx, makeEncryptedPdf, makePdf, makeZip } from '../helpers/sample-files.ts';

const LIMITS = { maxChars: 100_000, maxPages: 50 };
const PDF = { filename: 'syllabus.pdf', mimetype: 'application/pdf' };
const DOCX = { filename: 'brief.docx', mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' };
const utf8 = (s: string) => new TextEncoder().encode(s);

function asText(result: Extracted) {
  assert.equal(result.kind, 'text', `expected text, got ${JSON.stringify(result)}`);
  return result as Extract<Extracted, { kind: 'text' }>;
}

test('a PDF syllabus gives its text page by page and its page count', async () => {
  const bytes = await makePdf([['Project Management syllabus', 'Week 1: initiation'], ['Week 2: planning']]);
  const result = asText(await extractText(bytes, PDF, LIMITS));
  assert.equal(result.format, 'pdf');
  assert.equal(result.pages, 2);
  assert.equal(result.truncated, false);
  assert.match(result.text, /Page 1: Project Management syllabus\s+Page 1: Week 1: initiation\s+Page 2: Week 2: planning/);
});

test('a PDF is read only up to maxPages: later pages are not extracted, and the answer says it was truncated', async () => {
  const bytes = await makePdf(Array.from({ length: 30 }, (_, i) => [`topic ${i + 1}`]));
  const result = asText(await extractText(bytes, PDF, { maxChars: 100_000, maxPages: 3 }));
  assert.equal(result.pages, 30);
  assert.equal(result.truncated, true);
  assert.match(result.text, /Page 3: topic 3/);
  assert.doesNotMatch(result.text, /Page 4:/);
});

test('a PDF stops at maxChars even when more pages are allowed', async () => {
  const bytes = await makePdf(Array.from({ length: 20 }, (_, i) => [`a line of course text on page ${i + 1}`.repeat(2)]));
  const result = asText(await extractText(bytes, PDF, { maxChars: 150, maxPages: 50 }));
  assert.equal(result.truncated, true);
  assert.ok(result.text.length <= 150, `got ${result.text.length} characters`);
  assert.doesNotMatch(result.text, /Page 5:/);
});

test('the content decides the type: a PDF named without extension and sent as octet-stream is still read', async () => {
  const bytes = await makePdf([['Assignment brief']]);
  const result = asText(await extractText(bytes, { filename: 'brief', mimetype: 'application/octet-stream' }, LIMITS));
  assert.equal(result.format, 'pdf');
  assert.match(result.text, /Assignment brief/);
});

test('an encrypted PDF is refused with a FileExtractError that says it is encrypted', async () => {
  await assert.rejects(extractText(await makeEncryptedPdf(), PDF, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /encrypted/);
    return true;
  });
});

test('a truncated PDF is refused as corrupt', async () => {
  const bytes = await makePdf([['Week 1'], ['Week 2']]);
  await assert.rejects(extractText(bytes.slice(0, 200), PDF, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /PDF is corrupt/);
    return true;
  });
});

test('a file declared a PDF whose content is not one is refused (name and content disagree)', async () => {
  await assert.rejects(extractText(utf8('just some text'), PDF, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /"syllabus.pdf" .*declared a PDF.*PDF header/);
    return true;
  });
});

test('a DOCX assignment brief gives its text, headings included', async () => {
  const bytes = await makeDocx('Project charter', ['Write a one-page charter for your team project.', 'Due at the end of week 4.']);
  const result = asText(await extractText(bytes, DOCX, LIMITS));
  assert.equal(result.format, 'docx');
  assert.equal(result.truncated, false);
  assert.equal(result.pages, undefined);
  assert.match(result.text, /Project charter\s+Write a one-page charter for your team project\.\s+Due at the end of week 4\./);
});

test('a long DOCX is cut at maxChars before conversion: later paragraphs never appear', async () => {
  const paragraphs = Array.from({ length: 300 }, (_, i) => `Paragraph ${i + 1} of the project handbook.`);
  const result = asText(await extractText(await makeDocx('Handbook', paragraphs), DOCX, { maxChars: 300, maxPages: 50 }));
  assert.equal(result.truncated, true);
  assert.ok(result.text.length <= 300);
  assert.doesNotMatch(result.text, /Paragraph 300 /);
});

test('a damaged DOCX is refused as corrupt; a "DOCX" that is not a ZIP is refused', async () => {
  const bytes = await makeDocx('Brief', ['text']);
  await assert.rejects(extractText(bytes.slice(0, Math.floor(bytes.length / 2)), DOCX, LIMITS), /DOCX is corrupt/);
  await assert.rejects(extractText(utf8('not a zip'), DOCX, LIMITS), /declared a DOCX but its content is not a ZIP/);
});

test('a DOCX that expands beyond the limit (a ZIP bomb) is refused before it is unzipped', async () => {
  const bytes = await makeDocx('Brief', ['text']);
  // Rewrite the uncompressed size each central-directory entry declares to 100 MiB.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let entries = 0;
  for (let at = 0; at + 46 <= bytes.length; at++) {
    if (view.getUint32(at, true) === 0x02014b50) {
      view.setUint32(at + 24, 100 * 1024 * 1024, true);
      entries++;
    }
  }
  assert.ok(entries > 0);
  await assert.rejects(extractText(bytes, DOCX, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /expands to \d+ MiB, more than the 64 MiB/);
    return true;
  });
});

test('a DOCX whose entries expand beyond the limit while declaring small sizes is refused while inflating, not after', async () => {
  const types = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>';
  const body = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Brief</w:t></w:r></w:p></w:body></w:document>';
  // 65 MiB of spaces inside document.xml, declared as 1 KiB: the unzipper would only notice after inflating it all.
  const bomb = `<?xml version="1.0"?><!--${' '.repeat(65 * 1024 * 1024)}-->${body}`;
  const bytes = makeZip([{ name: '[Content_Types].xml', data: types }, { name: 'word/document.xml', data: bomb, declaredSize: 1024 }]);
  await assert.rejects(extractText(bytes, DOCX, LIMITS), (error: unknown) => {
    assert.ok(error instanceof FileExtractError);
    assert.match(error.message, /expands to more than the 64 MiB a document may take/);
    return true;
  });
  // The same document without the padding is read: the check inflates, it does not guess.
  const fine = asText(await extractText(makeZip([{ name: '[Content_Types].xml', data: types }, { name: 'word/document.xml', data: `<?xml version="1.0"?>${body}` }]), DOCX, LIMITS));
  assert.equal(fine.text, 'Brief');
});

test('a DOCX whose ZIP directory cannot be read (shifted offsets the unzipper would repair) is refused as corrupt', async () => {
  const good = await makeDocx('Brief', ['text']);
  const shifted = new Uint8Array([...good.subarray(0, 4), ...new Uint8Array(60), ...good]);
  await assert.rejects(extractText(shifted, DOCX, LIMITS), /the DOCX is corrupt: its ZIP directory cannot be read/);
});

test('a ZIP that is not a Word document is a binary, with the reason', async () => {
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...utf8('data/readme.txt and more bytes')]);
  const result = await extractText(zip, { filename: 'data.zip', mimetype: 'application/zip' }, LIMITS);
  assert.deepEqual(result, { kind: 'binary', reason: '"data.zip" (application/zip) is a ZIP archive, not a text document' });
});

test('HTML (a Moodle page index.html) gives readable text without markup, scripts or styles', async () => {
  const html = '<!DOCTYPE html><html><head><style>p{color:red}</style><script>alert(1)</script></head>' +
    '<body><h2>Course syllabus</h2><p>Welcome to <strong>PM101</strong>.</p><ul><li>Week 1</li><li>Week 2</li></ul>' +
    '<img src="x.png" alt="logo"></body></html>';
  const result = asText(await extractText(utf8(html), { filename: 'index.html', mimetype: 'text/html' }, LIMITS));
  assert.equal(result.format, 'html');
  assert.match(result.text, /Course syllabus\s+Welcome to PM101\.\s+\* Week 1\s+\* Week 2/);
  assert.doesNotMatch(result.text, /alert|color|<|logo/);
});

test('HTML is recognised by content when the name and type say nothing', async () => {
  const result = asText(await extractText(utf8('<html><body><p>Hi</p></body></html>'), { filename: 'file', mimetype: '' }, LIMITS));
  assert.equal(result.format, 'html');
  assert.equal(result.text, 'Hi');
});

test('plain text: the BOM is dropped and maxChars applies', async () => {
  const result = asText(await extractText(utf8('\uFEFFReading list\nChapter 1'), { filename: 'notes.txt', mimetype: 'text/plain' }, LIMITS));
  assert.deepEqual(result, { kind: 'text', format: 'text', text: 'Reading list\nChapter 1', truncated: false });
  const cut = asText(await extractText(utf8('x'.repeat(5000)), { filename: 'a.txt', mimetype: 'text/plain' }, { maxChars: 10, maxPages: 1 }));
  assert.deepEqual(cut, { kind: 'text', format: 'text', text: 'xxxxxxxxxx', truncated: true });
});

test('a huge text file is decoded only up to a bound, not whole', async () => {
  const bytes = utf8('é'.repeat(4_000_000)); // 8 MB of two-byte characters
  const result = asText(await extractText(bytes, { filename: 'big.txt', mimetype: 'text/plain' }, { maxChars: 1000, maxPages: 1 }));
  assert.equal(result.text, 'é'.repeat(1000));
  assert.equal(result.truncated, true);
});

test('images and unknown binaries come back as binary with a reason', async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assert.deepEqual(await extractText(png, { filename: 'logo.png', mimetype: 'image/png' }, LIMITS), {
    kind: 'binary',
    reason: '"logo.png" (image/png) is not a text format',
  });
  const result = await extractText(png, { filename: 'blob', mimetype: 'application/octet-stream' }, LIMITS);
  assert.equal(result.kind, 'binary');
  assert.match((result as { reason: string }).reason, /binary data/);
});

test('limits must be positive integers: a clear RangeError naming the limit', async () => {
  const file = { filename: 'a.txt', mimetype: 'text/plain' };
  await assert.rejects(extractText(utf8('x'), file, { maxChars: 0, maxPages: 1 }), /limits\.maxChars must be a positive integer, got 0/);
  await assert.rejects(extractText(utf8('x'), file, { maxChars: 10, maxPages: Number.NaN }), /limits\.maxPages must be a positive integer, got NaN/);
});

test('an empty file declared as text is empty text; declared as a PDF it is refused', async () => {
  assert.deepEqual(await extractText(new Uint8Array(0), { filename: 'empty.txt', mimetype: 'text/plain' }, LIMITS), { kind: 'text', format: 'text', text: '', truncated: false });
  await assert.rejects(extractText(new Uint8Array(0), PDF, LIMITS), FileExtractError);
});
