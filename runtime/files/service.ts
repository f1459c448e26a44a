/**
 * What the call pipeline does for the file tools: validate their arguments, call Moodle's file endpoints as the
 * caller, and render the answer (text, image or blob content) with the audit fields of a file (name, size, type,
 * context id; never its content). The policy, course restriction, rate limits and audit record are the pipeline's.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditRecord } from '../audit/types.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { CallContext } from '../mcp/context.ts';
import { ToolError } from '../mcp/errors.ts';
import type { Validation } from '../mcp/pipeline.ts';
import { successResult } from '../mcp/render.ts';
import { MoodleError } from '../moodle/errors.ts';
import type { FileRef, MoodleFiles } from '../moodle/files.ts';
import { DRAFT_USES, FILE_TOOLS, readFileArgs, uploadFileArgs } from './tools.ts';

/** The `files:` section of the config. */
export interface FileLimits {
  maxReadBytes: number;
  maxUploadBytes: number;
  maxTextChars: number;
  maxPdfPages: number;
  maxBlobBytes: number;
}

/** What text extraction (runtime/files/extract.ts) answers. */
export type Extracted =
  | { kind: 'text'; format: 'pdf' | 'docx' | 'html' | 'text'; text: string; truncated: boolean; pages?: number }
  | { kind: 'binary'; reason: string };

/** Text extraction with limits; throws on a corrupt or encrypted file (its message says which and why). */
export type ExtractText = (bytes: Uint8Array, file: { filename: string; mimetype: string }, limits: { maxChars: number; maxPages: number }) => Promise<Extracted>;

/** A file to upload, as validated. */
export interface UploadArgs {
  filename: string;
  filepath: string;
  itemid?: number;
  bytes: Uint8Array;
}

/** A file that was read, before rendering. */
interface ReadAnswer {
  tool: typeof FILE_TOOLS.read;
  uri: string;
  filename: string;
  mimetype: string;
  size: number;
  contextid: number;
  body:
    | { kind: 'text'; extracted: Extract<Extracted, { kind: 'text' }> }
    | { kind: 'image' | 'blob'; base64: string }
    | { kind: 'withheld'; why: string };
}

export interface FileService {
  validate(fn: CatalogFunction, args: unknown): Validation;
  /** Audit fields the validated arguments tell (file name, context id, size of an upload). */
  auditFacts(fn: CatalogFunction, args: Record<string, unknown>): Partial<AuditRecord>;
  call(ctx: CallContext, fn: CatalogFunction, args: Record<string, unknown>): Promise<unknown>;
  render(fn: CatalogFunction, answer: unknown): { result: CallToolResult; fields: Partial<AuditRecord> };
}

const IMAGE_TYPES: Record<string, number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/gif': [0x47, 0x49, 0x46, 0x38],
  'image/webp': [0x52, 0x49, 0x46, 0x46],
};

const FORMAT_NAMES = { pdf: 'PDF', docx: 'DOCX', html: 'HTML', text: 'plain text' } as const;

