import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog, CatalogFunction, ComponentSchemas, JsonSchema } from './types.ts';

/** The generated catalog, indexed, with every function's JSON Schemas. */
export interface LoadedCatalog {
  catalog: Catalog;
  functions: CatalogFunction[];
  get(name: string): CatalogFunction | undefined;
  schemas(name: string): { input: JsonSchema; output: JsonSchema };
}

/** Default folder of the generated artifacts (the repository's `generated/`). */
export const GENERATED_DIR = fileURLToPath(new URL('../../generated/', import.meta.url));

/** Reads `generated/catalog.json` and every `generated/schemas/<component>.json` it refers to. */
export async function loadCatalog(dir = GENERATED_DIR): Promise<LoadedCatalog> {
  const catalog = JSON.parse(await readFile(join(dir, 'catalog.json'), 'utf8')) as Catalog;
  const byName = new Map(catalog.functions.map((f) => [f.name, f]));
  const files = new Set(catalog.functions.flatMap((f) => [f.inputSchemaRef, f.outputSchemaRef].map((ref) => ref.split('#')[0])));
  const documents = new Map<string, ComponentSchemas>();
  await Promise.all(
    [...files].map(async (file) => documents.set(file, JSON.parse(await readFile(join(dir, file), 'utf8')) as ComponentSchemas)),
  );
  const resolveRef = (ref: string): JsonSchema => {
    const [file, pointer = ''] = ref.split('#');
    let node: any = documents.get(file);
    for (const part of pointer.split('/').filter(Boolean)) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!node || typeof node !== 'object') throw new Error(`catalog: schema reference ${ref} does not resolve`);
    return node as JsonSchema;
  };
  const schemaCache = new Map<string, { input: JsonSchema; output: JsonSchema }>();
  for (const fn of catalog.functions) schemaCache.set(fn.name, { input: resolveRef(fn.inputSchemaRef), output: resolveRef(fn.outputSchemaRef) });
  return {
    catalog,
    functions: catalog.functions,
    get: (name) => byName.get(name),
    schemas(name) {
      const found = schemaCache.get(name);
      if (!found) throw new Error(`catalog: unknown function ${name}`);
      return found;
    },
  };
}
