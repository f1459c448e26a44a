import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callerRecord, toolCallAudit } from './audit-record.ts';
import type { CallContext } from './context.ts';
import { ToolError } from './errors.ts';
import { MAX_SEARCH_QUERY_LENGTH, META } from './meta-tools.ts';
import { callFunction, type PipelineDeps } from './pipeline.ts';
import { successResult } from './render.ts';
import type { ToolRegistry } from './tools.ts';

/** Version string reported in `initialize`. */
export const SERVER_INFO = { name: 'moodle-mcp', title: 'Moodle (moodle-mcp gateway)', version: '0.1.0' };

export interface McpServerDeps {
  registry: ToolRegistry;
  pipeline: PipelineDeps;
  /** The caller of the current request: from authInfo.extra (HTTP) or fixed (stdio). */
  contextOf(extra: { authInfo?: { extra?: Record<string, unknown> }; sessionId?: string }): CallContext;
  /** Wraps each tool call (graceful shutdown waits for the calls in flight). */
  track?<T>(work: () => Promise<T>): Promise<T>;
}

/** A low-level MCP Server serving precomputed tool definitions; every call goes through the one pipeline. */
export function createMcpServer(deps: McpServerDeps): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions:
      'Tools for a Moodle site, called as the signed-in person with their Moodle permissions. Use moodle_search_functions to find a function, moodle_describe_function for its arguments, and moodle_call_function to call it; frequently used functions are also direct tools.',
  });
  const { registry, pipeline } = deps;

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    const ctx = deps.contextOf(extra);
    const started = pipeline.now();
    const tools = registry.listTools(ctx);
    pipeline.audit({
      ...callerRecord(ctx, 'tools/list', started),
      mcp_method: 'tools/list',
      decision: 'allowed',
      status: 200,
      duration_ms: pipeline.now() - started,
      detail: `${tools.length} tools`,
      policy_version: pipeline.policyVersion(),
    });
    return { tools };
  });

  const track = deps.track ?? ((work) => work());
  // tools/call is served by the fallback handler, not setRequestHandler(CallToolRequestSchema): the SDK would refuse
  // malformed params before our handler with a raw Zod dump (-32603), unaudited. Here they are -32602 with one
  // sentence, audited like every other call.
  server.fallbackRequestHandler = async (request, extra) => {
    if (request.method !== 'tools/call') throw new McpError(ErrorCode.MethodNotFound, 'Method not found');
    return track(() => handleCall(request.params, deps.contextOf(extra)));
  };

  async function handleCall(params: unknown, ctx: CallContext): Promise<CallToolResult> {
    const call = callParams(params);
    if ('problem' in call) {
      toolCallAudit(pipeline, ctx, call.name ?? '', pipeline.now()).fail(new ToolError('invalid_params', call.problem, 400, { reasons: [call.problem] }));
      throw new McpError(ErrorCode.InvalidParams, call.problem);
    }
    const { name, args } = call;
    if (registry.directTools.has(name) || registry.gatewayTools.has(name)) return callFunction(pipeline, ctx, name, args, name);
    const { finish, fail: metaError } = toolCallAudit(pipeline, ctx, name, pipeline.now());
    const metaOk = (value: Record<string, unknown>) => finish(successResult(value, false), { decision: 'allowed', status: 200 });
    try {
      return await metaCall(name, args, ctx, metaOk, metaError);
    } catch (error) {
      if (error instanceof McpError) throw error;
      // Audited like a pipeline failure, never a bare JSON-RPC -32603 with the error's own text.
      pipeline.logError(error, name);
      return metaError(new ToolError('internal_error', 'The gateway failed to complete the call (see the gateway log).', 500));
    }
  }

  async function metaCall(
    name: string,
    args: Record<string, unknown>,
    ctx: CallContext,
    metaOk: (value: Record<string, unknown>) => CallToolResult,
    metaError: (error: ToolError) => CallToolResult,
  ): Promise<CallToolResult> {
    // With expose.meta off the meta-tools do not exist: their names are unknown tools like any other.
    switch (registry.meta ? name : undefined) {
      case META.call: {
        const target = typeof args.name === 'string' ? args.name : '';
        const extraKeys = Object.keys(args).filter((k) => k !== 'name' && k !== 'arguments');
        if (!target || extraKeys.length > 0)
          return metaError(new ToolError('invalid_arguments', `${META.call} takes { name, arguments }.`, 400, {
            issues: [!target ? { path: 'name', message: 'required: the Moodle function name' } : { path: extraKeys[0], message: 'unknown key' }],
          }));
        return callFunction(pipeline, ctx, target, args.arguments ?? {}, name);
      }
      case META.search: {
        const query = typeof args.query === 'string' ? args.query.trim() : '';
        if (!query) return metaError(new ToolError('invalid_arguments', 'query is required.', 400, { issues: [{ path: 'query', message: 'required: one or more keywords' }] }));
        if (query.length > MAX_SEARCH_QUERY_LENGTH) {
          const message = `at most ${MAX_SEARCH_QUERY_LENGTH} characters (as the tool's input schema declares)`;
          return metaError(new ToolError('invalid_arguments', `query is too long: ${message}.`, 400, { issues: [{ path: 'query', message }] }));
        }
        const limit = Number.isInteger(args.limit) ? Math.min(Math.max(args.limit as number, 1), 50) : 15;
        const found = registry.search(ctx, query, { access: args.access as string | undefined, component: args.component as string | undefined, limit });
        return metaOk(found);
      }
      case META.describe: {
        const target = typeof args.name === 'string' ? args.name : '';
        const fn = pipeline.getFunction(target);
        if (!fn || !registry.visibleFunctions(ctx).has(fn.name))
          return metaError(new ToolError('unknown_function', `No function "${target}" that you may use. Try ${META.search}.`, 404));
        const { input, output } = deps.registry.schemasOf(fn.name);
        return metaOk({
          name: fn.name,
          title: fn.title,
          description: fn.guide ?? fn.description,
          component: fn.component,
          access: fn.access,
          capabilities: fn.capabilities,
          inputSchema: input,
          outputSchema: output,
        });
      }
      default: {
        // MCP 2025-11-25: an unknown tool is a protocol error (-32602), not a tool result.
        const message = `Unknown tool "${name.slice(0, 100)}" (no such tool, or it is not exposed to you).`;
        metaError(new ToolError('unknown_tool', message, 404));
        throw new McpError(ErrorCode.InvalidParams, message);
      }
    }
  }
  return server;
}

/** The tool name and arguments of `tools/call` params, or the one-sentence problem with them (and what name there was). */
function callParams(params: unknown): { name: string; args: Record<string, unknown> } | { problem: string; name?: string } {
  const p = (params && typeof params === 'object' ? params : {}) as { name?: unknown; arguments?: unknown };
  if (typeof p.name !== 'string' || p.name === '') return { problem: 'tools/call needs params.name: the name of the tool to call, a non-empty string.' };
  const args = p.arguments ?? {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    return { problem: 'tools/call params.arguments must be an object of argument names and values.', name: p.name };
  }
  return { name: p.name, args: args as Record<string, unknown> };
}
