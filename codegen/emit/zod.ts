import { jsonSchemaToZod, parseSchema, type ParserOverride } from 'json-schema-to-zod';
import type { ComponentSchemas, JsonSchema } from '../../runtime/catalog/types.ts';

/**
 * `generated/zod/<component>.ts` statements: a `schemas` record `{ [function]: { input, output } }` of Zod 4
 * schemas converted with json-schema-to-zod. Output objects get `additionalProperties: true` first so that
 * Zod keeps (instead of silently dropping) keys Moodle adds beyond its description.
 * Each schema is built on first use (`lazySchemas`): a component such as `moodle` has hundreds of functions, and
 * building all their schemas when one is called held ~80 MB (bench/hotpath.bench.ts measures memory).
 * The file is marked `@ts-nocheck`: the schemas are typed by generated/types, and type-checking thousands of
 * inferred Zod types would dominate `tsc` for nothing.
 */
export function zodStatements(schemas: ComponentSchemas): string[] {
  const entries = Object.entries(schemas).map(([name, { input, output }]) => {
    const inputZod = convert(input);
    const outputZod = convert(looseObjects(output) as JsonSchema);
    return `  ${JSON.stringify(name)}: lazySchemas(\n    () => ${inputZod},\n    () => ${outputZod},\n  ),`;
  });
  return [
    '// @ts-nocheck',
    "import { z } from 'zod';",
    "import { lazySchemas, type ZodSchemas } from './index.ts';",
    `/** Zod schemas of this component's functions: \`input\` validates arguments, \`output\` Moodle's answer. */\nexport const schemas: ZodSchemas = {\n${entries.join('\n')}\n};`,
  ];
}

/** `generated/zod/index.ts` statements: a lazy per-component loader. */
export function zodIndexStatements(components: string[]): string[] {
  const loaders = components.map((c) => `  ${JSON.stringify(c)}: () => import(${JSON.stringify(`./${c}.ts`)}),`);
  return [
    "import type { z } from 'zod';",
    '/** Zod schemas of one component: `{ [function]: { input, output } }`. */\nexport type ZodSchemas = Record<string, { readonly input: z.ZodType; readonly output: z.ZodType }>;',
    [
      '/** A function\'s input and output schemas, each built on first use and then kept. */',
      'export function lazySchemas(input: () => z.ZodType, output: () => z.ZodType): { readonly input: z.ZodType; readonly output: z.ZodType } {',
      '  let builtInput: z.ZodType | undefined;',
      '  let builtOutput: z.ZodType | undefined;',
      '  return {',
      '    get input() {',
      '      return (builtInput ??= input());',
      '    },',
      '    get output() {',
      '      return (builtOutput ??= output());',
      '    },',
      '  };',
      '}',
    ].join('\n'),
    `const loaders: Record<string, () => Promise<{ schemas: ZodSchemas }>> = {\n${loaders.join('\n')}\n};`,
    `/** Components that have Zod schemas. */\nexport const zodComponents: readonly string[] = Object.keys(loaders);`,
    [
      '/** Loads (once, lazily) the Zod schemas of a component; throws for an unknown component. */',
      'export async function loadZodSchemas(component: string): Promise<ZodSchemas> {',
      '  const load = Object.hasOwn(loaders, component) ? loaders[component] : undefined;',
      '  if (!load) throw new Error(`no Zod schemas for component ${JSON.stringify(component)}`);',
      '  return (await load()).schemas;',
      '}',
    ].join('\n'),
  ];
}

function convert(schema: JsonSchema): string {
  return jsonSchemaToZod(schema as never, { module: 'none', zodVersion: 4, parserOverride: minProperties }).trim();
}

/** json-schema-to-zod ignores `minProperties`: enforce it with a refinement (the issue keeps the field path). */
const minProperties: ParserOverride = (schema, refs) => {
  if (typeof schema.minProperties !== 'number') return undefined;
  const { minProperties: n, ...rest } = schema;
  const message = `must have at least ${n} ${n === 1 ? 'property' : 'properties'}`;
  return `${parseSchema(rest, refs)}.refine((value) => value == null || Object.keys(value).length >= ${n}, { message: ${JSON.stringify(message)} })`;
};

function looseObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(looseObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, looseObjects(v)]))
      : looseObjects(value);
  }
  const types = Array.isArray(copy.type) ? copy.type : [copy.type];
  if (types.includes('object') && copy.additionalProperties === undefined) copy.additionalProperties = true;
  return copy;
}
