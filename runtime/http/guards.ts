/** DNS-rebinding and cross-origin guards for the MCP endpoint. */

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a URL's hostname (`new URL(u).hostname`, IPv6 in brackets) is a loopback name: localhost, 127.0.0.1, [::1]. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_NAMES.includes(hostname);
}

/** Whether the gateway listens on a loopback address only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export interface HostPolicy {
  /** Host header values (host or host:port) the gateway answers to. */
  hosts: Set<string>;
  /** Origins allowed to call from a browser. */
  origins: Set<string>;
  /** Listening on loopback: any port of a loopback name, and pages served from loopback, are local. */
  loopback: boolean;
}

/** The allowlists: the public URL's host and origin, loopback names when listening on loopback, plus the configured ones. */
export function hostPolicy(options: { publicUrl: string; listenHost: string; allowedHosts: string[]; allowedOrigins: string[] }): HostPolicy {
  const url = new URL(options.publicUrl);
  const loopback = isLoopbackHost(options.listenHost);
  const hosts = new Set([url.host, url.hostname, ...options.allowedHosts, ...(loopback ? LOOPBACK_NAMES : [])].map((h) => h.toLowerCase()));
  const origins = new Set([url.origin, ...options.allowedOrigins.map((o) => o.replace(/\/$/, ''))].map((o) => o.toLowerCase()));
  return { hosts, origins, loopback };
}

const hostnameOf = (host: string) => (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]);

/** Why a request fails the Host/Origin checks, or undefined when it passes. */
export function checkHostAndOrigin(request: Request, policy: HostPolicy): { status: number; message: string } | undefined {
  const host = (request.headers.get('host') ?? new URL(request.url).host).toLowerCase();
  if (!policy.hosts.has(host) && !policy.hosts.has(hostnameOf(host))) {
    return { status: 403, message: `Host "${host}" is not allowed (server.allowed_hosts)` };
  }
  const origin = request.headers.get('origin')?.toLowerCase();
  if (!origin) return undefined;
  if (origin === 'null') return { status: 403, message: 'Opaque origin "null" is not allowed' };
  if (policy.origins.has(origin)) return undefined;
  if (policy.loopback) {
    try {
      if (isLoopbackHostname(new URL(origin).host.replace(/:\d+$/, ''))) return undefined;
    } catch {
      /* not a URL: refused below */
    }
  }
  return { status: 403, message: `Origin "${origin}" is not allowed (server.allowed_origins)` };
}
