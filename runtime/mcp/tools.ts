import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { LRUCache } from 'lru-cache';
import { compilePatterns, type LoadedCatalog } from '../catalog/index.ts';
import type { CatalogFunction } from '../catalog/types.ts';
import type { Decision, PolicyInput } from '../policy/types.ts';
import type { CallContext } from './context.ts';
import { META_TOOLS, summarize } from './meta-tools.ts';
import { policyInput } from './pipeline.ts';
import { FunctionSearchIndex } from './search-index.ts';
import { wrapOutputSchema } from './render.ts';

export interface ToolRegistryOptions {
  catalog: LoadedCatalog;
  /** expose.direct patterns: functions served as tools of their own. */
  direct: string[];
  /** expose.meta: serve the search/describe/call meta-tools. */
  meta: boolean;
  decide(input: PolicyInput): Decision;
  policyVersion(): string;
  /** Gateway tools beside the meta-tools (the file tools, when `files.enabled`), each with the function the policy sees. */
  gatewayTools?: { tool: Tool; fn: CatalogFunction }[];
}

/**
 * Precomputed tool definitions (built once from the generated JSON Schemas) and, per caller,
 * the set of functions the policy lets them list: `tools/list` and the search tool show exactly that.
 */
export class ToolRegistry {
  readonly directTools = new Map<string, Tool>();
  /** Gateway tools (the file tools) by name: called through the pipeline like direct tools. */
  readonly gatewayTools = new Map<string, { tool: Tool; fn: CatalogFunction }>();
  private readonly wrapped = new Set<string>();
  private readonly visible = new LRUCache<string, Set<string>>({ max: 500 });
  private index: FunctionSearchIndex | undefined;

  constructor(private readonly options: ToolRegistryOptions) {
    for (const entry of options.gatewayTools ?? []) this.gatewayTools.set(entry.tool.name, entry);
    const isDirect = compilePatterns(options.direct);
    for (const fn of options.catalog.functions) {
      const { input, output } = options.catalog.schemas(fn.name);
      const { schema, wrapped } = wrapOutputSchema(output);
      if (wrapped) this.wrapped.add(fn.name);
      if (!isDirect(fn.name)) continue;
      this.directTools.set(fn.name, {
        name: fn.name,
        title: fn.title,
        description: fn.guide ?? `${fn.description}${fn.access === 'write' ? ' (writes to Moodle)' : ''}`,
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

  /** A catalog function, or the function of a gateway tool. */
  getFunction(name: string): CatalogFunction | undefined {
    return this.options.catalog.get(name) ?? this.gatewayTools.get(name)?.fn;
  }

  schemasOf(name: string) {
    const gateway = this.gatewayTools.get(name);
    if (gateway) return { input: gateway.tool.inputSchema as Record<string, unknown>, output: (gateway.tool.outputSchema ?? {}) as Record<string, unknown> };
    return this.options.catalog.schemas(name);
  }

  isWrapped(fn: CatalogFunction): boolean {
    return this.wrapped.has(fn.name);
  }

  /**
   * Names of the functions this caller may list: those the connected site offers to the caller's token (its site
   * info's list, when known) that the policy allows. Cached per profile, scopes, admin flag, IP, auth method, the
   * site's function list (shared by the tokens of one service) and policy version.
   */
  visibleFunctions(ctx: CallContext): Set<string> {
    const c = ctx.connection;
    const offered = c.siteFunctions;
    const key = [c.profile, c.scopes.join(','), c.moodleUser?.isSiteAdmin ? 1 : 0, ctx.clientIp, c.authMethod, offered?.id ?? '', this.options.policyVersion()].join('|');
    let names = this.visible.get(key);
    if (!names) {
      // Catalog functions the connected site does not offer are left out; the gateway's own tools are not in its list.
      const catalogFunctions = this.options.catalog.functions.filter((fn) => !offered || offered.names.has(fn.name));
      const functions = [...catalogFunctions, ...[...this.gatewayTools.values()].map((entry) => entry.fn)];
      names = new Set(functions.filter((fn) => this.options.decide(policyInput('tools/list', ctx, fn)).allow).map((fn) => fn.name));
      this.visible.set(key, names);
    }
    return names;
  }

  /** The `tools/list` answer for this caller. */
  listTools(ctx: CallContext): Tool[] {
    const names = this.visibleFunctions(ctx);
    const direct = [...this.directTools.values()].filter((tool) => names.has(tool.name));
    const gateway = [...this.gatewayTools.values()].filter((entry) => names.has(entry.tool.name)).map((entry) => entry.tool);
    return [...(this.options.meta ? META_TOOLS : []), ...gateway, ...direct];
  }

  /** The search index over the catalog: built once per catalog load, on the first search. */
  private get searchIndex(): FunctionSearchIndex {
    this.index ??= new FunctionSearchIndex(this.options.catalog.functions);
    return this.index;
  }

  /** Ranked search (search-index.ts) over the functions this caller may list. */
  search(ctx: CallContext, query: string, filters: { access?: string; component?: string; limit?: number }) {
    const names = this.visibleFunctions(ctx);
    const byName = (name: string) => this.options.catalog.get(name);
    const hits = this.searchIndex.search(query, (name) => {
      if (!names.has(name)) return false;
      const fn = byName(name);
      return !!fn && (!filters.access || fn.access === filters.access) && (!filters.component || fn.component === filters.component);
    });
    return {
      total: hits.length,
      functions: hits.slice(0, filters.limit ?? 15).map(({ name }) => {
        const fn = byName(name) as CatalogFunction;
        return { name: fn.name, summary: fn.summary ?? (summarize(fn.description) || fn.title), access: fn.access, component: fn.component };
      }),
    };
  }
}
