import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { Connection, Scope } from '../auth/types.ts';
import type { GatewayConfig } from '../config/index.ts';

/** An authentication failure, mapped to 401/403 with `WWW-Authenticate` at the HTTP edge. */
export class GatewayAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly wwwAuthenticate?: string,
  ) {
    super(message);
    this.name = 'GatewayAuthError';
  }
}

export const DEMO_KEYS = { 'demo-student': 'emma.johansson', 'demo-teacher': 'dlindqvist', 'demo-manager': 'mokafor' } as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export function isLoopback(ip: string): boolean {
  try {
    const addr = ipaddr.process(ip);
    return addr.range() === 'loopback';
  } catch {
    return false;
  }
}

/** The bearer credential of a request, or undefined. */
export function bearerOf(request: Request): string | undefined {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+([\x21-\x7e]+)\s*$/i.exec(header);
  return match?.[1];
}

interface ConfigKey {
  id: string;
  hash: Buffer;
  profile: string;
  scopes: Scope[];
  token: () => string;
}

/**
 * Bearer keys defined in moodle-mcp.config.yaml `connections` (the Moodle token comes from an environment variable
 * or a secret file, read at start), and the demo keys (simulator only, loopback only).
 */
export function createConfigKeyAuthenticator(
  config: GatewayConfig,
  options: { demoTokens?: Record<string, string>; env?: NodeJS.ProcessEnv },
): (key: string, clientIp: string) => Connection | undefined {
  const env = options.env ?? process.env;
  const keys: ConfigKey[] = config.connections.map((c) => {
    const rawKey = c.key_env ? env[c.key_env] : undefined;
    if (c.key_env && !rawKey) throw new Error(`connections[${c.id}]: environment variable ${c.key_env} (the bearer key) is not set`);
    const token = c.moodle_token_env ? env[c.moodle_token_env] : readFileSync(c.moodle_token_file!, 'utf8').trim();
    if (!token) throw new Error(`connections[${c.id}]: the Moodle token (${c.moodle_token_env ?? c.moodle_token_file}) is empty or not set`);
    return {
      id: c.id,
      hash: rawKey ? sha256(rawKey) : Buffer.from(c.key_sha256!, 'hex'),
      profile: c.profile,
      scopes: (c.scopes ?? config.profiles[c.profile].scopes) as Scope[],
      token: () => token,
    };
  });
  const demo = options.demoTokens;
  const demoScopes = demo ? ((config.profiles[config.demo.profile]?.scopes ?? ['api.read']) as Scope[]) : [];

  return (key, clientIp) => {
    if (demo && key in DEMO_KEYS) {
      if (!isLoopback(clientIp)) throw new GatewayAuthError(403, 'Demo keys are accepted from loopback only');
      const username = DEMO_KEYS[key as keyof typeof DEMO_KEYS];
      return { id: key, authMethod: 'demo', profile: config.demo.profile, scopes: demoScopes, moodleToken: demo[username] };
    }
    const hash = sha256(key);
    const found = keys.find((k) => timingSafeEqual(k.hash, hash));
    if (!found) return undefined;
    return { id: found.id, authMethod: 'config-key', profile: found.profile, scopes: found.scopes, moodleToken: found.token() };
  };
}
