import type { Catalog } from '../runtime/catalog/types.ts';
import { buildCatalog, compare, type CatalogOptions } from './catalog.ts';
import { courseRefsReport } from './emit/course-refs-report.ts';
import { jsonFile } from './emit/header.ts';
import { openApiDocument } from './emit/openapi.ts';
import { emitTypeScript } from './emit/ts-files.ts';
import { typeStatements } from './emit/types.ts';
import { zodIndexStatements, zodStatements } from './emit/zod.ts';
import type { Overrides } from './overrides.ts';
import type { FunctionsDocument } from './sources/types.ts';

export interface GenerateOptions extends CatalogOptions {
  document: FunctionsDocument;
  overrides: Overrides;
  /** Called with a line of progress for every stage. */
  progress?: (message: string) => void;
}

export interface GenerateResult {
  catalog: Catalog;
  /** Id-like arguments that no rule or override classifies (`function: path`); listed in course-refs.md. */
  unclassified: string[];
  /** Every file of `generated/`, path relative to it → content. */
  files: Map<string, string>;
}

/**
 * The whole pipeline, in memory: description → JSON Schemas + catalog → Zod, OpenAPI 3.1, TypeScript types.
 * Deterministic: the same document and overrides always give byte-identical files.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const say = options.progress ?? (() => {});
  const started = performance.now();
  const step = (message: string) => say(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

  const { catalog, schemas, coverage } = buildCatalog(options.document, options.overrides, options);
  const components = Object.keys(schemas).sort(compare);
  step(`catalog: ${catalog.functions.length} functions in ${components.length} components` +
    (catalog.excluded?.length ? `, ${catalog.excluded.length} excluded` : '') +
    (catalog.skippedOverrides?.length ? `, ${catalog.skippedOverrides.length} reviewed entries skipped (function not on this site)` : ''));

  const files = new Map<string, string>();
  files.set('catalog.json', jsonFile(catalog as unknown as Record<string, unknown>));
  files.set('course-refs.md', courseRefsReport(coverage, { release: catalog.moodle.release, source: catalog.moodle.source }, catalog.skippedOverrides));
  const unclassified = coverage.flatMap((fn) => fn.courseRefs.filter((ref) => ref.entity === 'unclassified').map((ref) => `${fn.name}: ${ref.path}`));
  step(`references: ${coverage.filter((fn) => fn.courseRefs.length).length} functions with course-bound references, ${unclassified.length} unclassified id-like arguments`);
  for (const component of components) files.set(`schemas/${component}.json`, jsonFile(schemas[component]));
  step(`JSON Schemas: ${components.length} files`);

  const tsFiles: { path: string; statements: string[] }[] = [];
  components.forEach((component, i) => {
    tsFiles.push({ path: `zod/${component}.ts`, statements: zodStatements(schemas[component]) });
    if ((i + 1) % 10 === 0 || i + 1 === components.length) step(`Zod: ${i + 1}/${components.length} components`);
  });
  tsFiles.push({ path: 'zod/index.ts', statements: zodIndexStatements(components) });

  files.set('openapi.json', jsonFile(openApiDocument(catalog, schemas)));
  step('OpenAPI 3.1 document');

  for (const [i, component] of components.entries()) {
    const names = Object.keys(schemas[component]);
    tsFiles.push({ path: `types/${component}.ts`, statements: await typeStatements(openApiDocument(catalog, schemas, component), names) });
    if ((i + 1) % 10 === 0 || i + 1 === components.length) step(`TypeScript types: ${i + 1}/${components.length} components`);
  }
  tsFiles.push({ path: 'types/index.ts', statements: typesIndex(components) });

  for (const [path, text] of emitTypeScript(tsFiles)) files.set(path, text);
  step(`emitted ${files.size} files through ts-morph`);
  return { catalog, unclassified, files: new Map([...files].sort(([a], [b]) => compare(a, b))) };
}

function typesIndex(components: string[]): string[] {
  const alias = (c: string) => c.replace(/(^|_)([a-z0-9])/g, (_, __, ch: string) => ch.toUpperCase());
  return [
    ...components.map((c) => `import type { Functions as ${alias(c)} } from './${c}.ts';`),
    `/** Argument and result types of every function, by name. */\nexport type MoodleFunctions = ${components.map(alias).join('\n  & ')};`,
    '/** Name of a Moodle web-service function. */\nexport type MoodleFunctionName = keyof MoodleFunctions;',
  ];
}
