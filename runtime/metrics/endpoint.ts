import { serve } from 'srvx';
import { digestEquals, hashApiKey } from '../auth/crypto.ts';
import type { GatewayMetrics } from './registry.ts';

/** Where and how /metrics is served (the config's `metrics` section, with the bearer token read from its env var). */
export interface MetricsAccess {
  /** `host:port` of a listener of its own; empty: /metrics on the gateway's port. */
  listen: string;
  /** Bearer token scrapers present. Required on the gateway's port (no token: /metrics is not served there). */
  token?: string;
}

function bearerMatches(request: Request, token: string): boolean {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  // Compared as digests: constant time whatever the lengths.
  return !!match && digestEquals(hashApiKey(match[1]!), hashApiKey(token));
}

/**
 * Answers a scrape: 404 when /metrics is not served here, 401 without the right bearer token, else the exposition.
 * `onGatewayPort`: the request came to the gateway's own listener (then a token is always required).
 */
export async function metricsResponse(metrics: GatewayMetrics, access: MetricsAccess, request: Request, onGatewayPort: boolean): Promise<Response> {
  if (onGatewayPort && (access.listen || !access.token)) return new Response('Not Found', { status: 404 });
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
  if (access.token && !bearerMatches(request, access.token)) {
    return new Response('metrics: bearer token required', { status: 401, headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
  }
  const { body, contentType } = await metrics.scrape();
  return new Response(request.method === 'HEAD' ? null : body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
}

/** Parses `host:port` (`[::1]:9464` for IPv6); throws with the reason. */
export function parseListen(listen: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) throw new Error(`metrics.listen: "${listen}" is not host:port (e.g. 127.0.0.1:9464)`);
  return { hostname: match[1] ?? match[2]!, port };
}

/** Serves /metrics (only) on its own address. Resolves once listening; close() stops it. */
export async function startMetricsListener(metrics: GatewayMetrics, access: MetricsAccess): Promise<{ url: string; close(): Promise<void> }> {
  const { hostname, port } = parseListen(access.listen);
  const server = serve({
    hostname,
    port,
    silent: true,
    fetch: (request) =>
      new URL(request.url).pathname === '/metrics' ? metricsResponse(metrics, access, request, false) : new Response('Not Found', { status: 404 }),
  });
  await server.ready();
  return { url: `${(server.url ?? `http://${listen(hostname, port)}/`).replace(/\/$/, '')}/metrics`, close: () => server.close(true) };
}

const listen = (hostname: string, port: number) => (hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`);