// Checked with the length (a multiple of 4): a grouped pattern such as (?:[...]{4})* overflows V8's regex stack on a
// few MB of input.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The file tools' stages, for the files of one Moodle site. */
export function createFileService(options: { files: MoodleFiles; extract: ExtractText; limits: FileLimits }): FileService {
  const { files, extract, limits } = options;

  function validateRead(args: unknown): Validation {
    const parsed = readFileArgs.safeParse(args ?? {});
    if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error.issues) };
    const { url, ...parts } = parsed.data;
    const given = Object.keys(parts);
    if (url !== undefined && given.length > 0) return fail('(arguments)', `give either url or the file's parts, not both (also given: ${given.join(', ')})`);
    if (url !== undefined) {
      try {
        return { ok: true, value: { ...files.parseUrl(url) } };
      } catch (error) {
        if (error instanceof MoodleError) return fail('url', error.message);
        throw error;
      }
    }
    const missing = (['contextid', 'component', 'filearea', 'filename'] as const).filter((key) => parts[key] === undefined);
    if (missing.length) return { ok: false, issues: missing.map((path) => ({ path, message: 'required (or give url instead)' })) };
    const ref: FileRef = { contextid: parts.contextid!, component: parts.component!, filearea: parts.filearea!, filepath: parts.filepath ?? '/', filename: parts.filename! };
    if (parts.itemid !== undefined) ref.itemid = parts.itemid;
    return { ok: true, value: { ...ref } };
  }

  function validateUpload(args: unknown): Validation {
    const parsed = uploadFileArgs.safeParse(args ?? {});
    if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error.issues) };
    const { filename, content_base64: base64, content_text: text, filepath = '/', itemid } = parsed.data;
    if ((base64 === undefined) === (text === undefined)) return fail('content_base64', 'give exactly one of content_base64 or content_text');
    let bytes: Uint8Array;
    if (base64 !== undefined) {
      const compact = base64.replace(/\s+/g, '');
      if (compact.length % 4 !== 0 || !BASE64.test(compact)) return fail('content_base64', 'not valid base64 (A-Z, a-z, 0-9, +, / with = padding)');
      const decodedSize = (compact.length / 4) * 3 - (compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0);
      if (decodedSize > limits.maxUploadBytes) return fail('content_base64', `the file is ${decodedSize} bytes; at most ${limits.maxUploadBytes} (files.max_upload_bytes)`);
      bytes = new Uint8Array(Buffer.from(compact, 'base64'));
    } else bytes = new TextEncoder().encode(text);
    const key = base64 !== undefined ? 'content_base64' : 'content_text';
    if (bytes.byteLength === 0) return fail(key, 'the file is empty: Moodle stores no empty file');
    if (bytes.byteLength > limits.maxUploadBytes) return fail(key, `the file is ${bytes.byteLength} bytes; at most ${limits.maxUploadBytes} (files.max_upload_bytes)`);
    const value: UploadArgs = { filename, filepath, bytes };
    if (itemid !== undefined) value.itemid = itemid;
    return { ok: true, value: value as unknown as Record<string, unknown> };
  }

  async function read(ctx: CallContext, ref: FileRef): Promise<ReadAnswer> {
    let file;
    try {
      file = await files.download(ctx.connection.moodleToken, ref, { maxBytes: limits.maxReadBytes, signal: ctx.signal });
    } catch (error) {
      if (error instanceof MoodleError && error.code === 'file_too_large') throw new ToolError('file_too_large', error.message, 413);
      throw error;
    }
    const answer = { tool: FILE_TOOLS.read, uri: files.urlOf(ref), filename: file.filename, mimetype: file.mimetype, size: file.bytes.byteLength, contextid: ref.contextid } as const;
    const image = imageType(file.bytes, file.mimetype);
    if (image) {
      if (file.bytes.byteLength > limits.maxBlobBytes) return { ...answer, mimetype: image, body: { kind: 'withheld', why: blobTooLarge(file.bytes.byteLength, limits.maxBlobBytes) } };
      return { ...answer, mimetype: image, body: { kind: 'image', base64: Buffer.from(file.bytes).toString('base64') } };
    }
    let extracted: Extracted;
    try {
      extracted = await extract(file.bytes, { filename: file.filename, mimetype: file.mimetype }, { maxChars: limits.maxTextChars, maxPages: limits.maxPdfPages });
    } catch (error) {
      // A corrupt or encrypted file: its message says which and why (it holds no file content).
      throw new ToolError('unreadable_file', `${file.filename} cannot be read: ${(error as Error)?.message ?? 'extraction failed'}`, 422);
    }
    if (extracted.kind === 'text') return { ...answer, body: { kind: 'text', extracted } };
    if (file.bytes.byteLength > limits.maxBlobBytes) return { ...answer, body: { kind: 'withheld', why: `${extracted.reason}; ${blobTooLarge(file.bytes.byteLength, limits.maxBlobBytes)}` } };
    return { ...answer, body: { kind: 'blob', base64: Buffer.from(file.bytes).toString('base64') } };
  }

  async function upload(ctx: CallContext, args: UploadArgs) {
    const siteLimit = ctx.connection.moodleUser?.maxUploadBytes;
    if (siteLimit !== undefined && args.bytes.byteLength > siteLimit) {
      throw new ToolError('file_too_large', `The file is ${args.bytes.byteLength} bytes; this Moodle site accepts at most ${siteLimit} bytes per file from you (usermaxuploadfilesize).`, 413);
    }
    const uploaded = await files.upload(ctx.connection.moodleToken, { ...args, mimetype: 'application/octet-stream' }, { signal: ctx.signal });
    return { tool: FILE_TOOLS.upload, itemid: uploaded.itemid, filename: uploaded.filename, filepath: uploaded.filepath, filesize: uploaded.filesize, contextid: uploaded.contextid };
  }

  return {
    validate: (fn, args) => (fn.name === FILE_TOOLS.read ? validateRead(args) : validateUpload(args)),
    auditFacts(fn, args) {
      if (fn.name === FILE_TOOLS.read) return { file_name: String(args.filename), context_id: Number(args.contextid) };
      return { file_name: String(args.filename), file_size: (args.bytes as Uint8Array).byteLength };
    },
    call: (ctx, fn, args) => (fn.name === FILE_TOOLS.read ? read(ctx, args as unknown as FileRef) : upload(ctx, args as unknown as UploadArgs)),
    render(fn, answer) {
      if (fn.name === FILE_TOOLS.upload) {
        const a = answer as Awaited<ReturnType<typeof upload>>;
        const value = { itemid: a.itemid, filename: a.filename, filepath: a.filepath, filesize: a.filesize, use_with: DRAFT_USES };
        const result = successResult(value, false, true);
        return { result, fields: { file_size: a.filesize, context_id: a.contextid, response_bytes: textBytes(result) } };
      }
      const a = answer as ReadAnswer;
      const result = renderRead(a);
      return { result, fields: { file_size: a.size, file_type: a.mimetype, response_bytes: textBytes(result) } };
    },
  };
}

