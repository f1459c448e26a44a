/** DNS-rebinding and cross-origin guards for the MCP endpoint. */

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Host header values (host or host:port) that the gateway answers to. */
export function allowedHostSet(options: { publicUrl: string; listenHost: string; port: number; extra: string[] }): Set<string> {
  const hosts = new Set<string>();
  const add = (host: string) => hosts.add(host.toLowerCase());
  const url = new URL(options.publicUrl);
  add(url.host);
  add(url.hostname);
  const loopback = ['127.0.0.1', 'localhost', '::1', '::'].includes(options.listenHost) || options.listenHost.startsWith('127.');
  if (loopback || options.listenHost === '0.0.0.0') {
    for (const name of LOOPBACK_NAMES) {
      add(name);
      add(`${name}:${options.port}`);
    }
  }
  for (const host of options.extra) add(host);
  return hosts;
}

/** Origins allowed to call the MCP endpoint from a browser: the public URL's origin and the configured ones. */
export function allowedOriginSet(publicUrl: string, extra: string[]): Set<string> {
  return new Set([new URL(publicUrl).origin, ...extra.map((o) => o.replace(/\/$/, ''))].map((o) => o.toLowerCase()));
}

/** Why a request fails the Host/Origin checks, or undefined when it passes. */
export function checkHostAndOrigin(request: Request, hosts: Set<string>, origins: Set<string>): { status: number; message: string } | undefined {
  const host = (request.headers.get('host') ?? new URL(request.url).host).toLowerCase();
  if (!hosts.has(host)) return { status: 403, message: `Host "${host}" is not allowed (server.allowed_hosts)` };
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null' && !origins.has(origin.toLowerCase())) {
    return { status: 403, message: `Origin "${origin}" is not allowed (server.allowed_origins)` };
  }
  if (origin === 'null') return { status: 403, message: 'Opaque origin "null" is not allowed' };
  return undefined;
}
