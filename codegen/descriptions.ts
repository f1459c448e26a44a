/**
 * Descriptions that help a model choose and call a function, generated from Moodle's description and the reviewed
 * codegen/descriptions.yaml:
 * - `summary`: what it does and what it returns in a few words, and whether it writes (search result lines);
 * - `guide`: the direct tools' and moodle_describe_function's description: what it does and returns, the arguments
 *   that matter, and the ids it expects with the functions that list them;
 * - `searchText`: its parameters' names and descriptions (indexed by the runtime search).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CodegenError } from './errors.ts';
import { normaliseWhitespace } from './schema/text.ts';
import type { DescriptionNode, FunctionDescription, StructureNode } from './sources/types.ts';

export const DEFAULT_DESCRIPTIONS = fileURLToPath(new URL('./descriptions.yaml', import.meta.url));

export interface FunctionText {
  summary?: string;
  returns?: string;
  notes?: string;
}

export interface DescriptionOverrides {
  idSources: Record<string, string>;
  functions: Record<string, FunctionText>;
}

/** The catalog fields added per function (all additive to CatalogFunction). */
export interface FunctionGuide {
  summary: string;
  guide: string;
  searchText: string;
}

let cached: DescriptionOverrides | undefined;

/** Reads and checks codegen/descriptions.yaml (once per process for the default file). */
export function loadDescriptionOverrides(path: string = DEFAULT_DESCRIPTIONS): DescriptionOverrides {
  if (path === DEFAULT_DESCRIPTIONS && cached) return cached;
  let doc: { id_sources?: Record<string, string>; functions?: Record<string, FunctionText> };
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CodegenError(`cannot read descriptions ${path}: ${(error as Error).message}`);
  }
  const functions = doc.functions ?? {};
  for (const [name, text] of Object.entries(functions)) {
    for (const key of Object.keys(text ?? {})) {
      if (!['summary', 'returns', 'notes'].includes(key)) throw new CodegenError(`descriptions: functions.${name}.${key}: unknown field`);
    }
  }
  const result = { idSources: doc.id_sources ?? {}, functions };
  if (path === DEFAULT_DESCRIPTIONS) cached = result;
  return result;
}

/** Names in the descriptions file that the document does not describe (reported by codegen as an error). */
export function unknownDescribed(overrides: DescriptionOverrides, known: ReadonlySet<string>): string[] {
  return Object.keys(overrides.functions).filter((name) => !known.has(name));
}

/** The generated texts of one function. */
export function functionGuide(fn: FunctionDescription, overrides: DescriptionOverrides = loadDescriptionOverrides()): FunctionGuide {
  const text = overrides.functions[fn.name] ?? {};
  const what = text.summary ?? firstSentence(normaliseWhitespace(fn.description)) ?? fn.name;
  const returns = text.returns ?? returnsSummary(fn.returns);
  const writes = fn.type === 'write' ? 'Writes to Moodle.' : 'Read-only.';
  const summary = `${trimDot(what)}. Returns ${trimDot(returns)}. ${writes}`;

  const lines = [`${trimDot(what)}.`];
  const moodle = normaliseWhitespace(fn.description);
  if (text.summary && moodle && !sameText(moodle, text.summary)) lines.push(`Moodle: ${trimDot(moodle)}.`);
  else if (!text.summary && moodle && moodle !== what) lines.push(`${trimDot(moodle)}.`);
  lines.push(`Returns: ${trimDot(returns)}.`);
  const args = argumentLines(fn.parameters);
  if (args) lines.push(`Arguments: ${args}.`);
  if (text.notes) lines.push(normaliseWhitespace(text.notes));
  const ids = idLines(fn.parameters, overrides.idSources);
  if (ids.length) lines.push(`Ids: ${ids.join('; ')}.`);
  lines.push(fn.type === 'write' ? 'Writes to Moodle: changes data on the site.' : 'Read-only: changes nothing.');

  return { summary, guide: lines.join('\n'), searchText: searchText(fn.parameters) };
}