function renderRead(a: ReadAnswer): CallToolResult {
  const head = `${a.filename} (${a.mimetype}, ${a.size} bytes)`;
  switch (a.body.kind) {
    case 'text': {
      const { extracted } = a.body;
      const pages = extracted.pages === undefined ? '' : `, ${extracted.pages} page${extracted.pages === 1 ? '' : 's'}`;
      const cut = extracted.truncated ? '; the text was cut at the gateway\'s page or length limit (files.max_pdf_pages, files.max_text_chars)' : '';
      return { content: [{ type: 'text', text: `${head}: text extracted from ${FORMAT_NAMES[extracted.format]}${pages}${cut}.\n\n${extracted.text}` }] };
    }
    case 'image':
      return { content: [{ type: 'text', text: `${head}: an image.` }, { type: 'image', data: a.body.base64, mimeType: a.mimetype }] };
    case 'blob':
      return {
        content: [
          { type: 'text', text: `${head}: no text can be extracted; the file is attached as a blob.` },
          { type: 'resource', resource: { uri: a.uri, mimeType: a.mimetype, blob: a.body.base64 } },
        ],
      };
    case 'withheld':
      return { content: [{ type: 'text', text: `${head}: ${a.body.why}.` }] };
  }
}

function textBytes(result: CallToolResult): number {
  return result.content.reduce((sum, block) => sum + (block.type === 'text' ? Buffer.byteLength(block.text) : block.type === 'image' ? block.data.length : 0), 0);
}

function blobTooLarge(size: number, max: number): string {
  return `it is not returned: ${size} bytes is more than the ${max} bytes a blob may have (files.max_blob_bytes)`;
}

/** An image type both the declared type and the first bytes agree on (SVG is text: it goes to extraction). */
function imageType(bytes: Uint8Array, mimetype: string): string | undefined {
  const magic = IMAGE_TYPES[mimetype];
  if (!magic || !magic.every((b, i) => bytes[i] === b)) return undefined;
  if (mimetype === 'image/webp' && Buffer.from(bytes.subarray(8, 12)).toString('latin1') !== 'WEBP') return undefined;
  return mimetype;
}

function fail(path: string, message: string): Validation {
  return { ok: false, issues: [{ path, message }] };
}

function zodIssues(issues: { path: PropertyKey[]; message: string; code: string; keys?: string[] }[]): { path: string; message: string }[] {
  return issues.slice(0, 20).map((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) return { path: issue.keys[0], message: 'unknown argument' };
    return { path: issue.path.map(String).join('.'), message: issue.message };
  });
}
