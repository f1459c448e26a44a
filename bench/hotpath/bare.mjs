// The bare MCP pass-through of bench/hotpath.bench.ts, plain JavaScript (no tsx): the MCP SDK's low-level Server and
// Streamable HTTP transport on srvx (as the gateway), one tool forwarding to Moodle, the answer returned as text.
// No authentication, policy, validation or audit. Usage: node bare.mjs <port> <moodle url> <moodle token>
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { serve } from 'srvx';

const [port, moodleUrl, token] = process.argv.slice(2);
const sessions = new Map();
const newServer = () => {
  const server = new Server({ name: 'bare', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'moodle_call_function', inputSchema: { type: 'object' } }] }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params.arguments;
    const form = new URLSearchParams({ wstoken: token, wsfunction: name, moodlewsrestformat: 'json' });
    for (const [k, v] of Object.entries(args ?? {})) form.set(k, String(v));
    const response = await fetch(`${moodleUrl}/webservice/rest/server.php`, { method: 'POST', body: form });
    return { content: [{ type: 'text', text: await response.text() }] };
  });
  return server;
};
const http = serve({
  port: Number(port),
  hostname: '127.0.0.1',
  silent: true,
  async fetch(request) {
    const id = request.headers.get('mcp-session-id');
    const existing = id ? sessions.get(id) : undefined;
    if (existing) return existing.handleRequest(request);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void sessions.set(sid, transport),
    });
    await newServer().connect(transport);
    return transport.handleRequest(request);
  },
});
await http.ready();
