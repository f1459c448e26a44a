import { createHash } from 'node:crypto';
import type { FunctionsDocument } from './types.ts';

/**
 * How a catalog records where it came from (`catalog.moodle.source`): `functions:sha256:<hex>`, the SHA-256 of the
 * described function set (every function, sorted by name, as JSON). Never a path or a URL, and nothing of the export's
 * envelope (site address, database, notes): the same functions exported anywhere, over REST or by the CLI script, in a
 * file or live, give the same source and so byte-identical generated files.
 */
export function functionSetSource(doc: Pick<FunctionsDocument, 'functions'>): string {
  const hash = createHash('sha256');
  hash.update('[');
  [...doc.functions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).forEach((fn, i) => hash.update((i ? ',' : '') + JSON.stringify(fn)));
  hash.update(']');
  return `functions:sha256:${hash.digest('hex')}`;
}
