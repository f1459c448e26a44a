// Text extraction from the files a course holds (PDF, DOCX, HTML, plain text), with page and character limits
// applied while extracting. The type is decided from the content (magic bytes, UTF-8 validity) together with the
// declared mimetype and the file name's extension: neither alone is trusted.
import { promisify } from 'node:util';
import { inflateRaw as inflateRawCallback } from 'node:zlib';
// The parsers load on first use of their format: each extraction runs in a fresh worker, which then loads only what
// its file needs (a plain-text or HTML read no longer pays for pdf.js and mammoth).
const htmlToTextLibrary = () => import('html-to-text');
const mammothLibrary = async () => (await import('mammoth')).default;
const unpdfLibrary = () => import('unpdf');

const inflateRaw = promisify(inflateRawCallback);

/** How much text one extraction may produce. */
export interface ExtractLimits {
  /** Characters of text at most; the rest is not extracted and `truncated` is true. */
  maxChars: number;
  /** PDF pages read at most; later pages are not parsed and `truncated` is true. */
  maxPages: number;
}

/** The text of a file, or why it has none (images, archives, unknown binaries). */
export type Extracted =
  | { kind: 'text'; format: 'pdf' | 'docx' | 'html' | 'text'; text: string; truncated: boolean; pages?: number }
  | { kind: 'binary'; reason: string };

/** A file that claims (or looks like) a text format but cannot be read: corrupt, encrypted, or content and name disagree. */
export class FileExtractError extends Error {
  override name = 'FileExtractError';
}

type Format = 'pdf' | 'docx' | 'html' | 'text';
type Declared = Format | 'binary' | 'unknown';

const TEXT_EXTENSIONS = new Set(['txt', 'text', 'md', 'markdown', 'csv', 'tsv', 'json', 'xml', 'log', 'rtf', 'ini', 'yaml', 'yml']);
const HTML_EXTENSIONS = new Set(['html', 'htm', 'xhtml']);
const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const GENERIC_MIMES = new Set(['', 'application/octet-stream', 'document/unknown', 'application/x-unknown']);

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/** What the mimetype and the extension say; the mimetype wins unless it is generic (Moodle's `document/unknown`). */
function declaredFormat(filename: string, mimetype: string): Declared {
  const mime = mimetype.split(';')[0]!.trim().toLowerCase();
  if (!GENERIC_MIMES.has(mime)) {
    if (mime === 'application/pdf') return 'pdf';
    if (mime === DOCX_MIME) return 'docx';
    if (mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
    if (mime.startsWith('text/') || mime === 'application/json' || mime === 'application/xml') return 'text';
    return 'binary';
  }
  const ext = extensionOf(filename);
  if (ext === 'pdf') return 'pdf';
  if (ext === 'docx') return 'docx';
  if (HTML_EXTENSIONS.has(ext)) return 'html';
  if (TEXT_EXTENSIONS.has(ext)) return 'text';
  return 'unknown';
}

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4

/** PDF allows junk before the header within the first 1024 bytes. */
function looksLikePdf(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length - PDF_MAGIC.length, 1024);
  for (let i = 0; i <= end; i++) if (startsWith(bytes, PDF_MAGIC, i)) return true;
  return false;
}

/** A DOCX is a ZIP whose entries include word/document.xml (the name is stored uncompressed in the headers). */
function zipHasWordDocument(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('word/document.xml', 0, 'latin1');
}

/** UTF-8 text without NUL bytes and with few control characters, or null. */
function decodeText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control > text.length / 100 + 1 ? null : text;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text.slice(0, 1024));
}

function cut(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = maxChars;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not split a surrogate pair
  return { text: text.slice(0, end), truncated: true };
}

