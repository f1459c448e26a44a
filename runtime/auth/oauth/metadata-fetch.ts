import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Outgoing HTTP for Client ID Metadata Documents (an https `client_id` URL the gateway fetches before anyone signs
 * in): an unauthenticated caller chooses the URL, so it must never reach the gateway's own network. Every address
 * the host name resolves to must be public (ipaddr.js range `unicast`: not loopback, private, link-local, CGNAT,
 * multicast, reserved, 6to4/Teredo/NAT64...), else nothing is connected; the connection then goes to the address
 * that was checked (no second DNS answer: no rebinding), redirects are never followed, the answer is size- and
 * time-bounded, and fetches are rate-limited.
 */

/** Resolves a host name to all its addresses (default: the system resolver, like any outgoing connection). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export class MetadataFetchError extends Error {
  override name = 'MetadataFetchError';
}

const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified',
  loopback: 'a loopback',
  private: 'a private',
  uniqueLocal: 'a private (unique local)',
  linkLocal: 'a link-local',
  carrierGradeNat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
};

/** Why `address` is not a public unicast address, or undefined when it is one. */
export function nonPublicAddress(address: string): string | undefined {
  let range: string;
  try {
    range = ipaddr.process(address).range();
  } catch {
    return `"${address}" is not an IP address`;
  }
  return range === 'unicast' ? undefined : `${address} is ${RANGE_WORDS[range] ?? `a special-use (${range})`} address`;
}

export interface MetadataFetchOptions {
  /** Allow loopback, private and other non-public targets (tests and closed networks only). Default false. */
  allowPrivate?: boolean;
  /** Deadline for DNS, connection and the whole answer, in ms. Default 5000. */
  timeoutMs?: number;
  /** Largest answer read, in bytes (oidc-provider then applies its own 5 KB limit to the document). Default 64 KiB. */
  maxBytes?: number;
  resolve?: Resolver;
  /** Extra trusted CA certificates (tests). */
  ca?: string | Buffer;
}

const defaultResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The host's addresses, each checked (unless private targets are allowed); throws MetadataFetchError naming the problem. */
export async function checkedAddresses(hostname: string, o: Pick<MetadataFetchOptions, 'allowPrivate' | 'resolve' | 'timeoutMs'> = {}): Promise<LookupAddress[]> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })), o.timeoutMs ?? 5000);
    });
    try {
      addresses = await Promise.race([(o.resolve ?? defaultResolver)(host), deadline]);
    } catch (error) {
      throw new MetadataFetchError(`client_id host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new MetadataFetchError(`client_id host ${host} does not resolve`);
  if (!o.allowPrivate) {
    for (const { address } of addresses) {
      const problem = nonPublicAddress(address);
      if (problem) throw new MetadataFetchError(`client_id host ${host}: ${problem}; only public addresses are fetched`);
    }
  }
  return addresses;
}

/**
 * A `fetch` for oidc-provider's `fetch` option: GET over https only, to the checked address, no redirects (a 3xx is
 * returned as is, and oidc-provider accepts only 200), answer read up to `maxBytes` within `timeoutMs`.
 */
export function createMetadataFetch(o: MetadataFetchOptions = {}): typeof fetch {
  const timeoutMs = o.timeoutMs ?? 5000;
  const maxBytes = o.maxBytes ?? 64 * 1024;
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') throw new MetadataFetchError('client_id metadata documents are fetched over https only');
    const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(new MetadataFetchError(`client_id metadata document: no answer within ${timeoutMs} ms`));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    const [target] = await Promise.race([checkedAddresses(url.hostname, o), aborted]);
    return Promise.race([get(url, target, signal, maxBytes, o.ca), aborted]);
  }) as typeof fetch;
}

function get(url: URL, target: LookupAddress, signal: AbortSignal, maxBytes: number, ca?: string | Buffer): Promise<Response> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<Response>((resolve, reject) => {
    const request = httpsRequest(
      {
        host,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'moodle-mcp' },
        // The connection goes to the address that was checked: a second DNS answer (rebinding) is never asked for.
        lookup: ((_name: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
          if (options?.all) callback(null, [target]);
          else callback(null, target.address, target.family);
        }) as never,
        agent: false,
        signal,
        ...(ca ? { ca } : {}),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const declared = Number(response.headers['content-length']);
        if (declared > maxBytes) {
          response.destroy();
          return reject(new MetadataFetchError(`client_id metadata document is larger than ${maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxBytes) {
            response.destroy();
            reject(new MetadataFetchError(`client_id metadata document is larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
            else if (value !== undefined) headers.set(name, value);
          }
          const nullBody = status === 204 || status === 205 || status === 304;
          try {
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers }));
          } catch {
            reject(new MetadataFetchError(`client_id metadata document: unusable HTTP status ${status}`));
          }
        });
      },
    );
    request.on('error', (error) => reject(new MetadataFetchError(`client_id metadata document fetch failed: ${error.message}`)));
    request.end();
  });
}

/** At most `perMinute` fetches in any 60-second window, across all clients (a fetch is work an anonymous caller asks for). */
export class FetchRateLimit {
  private readonly times: number[] = [];

  constructor(private readonly perMinute: number) {}

  /** Counts a fetch and returns true, or returns false when the window is full. */
  take(now = Date.now()): boolean {
    while (this.times.length > 0 && this.times[0] <= now - 60_000) this.times.shift();
    if (this.times.length >= this.perMinute) return false;
    this.times.push(now);
    return true;
  }
}
