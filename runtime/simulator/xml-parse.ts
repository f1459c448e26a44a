/**
 * Reads the REST server's XML answer back into the JSON value, typed by the `returns` description
 * (int/float → number, bool → boolean). Used for exchanges recorded only in XML, so a JSON call with the
 * same meaning gets the same data. Optional keys that are null in XML are left out, as Moodle's JSON does, and a
 * structure left with no keys is `[]`, as PHP's json_encode writes an empty array.
 */
import type { DescNode } from './descriptions.ts';

/** Parses a `<RESPONSE>` document; throws on anything that is not Moodle's XML shape. */
export function parseXmlResponse(text: string, returns: DescNode | null): unknown {
  const reader = new Reader(text.replace(/^<\?xml[^>]*\?>\n/, ''));
  reader.expect('<RESPONSE>\n');
  if (reader.peek('</RESPONSE>')) return null;
  if (!returns) throw new Error('XML answer has content but the function returns nothing');
  const value = reader.node(returns);
  reader.expect('</RESPONSE>\n');
  return value;
}

class Reader {
  private at = 0;
  constructor(private readonly text: string) {}

  peek(token: string): boolean {
    return this.text.startsWith(token, this.at);
  }

  expect(token: string): void {
    if (!this.peek(token)) throw new Error(`expected ${JSON.stringify(token)} at ${this.at}: ${JSON.stringify(this.text.slice(this.at, this.at + 40))}`);
    this.at += token.length;
  }

  node(desc: DescNode): unknown {
    if (desc.kind === 'value') {
      if (this.peek('<VALUE null="null"/>\n')) {
        this.expect('<VALUE null="null"/>\n');
        return null;
      }
      this.expect('<VALUE>');
      const end = this.text.indexOf('</VALUE>\n', this.at);
      if (end < 0) throw new Error('unterminated <VALUE>');
      const raw = unescape(this.text.slice(this.at, end));
      this.at = end + '</VALUE>\n'.length;
      if (desc.type === 'int' || desc.type === 'float') return Number(raw);
      if (desc.type === 'bool') return raw === '1';
      return raw;
    }
    if (desc.kind === 'multiple_structure') {
      this.expect('<MULTIPLE>\n');
      const items: unknown[] = [];
      while (!this.peek('</MULTIPLE>\n')) items.push(this.node(desc.content));
      this.expect('</MULTIPLE>\n');
      return items;
    }
    this.expect('<SINGLE>\n');
    const record: Record<string, unknown> = {};
    while (this.peek('<KEY name="')) {
      this.expect('<KEY name="');
      const close = this.text.indexOf('">', this.at);
      const key = this.text.slice(this.at, close);
      this.at = close + 2;
      const sub = desc.keys[key];
      if (!sub) throw new Error(`key "${key}" is not in the description`);
      const value = this.node(sub);
      this.expect('</KEY>\n');
      if (value !== null || sub.required !== 'VALUE_OPTIONAL') record[key] = value;
    }
    this.expect('</SINGLE>\n');
    return Object.keys(record).length ? record : [];
  }
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#0?39;/g, "'").replace(/&amp;/g, '&');
}
