/** Test helpers: a gateway against the in-process Moodle simulator, with the audit trail captured in memory. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { serve } from 'srvx';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { parseConfig, type GatewayConfig } from '../../runtime/config/index.ts';
import { createGateway, type Gateway, type GatewayOptions } from '../../runtime/gateway/create.ts';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED_CONFIG = readFileSync(`${ROOT}moodle-mcp.config.yaml`, 'utf8');

/** The shipped config with overrides applied (a deep merge of plain objects), validated like a real file. */
export function testConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const base = parseConfig(SHIPPED_CONFIG, 'moodle-mcp.config.yaml', {});
  // Each test gateway gets its own store directory (file store, dev encryption key).
  const store = { dir: mkdtempSync(join(tmpdir(), 'moodle-mcp-test-')) };
  const merged = merge(structuredClone(base), { audit: { sinks: [] }, policy: { watch: false }, store, ...overrides });
  return parseConfig(JSON.stringify(merged), 'test-config.yaml', env);
}

function merge(target: any, source: any): any {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object' && !Array.isArray(target[key])) merge(target[key], value);
    else target[key] = value;
  }
  return target;
}

export interface TestGateway {
  gateway: Gateway;
  /** Waits until the audit trail is written, then returns the records. */
  audited(): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/**
 * A gateway on `config` with its audit trail captured in memory. Other gateway options (env, moodleFetch, now, more
 * audit writers...) are passed through; by default env is empty, the log silent and paths relative to the repository.
 */
export async function startTestGateway(config = testConfig(), options: Omit<Partial<GatewayOptions>, 'config'> = {}): Promise<TestGateway> {
  const records: AuditRecord[] = [];
  const gateway = await createGateway({
    baseDir: ROOT,
    log: pino({ level: 'silent' }),
    ...options,
    config,
    env: options.env ?? {},
    auditWriters: [
      {
        name: 'memory',
        maxBatch: 1000,
        async write(lines) {
          for (const line of lines) records.push(JSON.parse(line));
        },
        async close() {},
      },
      ...(options.auditWriters ?? []),
    ],
  });
  return {
    gateway,
    async audited() {
      await gateway.audit.flush();
      return records;
    },
    close: () => gateway.close(),
  };
}

/** Serves a gateway over a real socket on a free loopback port. */
export async function listen(gateway: Gateway, options: { trustProxy?: boolean | 'loopback' | string[]; port?: number } = {}) {
  const server = serve({ fetch: gateway.app.fetch, port: options.port ?? 0, hostname: '127.0.0.1', silent: true, trustProxy: options.trustProxy ?? false });
  await server.ready();
  const url = new URL(server.url!);
  return { url: `http://127.0.0.1:${url.port}`, port: Number(url.port), close: () => server.close(true) };
}

export { freePort } from './net.ts';
export { EXCHANGES } from './exchanges.ts';
