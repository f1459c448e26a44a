/**
 * A server child of the hot-path bench, so that its CPU time and memory are its own: `bare` (the MCP SDK's low-level
 * Server and Streamable HTTP transport forwarding to Moodle: no auth, policy, validation or audit) or `gateway`
 * (moodle-mcp with a config key). Talks to the bench over IPC: `ready` with its URL, then `stats` on request.
 */
import { randomBytes } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { serve } from 'srvx';

const [kind, moodleUrl, token] = process.argv.slice(2) as ['bare' | 'gateway', string, string];

async function startBare(): Promise<string> {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const newServer = () => {
    const server = new Server({ name: 'bare', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'moodle_call_function', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      const { name, arguments: args } = request.params.arguments as { name: string; arguments: Record<string, unknown> };
      const form = new URLSearchParams({ wstoken: token, wsfunction: name, moodlewsrestformat: 'json' });
      for (const [k, v] of Object.entries(args ?? {})) form.set(k, String(v));
      const response = await fetch(`${moodleUrl}/webservice/rest/server.php`, { method: 'POST', body: form });
      return { content: [{ type: 'text', text: await response.text() }] };
    });
    return server;
  };
  const http = serve({
    port: 0,
    hostname: '127.0.0.1',
    silent: true,
    async fetch(request) {
      const id = request.headers.get('mcp-session-id');
      const existing = id ? sessions.get(id) : undefined;
      if (existing) return existing.handleRequest(request);
      const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, transport),
      });
      await newServer().connect(transport);
      return transport.handleRequest(request);
    },
  });
  await http.ready();
  return `http://127.0.0.1:${new URL(http.url!).port}`;
}

async function startGateway(): Promise<string> {
  const { listen, startTestGateway, testConfig } = await import('../../test/helpers/gateway.ts');
  const env = { BENCH_KEY: 'bench-key', BENCH_TOKEN: token, MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  const config = testConfig(
    {
      moodle: { url: moodleUrl },
      profiles: { default: { scopes: ['api.read'], allow: ['*'], rate_per_minute: 1_000_000, rate_per_function_per_minute: 1_000_000 } },
      connections: [{ id: 'bench', key_env: 'BENCH_KEY', moodle_token_env: 'BENCH_TOKEN', profile: 'default' }],
    },
    env,
  );
  const gw = await startTestGateway(config, { env });
  const server = await listen(gw.gateway);
  return server.url;
}

const url = kind === 'bare' ? await startBare() : await startGateway();
// HOTPATH_PROF=<dir>: a CPU profile of the measured calls only (between prof-start and prof-stop), for finding hot spots.
const { Session } = await import('node:inspector/promises');
const inspector = new Session();
process.on('message', async (message: string) => {
  if (message === 'exit') process.exit(0);
  if (message === 'prof-start') {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  if (message.startsWith('prof-stop:')) {
    const { profile } = await inspector.post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(message.slice('prof-stop:'.length), JSON.stringify(profile));
    inspector.disconnect();
  }
  if (message === 'gc') globalThis.gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  process.send!({ kind: 'stats', cpuUs: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external });
});
process.send!({ kind: 'ready', url });
