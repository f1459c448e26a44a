// The file tools' stages (runtime/files/service.ts) with a scripted file client: rendering by kind, the limits
// (blob size, the site's upload limit), unreadable files, and the audit fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallContext } from '../../runtime/mcp/context.ts';
import { ToolError } from '../../runtime/mcp/errors.ts';
import type { DownloadedFile, MoodleFiles } from '../../runtime/moodle/files.ts';
import { createFileService, type ExtractText, type FileLimits } from '../../runtime/files/service.ts';
import { FILE_FUNCTIONS, FILE_TOOLS } from '../../runtime/files/tools.ts';
import { extractText } from '../../runtime/files/extract.ts';
import { makePdf } from '../helpers/sample-files.ts';

const READ = FILE_FUNCTIONS.get(FILE_TOOLS.read)!;
const UPLOAD = FILE_FUNCTIONS.get(FILE_TOOLS.upload)!;
const LIMITS: FileLimits = { maxReadBytes: 1_000_000, maxUploadBytes: 1_000, maxTextChars: 50, maxPdfPages: 2, maxBlobBytes: 100 };
const ctx = (maxUploadBytes?: number): CallContext => ({
  connection: { id: 'c', authMethod: 'apikey', profile: 'p', scopes: ['api.read', 'api.write'], moodleToken: 'secret-token', moodleUser: { id: 6, username: 'emma', isSiteAdmin: false, maxUploadBytes } },
  clientIp: '127.0.0.1',
  requestId: 'r',
});
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function service(file: Partial<DownloadedFile> & { bytes: Uint8Array }, extract: ExtractText = extractText) {
  const uploads: unknown[] = [];
  const files: MoodleFiles = {
    download: async () => ({ mimetype: 'application/octet-stream', filename: 'f', ...file }),
    upload: async (_token, f) => {
      uploads.push(f);
      return { itemid: 99, contextid: 17, filename: f.filename, filepath: f.filepath, filesize: f.bytes.byteLength };
    },
    urlOf: (ref) => `https://moodle.example.edu/webservice/pluginfile.php/${ref.contextid}/${ref.component}/${ref.filearea}${ref.filepath}${ref.filename}`,
    parseUrl: () => {
      throw new Error('not used');
    },
  };
  return { svc: createFileService({ files, extract, limits: LIMITS }), uploads };
}

const ref = { contextid: 63, component: 'mod_assign', filearea: 'introattachment', itemid: 0, filepath: '/', filename: 'x' };
async function readRendered(file: Partial<DownloadedFile> & { bytes: Uint8Array }, extract?: ExtractText) {
  const { svc } = service(file, extract);
  return svc.render(READ, await svc.call(ctx(), READ, ref));
}