async function extractPdf(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const { getDocumentProxy } = await unpdfLibrary();
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of (and detaches) the buffer it is given: pass a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, stopAtErrors: true, verbosity: 0 });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'PasswordException') throw new FileExtractError('the PDF is encrypted with a password; its text cannot be read');
    throw new FileExtractError(`the PDF is corrupt: ${(error as Error).message.replace(/\.?$/, '')}`);
  }
  try {
    const pages = pdf.numPages;
    const parts: string[] = [];
    let chars = 0;
    let truncated = pages > limits.maxPages;
    for (let n = 1; n <= Math.min(pages, limits.maxPages); n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      let line = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        line += item.str + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      parts.push(line.trim());
      chars += line.length + 2;
      if (chars >= limits.maxChars) {
        truncated ||= n < pages || chars > limits.maxChars;
        break;
      }
    }
    const result = cut(parts.join('\n\n'), limits.maxChars);
    return { kind: 'text', format: 'pdf', text: result.text, truncated: truncated || result.truncated, pages };
  } catch (error) {
    throw new FileExtractError(`the PDF is corrupt: ${(error as Error).message}`);
  } finally {
    await pdf.destroy();
  }
}

/** Keeps the document's first blocks up to about maxChars of text, so later blocks are never converted. */
function truncateDocument(maxChars: number, onCut: () => void) {
  type Node = { type: string; value?: string; children?: Node[] };
  const textLength = (node: Node): number =>
    node.type === 'text' ? (node.value ?? '').length : (node.children ?? []).reduce((n, c) => n + textLength(c), 0);
  return (document: Node): Node => {
    const kept: Node[] = [];
    let chars = 0;
    for (const child of document.children ?? []) {
      if (chars >= maxChars) {
        onCut();
        break;
      }
      kept.push(child);
      chars += textLength(child) + 1;
    }
    return { ...document, children: kept };
  };
}

/** A DOCX whose entries expand beyond this is refused before mammoth unzips it (a ZIP bomb, or no course document). */
export const MAX_DOCX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

/** A ZIP entry as the central directory places it (what the unzipper will read). */
interface ZipEntry {
  method: number;
  compressedSize: number;
  declaredSize: number;
  localOffset: number;
}

/**
 * The central directory's entries, or null when it cannot be read where the end record says it is. The unzipper
 * repairs shifted offsets (bytes prepended to the archive); no course document needs that, so it is refused here.
 */
function zipEntries(bytes: Uint8Array): ZipEntry[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50, within the last 22 + 65535 bytes (the comment).
  for (let eocd = bytes.length - 22; eocd >= Math.max(0, bytes.length - 22 - 0xffff); eocd--) {
    if (view.getUint32(eocd, true) !== 0x06054b50) continue;
    const count = view.getUint16(eocd + 10, true);
    let at = view.getUint32(eocd + 16, true);
    const entries: ZipEntry[] = [];
    for (let i = 0; i < count; i++) {
      if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) return null;
      entries.push({ method: view.getUint16(at + 10, true), compressedSize: view.getUint32(at + 20, true), declaredSize: view.getUint32(at + 24, true), localOffset: view.getUint32(at + 42, true) });
      at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    }
    return entries;
  }
  return null;
}

/**
 * Whether the entries really expand to at most `limit` bytes, inflated under that cap. Declared sizes can lie, and the
 * unzipper compares them only after inflating everything: the check is made on the inflated bytes.
 */
async function zipExpandsWithin(bytes: Uint8Array, entries: ZipEntry[], limit: number): Promise<boolean> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  for (const entry of entries) {
    const local = entry.localOffset;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw new FileExtractError('the DOCX is corrupt: its ZIP directory cannot be read');
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === 0) total += data.byteLength;
    else if (entry.method === 8) {
      try {
        total += (await inflateRaw(data, { maxOutputLength: limit - total + 1 })).byteLength;
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return false;
        throw new FileExtractError(`the DOCX is corrupt: an entry cannot be inflated (${(error as Error).message})`);
      }
    } else throw new FileExtractError(`the DOCX is corrupt: an entry uses ZIP compression method ${entry.method}`);
    if (total > limit) return false;
  }
  return true;
}

