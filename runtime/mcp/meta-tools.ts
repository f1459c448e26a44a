import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** Names of the three meta-tools that give access to every function the caller may use. */
export const META = {
  search: 'moodle_search_functions',
  describe: 'moodle_describe_function',
  call: 'moodle_call_function',
} as const;

const functionName = { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Moodle web-service function name, e.g. core_course_get_contents' };

/** Longest search query moodle_search_functions accepts (its input schema's maxLength; the server enforces it). */
export const MAX_SEARCH_QUERY_LENGTH = 200;

/** The meta-tool definitions (fixed JSON Schemas). */
export const META_TOOLS: Tool[] = [
  {
    name: META.search,
    title: 'Search Moodle functions',
    description:
      'Ranked search over the Moodle web-service functions you may use: ask in plain words ("enrol a student in a course", "my grades"). Each result has the name, a summary of what it does and returns and whether it writes, and its access (read/write). Use moodle_describe_function for the arguments, then moodle_call_function.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: MAX_SEARCH_QUERY_LENGTH, description: 'What you want to do or find, e.g. "reply to a forum post" or "assignment grades"' },
        access: { type: 'string', enum: ['read', 'write'], description: 'Only read or only write functions' },
        component: { type: 'string', description: 'Only this Moodle component, e.g. mod_forum' },
        limit: { type: 'integer', minimum: 1, maximum: 50, default: 15 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        functions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, summary: { type: 'string' }, access: { type: 'string', enum: ['read', 'write'] }, component: { type: 'string' } },
            required: ['name', 'summary', 'access', 'component'],
          },
        },
      },
      required: ['total', 'functions'],
    },
    annotations: { title: 'Search Moodle functions', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  },
  {
    name: META.describe,
    title: 'Describe a Moodle function',
    description: 'Full description of one Moodle function you may use: what it does and returns, the arguments that matter and where to get the ids it expects, its input JSON Schema (arguments), output JSON Schema, access and the capabilities Moodle checks.',
    inputSchema: { type: 'object', properties: { name: functionName }, required: ['name'], additionalProperties: false },
    outputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string' },
        component: { type: 'string' },
        access: { type: 'string', enum: ['read', 'write'] },
        capabilities: { type: 'array', items: { type: 'string' } },
        inputSchema: { type: 'object' },
        outputSchema: { type: 'object' },
      },
      required: ['name', 'access', 'inputSchema', 'outputSchema'],
    },
    annotations: { title: 'Describe a Moodle function', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  },
  {
    name: META.call,
    title: 'Call a Moodle function',
    description:
      'Calls one Moodle web-service function as you, with arguments matching its input schema (see moodle_describe_function). Write functions need read+write consent and a profile that allows them.',
    inputSchema: {
      type: 'object',
      properties: {
        name: functionName,
        arguments: { type: 'object', description: 'Arguments object as described by the function input schema', default: {} },
      },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { title: 'Call a Moodle function', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  },
];

/** First sentence (or first 160 characters) of a description. */
export function summarize(description: string): string {
  const sentence = description.split(/(?<=\.)\s/)[0] ?? '';
  return sentence.length > 160 ? `${sentence.slice(0, 157)}...` : sentence;
}
