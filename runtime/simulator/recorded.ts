/**
 * Recorded answers: each REST exchange of exchanges-4.5.6.json indexed by function, user, format and its
 * validated parameters, so a call with the same meaning (after Moodle's validation and defaults) gets the
 * answer the real Moodle gave. Placeholders of the recording are replaced by the simulator's values.
 */
import { decodeForm } from '../moodle/form.ts';
import type { Exchange, SimulatorData } from './data.ts';
import { simulatorPrivateAccessKey } from './data.ts';
import { validateParameters } from './validate.ts';
import { restControlKeys } from './rest-params.ts';
import { parseXmlResponse } from './xml-parse.ts';

export interface RecordedAnswer {
  exchange: Exchange;
  format: 'json' | 'xml';
}

export interface RecordedIndex {
  find(fn: string, userid: number, format: 'json' | 'xml', params: Record<string, unknown>): RecordedAnswer | undefined;
}

/** Indexes every REST exchange that passes validation (those that fail it are reproduced by validation itself). */
export function indexRecorded(data: SimulatorData): RecordedIndex {
  const index = new Map<string, RecordedAnswer>();
  for (const exchange of data.exchanges.exchanges) {
    if (exchange.path !== '/webservice/rest/server.php' || !exchange.function || !exchange.token_role) continue;
    const user = data.exchanges.roles[exchange.token_role];
    const desc = data.functions.get(exchange.function);
    if (!user || !desc) continue;
    const { format, params } = restControlKeys(decodeForm(exchange.request_body));
    let validated: Record<string, unknown>;
    try {
      validated = validateParameters(desc.parameters, params);
    } catch {
      continue;
    }
    index.set(key(exchange.function, user.userid, format, validated), { exchange, format });
    // An exchange recorded only in XML also answers the same call in JSON (read back through the description).
    const jsonKey = key(exchange.function, user.userid, 'json', validated);
    if (format === 'xml' && !exchange.is_error && !index.has(jsonKey)) {
      const value = parseXmlResponse(exchange.response_text ?? '', desc.returns);
      index.set(jsonKey, { exchange: { ...exchange, response_json: value }, format: 'json' });
    }
  }
  return {
    find: (fn, userid, format, params) => index.get(key(fn, userid, format, params)),
  };
}

function key(fn: string, userid: number, format: string, params: Record<string, unknown>): string {
  return `${fn}\n${userid}\n${format}\n${JSON.stringify(params)}`;
}

/**
 * A fresh copy of the recorded JSON answer with `<USERPRIVATEACCESSKEY>` replaced by the simulator's key of `username`
 * (every object and list is rebuilt, so nothing is shared with the recording or other answers).
 */
export function recordedJson(exchange: Exchange, username: string): unknown {
  return replacePlaceholders(exchange.response_json, username);
}

/** The recorded XML text with its placeholders replaced. */
export function recordedXml(exchange: Exchange, username: string): string {
  return (exchange.response_text ?? '').replaceAll('<USERPRIVATEACCESSKEY>', simulatorPrivateAccessKey(username));
}

function replacePlaceholders(value: unknown, username: string): unknown {
  if (value === '<USERPRIVATEACCESSKEY>') return simulatorPrivateAccessKey(username);
  if (Array.isArray(value)) return value.map((v) => replacePlaceholders(v, username));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholders(v, username)]));
  }
  return value;
}