test('a PDF is read up to files.max_pdf_pages and files.max_text_chars, and says it was cut', async () => {
  const pdf = await makePdf([['Week one: scope and charter.'], ['Week two: schedule.'], ['Week three: risks.']]);
  const { result, fields } = await readRendered({ bytes: pdf, mimetype: 'application/pdf', filename: 'syllabus.pdf' });
  const text = (result.content[0] as { text: string }).text;
  assert.match(text, /^syllabus\.pdf \(application\/pdf, \d+ bytes\): text extracted from PDF, 3 pages; the text was cut at the gateway's page or length limit/);
  assert.match(text, /Week one/);
  assert.doesNotMatch(text, /Week three/);
  assert.equal(fields.file_type, 'application/pdf');
  assert.equal(fields.file_size, pdf.byteLength);
});

test('images are image content up to files.max_blob_bytes; past it, and for unknown binaries past it, only a sentence', async () => {
  const image = await readRendered({ bytes: PNG, mimetype: 'image/png', filename: 'gantt.png' });
  assert.deepEqual(image.result.content[1], { type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' });
  const bigImage = await readRendered({ bytes: Buffer.concat([PNG, Buffer.alloc(200)]), mimetype: 'image/png', filename: 'big.png' });
  assert.equal(bigImage.result.content.length, 1);
  assert.match((bigImage.result.content[0] as { text: string }).text, /it is not returned: 270 bytes is more than the 100 bytes a blob may have \(files\.max_blob_bytes\)/);
  // A file that claims to be an image but is not one is no image content.
  const fake = await readRendered({ bytes: Buffer.from('GIF89a? no, text'), mimetype: 'image/png', filename: 'fake.png' });
  assert.notEqual(fake.result.content[1]?.type, 'image');
  const blob = await readRendered({ bytes: Buffer.alloc(500, 1), mimetype: 'application/zip', filename: 'data.zip' });
  assert.equal(blob.result.content.length, 1);
  assert.match((blob.result.content[0] as { text: string }).text, /^data\.zip \(application\/zip, 500 bytes\): .*not returned/);
});

test('a file the extractor cannot read is an unreadable_file error saying why; the content never is in the message', async () => {
  await assert.rejects(
    service({ bytes: Buffer.from('%PDF-1.7 broken secret-content'), mimetype: 'application/pdf', filename: 'broken.pdf' }).svc.call(ctx(), READ, ref),
    (error: unknown) => error instanceof ToolError && error.code === 'unreadable_file' && /^broken\.pdf cannot be read: /.test(error.message) && !error.message.includes('secret-content'),
  );
});

test("uploads are capped by the site's usermaxuploadfilesize for this person, then by files.max_upload_bytes at validation", async () => {
  const { svc, uploads } = service({ bytes: new Uint8Array() });
  const valid = svc.validate(UPLOAD, { filename: 'r.txt', content_text: 'x'.repeat(600) });
  assert.ok(valid.ok);
  await assert.rejects(svc.call(ctx(500), UPLOAD, valid.value), (error: unknown) => error instanceof ToolError && error.code === 'file_too_large' && error.status === 413 && /at most 500 bytes per file from you \(usermaxuploadfilesize\)/.test(error.message));
  assert.equal(uploads.length, 0);
  const answer = await svc.call(ctx(1_000_000), UPLOAD, valid.value);
  assert.deepEqual(svc.render(UPLOAD, answer).fields, { file_size: 600, context_id: 17, response_bytes: svc.render(UPLOAD, answer).fields.response_bytes });
  const tooBig = svc.validate(UPLOAD, { filename: 'r.txt', content_base64: Buffer.alloc(1_001).toString('base64') });
  assert.deepEqual(tooBig, { ok: false, issues: [{ path: 'content_base64', message: 'the file is 1001 bytes; at most 1000 (files.max_upload_bytes)' }] });
  assert.deepEqual(svc.auditFacts(UPLOAD, valid.value), { file_name: 'r.txt', file_size: 600 });
});

test('a large base64 upload is validated in linear time (no regex stack overflow); bad base64 still names the field', () => {
  const bigLimits = { ...LIMITS, maxUploadBytes: 8 * 1024 * 1024 };
  const svc = createFileService({ files: {} as MoodleFiles, extract: extractText, limits: bigLimits });
  const content = Buffer.alloc(6 * 1024 * 1024, 7).toString('base64');
  const ok = svc.validate(UPLOAD, { filename: 'report.pdf', content_base64: content });
  assert.ok(ok.ok);
  assert.equal((ok.value.bytes as Uint8Array).byteLength, 6 * 1024 * 1024);
  for (const bad of ['QUJD!', 'QUJ', 'QU=D', 'QUJDRA===', '====']) {
    assert.deepEqual(svc.validate(UPLOAD, { filename: 'r.bin', content_base64: bad }), { ok: false, issues: [{ path: 'content_base64', message: 'not valid base64 (A-Z, a-z, 0-9, +, / with = padding)' }] });
  }
  // Far past the limit: refused from its length, before it is decoded.
  const huge = svc.validate(UPLOAD, { filename: 'r.bin', content_base64: 'A'.repeat(12 * 1024 * 1024) });
  assert.equal(huge.ok, false);
  assert.match((huge as { issues: { message: string }[] }).issues[0].message, /at most 8388608 \(files\.max_upload_bytes\)/);
});
