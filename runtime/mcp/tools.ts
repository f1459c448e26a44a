import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { LRUCache } from 'lru-cache';
import { compilePatterns, type LoadedCatalog } from '../catalog/index.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { Decision, PolicyInput } from '../policy/types.ts';
import type { CallContext } from './context.ts';
import { META_TOOLS, summarize } from './meta-tools.ts';
import { policyInput } from './pipeline.ts';
import { wrapOutputSchema } from './render.ts';

export interface ToolRegistryOptions {
  catalog: LoadedCatalog;
  /** expose.direct patterns: functions served as tools of their own. */
  direct: string[];
  /** expose.meta: serve the search/describe/call meta-tools. */
  meta: boolean;
  decide(input: PolicyInput): Decision;
  policyVersion(): string;
}

/**
 * Precomputed tool definitions (built once from the generated JSON Schemas) and, per caller,
 * the set of functions the policy lets them list: `tools/list` and the search tool show exactly that.
 */
export class ToolRegistry {
  readonly directTools = new Map<string, Tool>();
  private readonly wrapped = new Set<string>();
  private readonly visible = new LRUCache<string, Set<string>>({ max: 500 });

  constructor(private readonly options: ToolRegistryOptions) {
    const isDirect = compilePatterns(options.direct);
    for (const fn of options.catalog.functions) {
      const { input, output } = options.catalog.schemas(fn.name);
      const { schema, wrapped } = wrapOutputSchema(output);
      if (wrapped) this.wrapped.add(fn.name);
      if (!isDirect(fn.name)) continue;
      this.directTools.set(fn.name, {
        name: fn.name,
        title: fn.title,
        description: `${fn.description}${fn.access === 'write' ? ' (writes to Moodle)' : ''}`,
        inputSchema: input as Tool['inputSchema'],
        outputSchema: schema as Tool['outputSchema'],
        annotations: fn.annotations,
      });
    }
  }

  /** expose.meta: whether the search/describe/call meta-tools exist at all (listed and callable). */
  get meta(): boolean {
    return this.options.meta;
  }

  schemasOf(name: string) {
    return this.options.catalog.schemas(name);
  }

  isWrapped(fn: CatalogFunction): boolean {
    return this.wrapped.has(fn.name);
  }

  /** Names of the functions this caller may list (cached per profile, scopes, admin flag, IP and policy version). */
  visibleFunctions(ctx: CallContext): Set<string> {
    const c = ctx.connection;
    const key = [c.profile, c.scopes.join(','), c.moodleUser?.isSiteAdmin ? 1 : 0, ctx.clientIp, c.authMethod, this.options.policyVersion()].join('|');
    let names = this.visible.get(key);
    if (!names) {
      names = new Set(
        this.options.catalog.functions.filter((fn) => this.options.decide(policyInput('tools/list', ctx, fn)).allow).map((fn) => fn.name),
      );
      this.visible.set(key, names);
    }
    return names;
  }

  /** The `tools/list` answer for this caller. */
  listTools(ctx: CallContext): Tool[] {
    const names = this.visibleFunctions(ctx);
    const direct = [...this.directTools.values()].filter((tool) => names.has(tool.name));
    return [...(this.options.meta ? META_TOOLS : []), ...direct];
  }

  /** Keyword search over the functions this caller may list. */
  search(ctx: CallContext, query: string, filters: { access?: string; component?: string; limit?: number }) {
    const names = this.visibleFunctions(ctx);
    const words = query.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
    const scored = this.options.catalog.functions
      .filter((fn) => names.has(fn.name))
      .filter((fn) => !filters.access || fn.access === filters.access)
      .filter((fn) => !filters.component || fn.component === filters.component)
      .map((fn) => {
        const name = fn.name.toLowerCase();
        const text = `${fn.description} ${fn.title}`.toLowerCase();
        let score = 0;
        for (const word of words) {
          if (name.includes(word)) score += 3;
          if (fn.component.toLowerCase().includes(word)) score += 2;
          if (text.includes(word)) score += 1;
        }
        return { fn, score };
      })
      .filter((entry) => entry.score > 0)
      .sort((a, b) => b.score - a.score || a.fn.name.localeCompare(b.fn.name));
    return {
      total: scored.length,
      functions: scored.slice(0, filters.limit ?? 15).map(({ fn }) => ({
        name: fn.name,
        summary: summarize(fn.description) || fn.title,
        access: fn.access,
        component: fn.component,
      })),
    };
  }
}
