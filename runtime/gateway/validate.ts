import type { z } from 'zod';
import { loadZodSchemas } from '../../generated/zod/index.ts';
import type { CatalogFunction, JsonSchema } from '../catalog/types.ts';
import type { Validation } from '../mcp/pipeline.ts';
import { coerceArguments } from './coerce-args.ts';
import { describeIssue } from './validation-issues.ts';

/**
 * Validates tool arguments with the generated Zod schemas (loaded per component, once), after coercing
 * what Moodle itself would accept (coerce-args.ts). The validated value is what the call sends to Moodle.
 */
export function createValidator(inputSchemaOf: (fn: CatalogFunction) => JsonSchema | undefined): (fn: CatalogFunction, args: unknown) => Promise<Validation> {
  const cache = new Map<string, Promise<Record<string, { input: z.ZodType }>>>();
  return async (fn, args) => {
    let schemas = cache.get(fn.component);
    if (!schemas) cache.set(fn.component, (schemas = loadZodSchemas(fn.component)));
    const schema = (await schemas)[fn.name]?.input;
    if (!schema) return { ok: false, issues: [{ path: '', message: `no generated schema for ${fn.name} (run make generate)` }] };
    const jsonSchema = inputSchemaOf(fn);
    const coerced = coerceArguments(jsonSchema, args);
    const parsed = schema.safeParse(coerced);
    if (parsed.success) return { ok: true, value: parsed.data as Record<string, unknown> };
    return { ok: false, issues: parsed.error.issues.slice(0, 20).map((issue) => describeIssue(issue, jsonSchema, coerced)) };
  };
}
