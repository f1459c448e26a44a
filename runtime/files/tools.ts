/**
 * The two file tools, `moodle_read_file` and `moodle_upload_file`: their MCP definitions, their argument schemas and
 * the catalog entries the policy decides on. To the policy they are functions like Moodle's: `moodle_read_file` a
 * read function whose `contextid` is a course reference (mapped like every context id), `moodle_upload_file` a write
 * function naming no course (the caller's draft area is theirs, not a course's).
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { CatalogFunction } from '../catalog/types.ts';

export const FILE_TOOLS = { read: 'moodle_read_file', upload: 'moodle_upload_file' } as const;

const component = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a Moodle component name, e.g. mod_resource, mod_page, mod_assign, user');
const filename = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\\u0000-\u001f]/.test(name) && name !== '.' && name !== '..', 'a plain file name (no / or \\ and no control characters)');
const filepath = z
  .string()
  .max(1024)
  .regex(/^\/(?:[^/\u0000-\u001f]+\/)*$/, 'a folder path that starts and ends with /, e.g. / or /week1/')
  .refine((path) => !path.split('/').some((part) => part === '.' || part === '..'), 'no . or .. folders');

/** `moodle_read_file` arguments: a pluginfile URL, or the parts of one. */
export const readFileArgs = z
  .object({
    url: z
      .string()
      .max(4096)
      .describe('A file URL from a Moodle answer (fileurl of core_course_get_contents, attachments, submission files): .../webservice/pluginfile.php/... or .../pluginfile.php/... on this Moodle site')
      .optional(),
    contextid: z.number().int().positive().describe('Context id of the file (the number after pluginfile.php/)').optional(),
    component: component.describe('Component owning the file area, e.g. mod_resource').optional(),
    filearea: z.string().regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores').describe('File area, e.g. content, intro, introattachment, submission_files').optional(),
    itemid: z.number().int().nonnegative().describe('Item id of the area; leave out for areas without one (mod_page content, intro)').optional(),
    filepath: filepath.describe('Folder of the file, default /').optional(),
    filename: filename.describe('File name, e.g. syllabus.pdf').optional(),
  })
  .strict();

/** `moodle_upload_file` arguments. */
export const uploadFileArgs = z
  .object({
    filename: filename.describe('File name to store, e.g. report.pdf'),
    content_base64: z.string().describe('The file content, base64-encoded (binary files)').optional(),
    content_text: z.string().describe('The file content as text, stored UTF-8 encoded (text files)').optional(),
    filepath: filepath.describe('Folder inside the draft area, default /').optional(),
    itemid: z.number().int().positive().describe('Add to this existing draft area (an itemid an earlier upload answered) instead of a new one').optional(),
  })
  .strict();

const readDescription =
  'Reads a file from Moodle as you: course files, page content, assignment briefs and attachments, forum attachments, submission files. ' +
  'Pass the file URL a Moodle answer gave (fileurl of core_course_get_contents, introattachments of mod_assign_get_assignments, attachments of forum posts), ' +
  'or its parts (contextid, component, filearea, itemid, filepath, filename). ' +
  'Returns the text of PDF, DOCX, HTML and text files (page and length limits apply), images as images, other files as a blob up to a size limit.';

const uploadDescription =
  "Uploads one file into your Moodle draft area and answers its draft itemid. The itemid is what Moodle's functions take to attach files: " +
  'mod_assign_save_submission (plugindata.files_filemanager = itemid, then the submission holds the file; with online text also enabled send plugindata.onlinetext_editor too), core_user_add_user_private_files (draftid), ' +
  'mod_forum_add_discussion and mod_forum_add_discussion_post (options: name attachmentsid, value itemid), mod_workshop_add_submission (attachmentsid). ' +
  'Pass itemid to add more files to the same draft area. Content as content_base64 (binary) or content_text (text). (writes to Moodle)';

const uploadOutput = {
  type: 'object',
  properties: {
    itemid: { type: 'integer', description: 'Draft item id to pass to the function that attaches the files' },
    filename: { type: 'string' },
    filepath: { type: 'string' },
    filesize: { type: 'integer' },
    use_with: { type: 'array', items: { type: 'string' }, description: 'Functions that take the draft item id, and where' },
  },
  required: ['itemid', 'filename', 'filepath', 'filesize', 'use_with'],
} as const;

/** Where a draft item id goes, for the upload answer. */
export const DRAFT_USES = [
  'mod_assign_save_submission: plugindata.files_filemanager (when the assignment also takes online text, send plugindata.onlinetext_editor too)',
  'core_user_add_user_private_files: draftid',
  'mod_forum_add_discussion / mod_forum_add_discussion_post: options [{ name: attachmentsid, value: itemid }]',
  'mod_workshop_add_submission: attachmentsid',
];

function inputSchema(schema: z.ZodType): Tool['inputSchema'] {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return json as Tool['inputSchema'];
}

/** The MCP definitions of the file tools. */
export const FILE_TOOL_DEFINITIONS: Tool[] = [
  {
    name: FILE_TOOLS.read,
    title: 'Read a Moodle file',
    description: readDescription,
    inputSchema: inputSchema(readFileArgs),
    annotations: { title: 'Read a Moodle file', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  },
  {
    name: FILE_TOOLS.upload,
    title: 'Upload a file to Moodle',
    description: uploadDescription,
    inputSchema: inputSchema(uploadFileArgs),
    outputSchema: uploadOutput as unknown as Tool['outputSchema'],
    annotations: { title: 'Upload a file to Moodle', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
];

function fileFunction(tool: Tool, access: 'read' | 'write', courseRefs: CatalogFunction['courseRefs']): CatalogFunction {
  return {
    name: tool.name,
    title: tool.title ?? tool.name,
    description: tool.description ?? '',
    component: 'moodle_mcp',
    type: access,
    access,
    capabilities: [],
    ajax: false,
    loginrequired: true,
    deprecated: false,
    annotations: tool.annotations as CatalogFunction['annotations'],
    inputSchemaRef: '',
    outputSchemaRef: '',
    courseRefs,
    outputCourseRefs: [],
    services: [],
  };
}

/** The file tools as the policy, the course resolver, the rate limiter and the audit trail see them. */
export const FILE_FUNCTIONS: ReadonlyMap<string, CatalogFunction> = new Map([
  [FILE_TOOLS.read, fileFunction(FILE_TOOL_DEFINITIONS[0], 'read', [{ path: 'contextid', entity: 'context', via: ['resolver'], source: 'files' }])],
  [FILE_TOOLS.upload, fileFunction(FILE_TOOL_DEFINITIONS[1], 'write', [])],
]);

/** Whether `fn` is one of the file tools. */
export function isFileFunction(fn: Pick<CatalogFunction, 'name'>): boolean {
  return FILE_FUNCTIONS.has(fn.name);
}
