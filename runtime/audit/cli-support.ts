import type { Writable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import type { AuditSection } from './config.ts';

/** What the audit and privacy commands need from the gateway config. */
export interface CliConfig {
  audit: AuditSection;
  store?: { type: 'file' | 'postgres'; dir: string; postgres_url_env: string };
}

export interface CliDeps {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
  /** Loads the gateway config (default: runtime/config loadConfig). */
  loadConfig?: (path?: string) => Promise<CliConfig>;
}

export async function loadCliConfig(deps: CliDeps, path: string | undefined): Promise<CliConfig> {
  if (deps.loadConfig) return deps.loadConfig(path);
  const { loadConfig } = await import('../config/index.ts');
  return (await loadConfig(path, deps.env ?? process.env)) as unknown as CliConfig;
}

/** The first file sink's path in the config. */
export function fileSinkPath(config: CliConfig): string | undefined {
  for (const sink of config.audit?.sinks ?? []) if (sink.type === 'file') return sink.path;
  return undefined;
}

/** A private (0600) output file, or the given stream; `done()` waits until it is fully written. */
export function openOutput(path: string | undefined, fallback: Writable): { out: Writable; done(): Promise<void> } {
  if (!path) return { out: fallback, done: async () => {} };
  const out = createWriteStream(path, { mode: 0o600 });
  return {
    out,
    done: () =>
      new Promise((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      }),
  };
}
