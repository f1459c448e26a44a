/** MCP over Streamable HTTP for tests and benches: the SDK client with a bearer key, raw JSON-RPC POSTs, a result's text. */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * An SDK client connected to `${url}/mcp` (url: the gateway's base URL, e.g. from listen()) with `Authorization:
 * Bearer <key>` and extra headers; `protocolVersion` sets the transport's version before connecting.
 */
export async function connectClient(url: string, key: string, headers: Record<string, string> = {}, options: { protocolVersion?: string } = {}): Promise<Client> {
  const client = new Client({ name: 'moodle-mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } } });
  if (options.protocolVersion) transport.setProtocolVersion(options.protocolVersion);
  await client.connect(transport);
  return client;
}

/** The JSON-RPC initialize request a client sends first. */
export const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };

/** POSTs a JSON-RPC body to `${url}/mcp` as an MCP client would (headers override the defaults, e.g. authorization). */
export const postMcp = (url: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });

/** A raw initialize POST (to check the HTTP status and headers of the first request). */
export const postInitialize = (url: string, key: string, headers: Record<string, string> = {}) => postMcp(url, key, INITIALIZE, headers);

/** The first text content of a tool result. */
export const text = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

/** The JSON answer of a moodle_call_function result (its text: the meta-tool has no output schema, so no structured content). */
export const answer = (result: unknown) => JSON.parse(text(result)) as unknown;

/**
 * Starts a gateway over stdio (`server`: command, args, env, cwd), calls core_webservice_get_site_info and checks it
 * answers as `username`; returns the gateway's stderr (a failure carries it in its message).
 */
export async function siteInfoOverStdio(server: Omit<StdioServerParameters, 'stderr'>, username: string, clientName: string): Promise<string> {
  const transport = new StdioClientTransport({ ...server, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += chunk));
  const client = new Client({ name: clientName, version: '1.0.0' });
  try {
    await client.connect(transport);
    const result = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    assert.equal((result.structuredContent as { username?: string }).username, username);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- gateway stderr ---\n${stderr}`);
  } finally {
    await client.close();
  }
  return stderr;
}
