import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { translateRefusal, translateReason } from '../i18n/reasons.ts';
import type { ToolError } from './errors.ts';

/** Output schemas whose root is not an object are wrapped: MCP requires structuredContent to be an object. */
export function wrapOutputSchema(output: Record<string, unknown>): { schema: Record<string, unknown>; wrapped: boolean } {
  if (output.type === 'object') return { schema: output, wrapped: false };
  return {
    schema: { type: 'object', properties: { result: output }, required: ['result'], additionalProperties: false },
    wrapped: true,
  };
}

/**
 * A successful call: a JSON text rendering plus, when `structured`, structured content (wrapped as `{ result }` when
 * the root is not an object). Direct tools declare an output schema and need both; moodle_call_function declares
 * none, so its answer is the text alone: half the bytes to serialise and send (bench/hotpath.bench.ts).
 */
export function successResult(value: unknown, wrapped: boolean, structured = true): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(value) }];
  if (!structured) return { content };
  // Moodle answers `[]` where an object is empty.
  const structuredContent = wrapped ? { result: value } : Array.isArray(value) && value.length === 0 ? {} : (value as Record<string, unknown>);
  return { content, structuredContent };
}

/** An invalid argument as one line, `path: message` (`(arguments)` for the root): for the client and the audit trail. */
export function issueLine(issue: { path: string; message: string }): string {
  return `${issue.path || '(arguments)'}: ${issue.message}`;
}

/**
 * A failed call as an `isError` result that tells the AI client what went wrong and why; a policy refusal and its
 * reasons in `locale` (the person's Moodle language), everything else in English.
 */
export function errorResult(error: ToolError, locale: Locale = DEFAULT_LOCALE): CallToolResult {
  const message = error.code === 'denied' ? translateRefusal(error.message, locale) : error.message;
  const lines = [`${error.code}: ${message}`];
  for (const issue of error.details.issues ?? []) lines.push(`- ${issueLine(issue)}`);
  for (const reason of error.details.reasons ?? []) lines.push(`- ${translateReason(reason, locale)}`);
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}