function firstSentence(text: string): string | undefined {
  const sentence = text.split(/(?<=\.)\s/)[0]?.trim();
  if (!sentence) return undefined;
  return sentence.length > 140 ? `${sentence.slice(0, 137)}...` : sentence;
}

const trimDot = (text: string) => text.trim().replace(/[.\s]+$/, '');
const sameText = (a: string, b: string) => trimDot(a).toLowerCase() === trimDot(b).toLowerCase();

/** "list of objects (id, name, ...)", "an object with courses (list), warnings", "nothing". */
export function returnsSummary(node: DescriptionNode | null): string {
  if (!node) return 'nothing';
  return shape(node, 0);
}

function shape(node: DescriptionNode, depth: number): string {
  if (node.kind === 'value') return typeName(node.type);
  if (node.kind === 'multiple_structure') {
    const content = node.content;
    if (content.kind === 'value') return `list of ${typeName(content.type)}`;
    if (content.kind === 'multiple_structure') return 'list of lists';
    return `list of ${keyList(content, depth)}`;
  }
  return depth === 0 ? `object with ${keyList(node, depth, false)}` : keyList(node, depth);
}

/** `(id, name, ...)` for nested structures; `a (...), b, warnings` at the top. */
function keyList(node: StructureNode, depth: number, parenthesised = true): string {
  const keys = Object.entries(node.keys);
  if (!keys.length) return 'nothing';
  const shown = keys.slice(0, depth === 0 ? 8 : 6).map(([key, sub]) => {
    if (depth === 0 && sub.kind !== 'value' && key !== 'warnings') return `${key} ${shape(sub, depth + 1)}`;
    return sub.kind === 'multiple_structure' ? `${key}[]` : key;
  });
  const text = `${shown.join(', ')}${keys.length > shown.length ? ', ...' : ''}`;
  return parenthesised ? `(${text})` : text;
}

function typeName(type: string): string {
  if (type === 'int') return 'integer';
  if (type === 'float') return 'number';
  if (type === 'bool') return 'boolean';
  return 'text';
}

/** Top-level arguments: `courseid (integer, required)`, `options (list, optional)`. */
function argumentLines(parameters: StructureNode): string {
  const parts = Object.entries(parameters.keys).slice(0, 10).map(([key, node]) => {
    const kind = node.kind === 'value' ? typeName(node.type) : node.kind === 'multiple_structure' ? 'list' : 'object';
    const need = node.required === 'VALUE_REQUIRED' ? 'required' : 'optional';
    const desc = firstSentence(normaliseWhitespace(node.desc));
    const short = desc && desc.length <= 80 ? `: ${trimDot(desc)}` : '';
    return `${key} (${kind}, ${need})${short}`;
  });
  const more = Object.keys(parameters.keys).length - parts.length;
  return parts.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** Every parameter name at any depth. */
function parameterNames(node: DescriptionNode, out = new Set<string>()): Set<string> {
  if (node.kind === 'multiple_structure') parameterNames(node.content, out);
  else if (node.kind !== 'value') {
    for (const [key, sub] of Object.entries(node.keys)) {
      out.add(key);
      parameterNames(sub, out);
    }
  }
  return out;
}

function idLines(parameters: StructureNode, sources: Record<string, string>): string[] {
  const names = parameterNames(parameters);
  return Object.entries(sources)
    .filter(([name]) => names.has(name))
    .map(([name, from]) => `${name} from ${from}`);
}

function searchText(parameters: StructureNode): string {
  const parts: string[] = [];
  for (const [key, node] of Object.entries(parameters.keys)) {
    parts.push(key);
    const desc = firstSentence(normaliseWhitespace(node.desc));
    if (desc) parts.push(desc.slice(0, 120));
  }
  for (const name of parameterNames(parameters)) if (!(name in parameters.keys)) parts.push(name);
  return parts.join(' ');
}
