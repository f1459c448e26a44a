/**
 * The REST server's XML format (when `moodlewsrestformat` is absent or `xml`), driven by the `returns`
 * description as Moodle does: every described key is written (missing ones as `<VALUE null="null"/>`),
 * booleans as 1/0, text escaped like PHP's htmlspecialchars(ENT_COMPAT).
 */
import type { DescNode } from './descriptions.ts';

const HEADER = '<?xml version="1.0" encoding="UTF-8" ?>\n';

/** The full XML document of a successful call. */
export function xmlResponse(value: unknown, returns: DescNode | null): string {
  return `${HEADER}<RESPONSE>\n${returns ? xmlize(value, returns) : ''}</RESPONSE>\n`;
}

/** The full XML document of an error. */
export function xmlError(error: { exception: string; errorcode: string; message: string; debuginfo?: string }): string {
  const debug = error.debuginfo ? `<DEBUGINFO>${escape(error.debuginfo)}</DEBUGINFO>\n` : '';
  return `${HEADER}<EXCEPTION class="${escape(error.exception)}">\n<ERRORCODE>${escape(error.errorcode)}</ERRORCODE>\n<MESSAGE>${escape(error.message)}</MESSAGE>\n${debug}</EXCEPTION>\n`;
}

function xmlize(value: unknown, desc: DescNode): string {
  if (desc.kind === 'value') {
    if (value === null || value === undefined) return '<VALUE null="null"/>\n';
    const scalar = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    return `<VALUE>${escape(scalar)}</VALUE>\n`;
  }
  if (desc.kind === 'multiple_structure') {
    const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
    return `<MULTIPLE>\n${items.map((item) => xmlize(item, desc.content)).join('')}</MULTIPLE>\n`;
  }
  const record = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const keys = Object.entries(desc.keys).map(([key, sub]) => `<KEY name="${key}">${xmlize(record[key], sub)}</KEY>\n`);
  return `<SINGLE>\n${keys.join('')}</SINGLE>\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
