import type { z } from 'zod';
import { loadZodSchemas } from '../../generated/zod/index.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { Validation } from '../mcp/pipeline.ts';
import { formatPath } from '../shared/issue-path.ts';

/** Validates tool arguments with the generated Zod schemas (loaded per component, once). */
export function createValidator(): (fn: CatalogFunction, args: unknown) => Promise<Validation> {
  const cache = new Map<string, Promise<Record<string, { input: z.ZodType }>>>();
  return async (fn, args) => {
    let schemas = cache.get(fn.component);
    if (!schemas) cache.set(fn.component, (schemas = loadZodSchemas(fn.component)));
    const schema = (await schemas)[fn.name]?.input;
    if (!schema) return { ok: false, issues: [{ path: '', message: `no generated schema for ${fn.name} (run make generate)` }] };
    const parsed = schema.safeParse(args);
    if (parsed.success) return { ok: true, value: parsed.data as Record<string, unknown> };
    return {
      ok: false,
      issues: parsed.error.issues.slice(0, 20).map((issue) => ({
        path: formatPath(issue.path),
        message: issue.message,
      })),
    };
  };
}