async function extractDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const entries = zipEntries(bytes);
  if (!entries) throw new FileExtractError('the DOCX is corrupt: its ZIP directory cannot be read');
  const declared = entries.reduce((sum, e) => sum + e.declaredSize, 0);
  const limitMiB = MAX_DOCX_UNCOMPRESSED_BYTES / 1048576;
  if (declared > MAX_DOCX_UNCOMPRESSED_BYTES) {
    throw new FileExtractError(`the DOCX expands to ${Math.round(declared / 1048576)} MiB, more than the ${limitMiB} MiB a document may take; it is not read`);
  }
  if (!(await zipExpandsWithin(bytes, entries, MAX_DOCX_UNCOMPRESSED_BYTES))) {
    throw new FileExtractError(`the DOCX expands to more than the ${limitMiB} MiB a document may take (its entries declare less); it is not read`);
  }
  let cutBlocks = false;
  let html: string;
  try {
    const mammoth = await mammothLibrary();
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        transformDocument: truncateDocument(limits.maxChars, () => (cutBlocks = true)) as never,
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      },
    );
    html = result.value;
  } catch (error) {
    throw new FileExtractError(`the DOCX is corrupt: ${(error as Error).message}`);
  }
  const result = cut(await htmlAsText(html, limits.maxChars), limits.maxChars);
  return { kind: 'text', format: 'docx', text: result.text, truncated: cutBlocks || result.truncated };
}

async function htmlAsText(html: string, maxChars: number): Promise<string> {
  const { convert: htmlToText } = await htmlToTextLibrary();
  return htmlToText(html, {
    wordwrap: false,
    // Markup is at most a few times the text; a cap on the input bounds the parse for huge pages.
    limits: { maxInputLength: Math.max(maxChars * 20, 64 * 1024), ellipsis: '' },
    selectors: [
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
    ],
  }).trim();
}

/**
 * Extracts the text of a file. Text formats (PDF, DOCX, HTML, plain text) give `kind: 'text'`; anything else gives
 * `kind: 'binary'` with the reason. Throws FileExtractError when a file is corrupt, encrypted, or its content
 * contradicts its declared type (a "PDF" that is not one); RangeError when a limit is not a positive integer.
 */
export async function extractText(
  bytes: Uint8Array,
  file: { filename: string; mimetype: string },
  limits: ExtractLimits,
): Promise<Extracted> {
  for (const name of ['maxChars', 'maxPages'] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`extractText: limits.${name} must be a positive integer, got ${String(value)}`);
  }
  const declared = declaredFormat(file.filename, file.mimetype);
  const what = `"${file.filename}" (${file.mimetype || 'no content type'})`;

  if (looksLikePdf(bytes)) return extractPdf(bytes, limits);
  if (declared === 'pdf') throw new FileExtractError(`${what} is declared a PDF but its content does not start with a PDF header`);

  if (startsWith(bytes, ZIP_MAGIC)) {
    if (zipHasWordDocument(bytes)) return extractDocx(bytes, limits);
    if (declared === 'docx') throw new FileExtractError(`${what} is declared a DOCX but the archive holds no word/document.xml`);
    return { kind: 'binary', reason: `${what} is a ZIP archive, not a text document` };
  }
  if (declared === 'docx') throw new FileExtractError(`${what} is declared a DOCX but its content is not a ZIP archive`);

  if (declared === 'binary') return { kind: 'binary', reason: `${what} is not a text format` };
  const text = decodeText(textPrefix(bytes, limits.maxChars));
  if (text === null) return { kind: 'binary', reason: `${what} holds binary data that is not a supported text format` };

  if (declared === 'html' || looksLikeHtml(text)) {
    const result = cut(await htmlAsText(text, limits.maxChars), limits.maxChars);
    return { kind: 'text', format: 'html', text: result.text, truncated: result.truncated };
  }
  const result = cut(text.replace(/^\uFEFF/, ''), limits.maxChars);
  return { kind: 'text', format: 'text', text: result.text, truncated: result.truncated };
}

/**
 * Text and HTML are decoded only up to a bound (markup is at most a few times its text): a huge file is never
 * decoded whole. A UTF-8 character cut at the bound is dropped.
 */
function textPrefix(bytes: Uint8Array, maxChars: number): Uint8Array {
  const limit = Math.max(maxChars * 24, 64 * 1024);
  if (bytes.length <= limit) return bytes;
  let end = limit;
  while (end > limit - 4 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
