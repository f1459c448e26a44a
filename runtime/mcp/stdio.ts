import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallContext } from './context.ts';
import { createMcpServer, type McpServerDeps } from './server.ts';

/** Serves MCP over stdin/stdout for one local client (Claude Desktop, Claude Code), as one fixed caller. */
export async function serveStdio(deps: Omit<McpServerDeps, 'contextOf'>, ctx: CallContext): Promise<{ closed: Promise<void> }> {
  const server = createMcpServer({ ...deps, contextOf: () => ctx });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (server.onclose = () => resolve()));
  await server.connect(transport);
  return { closed };
}
