import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CodegenError } from '../errors.ts';
import type { FunctionsDocument } from './types.ts';
import { validateDocument } from './validate.ts';

/** The bundled snapshot used when no Moodle site is given. */
export const DEFAULT_SNAPSHOT = fileURLToPath(new URL('./snapshot/functions-4.5.6.json', import.meta.url));

/** Reads and validates a `moodle-external-functions/1` file (the bundled snapshot or one written by the CLI exporter). */
export function loadSnapshot(path: string = DEFAULT_SNAPSHOT): FunctionsDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CodegenError(`cannot read snapshot ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CodegenError(`snapshot ${path} is not JSON: ${(error as Error).message}`);
  }
  return validateDocument(parsed, path);
}
