import type { Writable } from 'node:stream';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
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

/**
 * A private (0600) output file, or the given stream; `done()` waits until it is fully written. Rejects when the
 * file cannot be opened; an existing regular file is truncated and made 0600 too (exports hold personal data).
 */
export async function openOutput(path: string | undefined, fallback: Writable): Promise<{ out: Writable; done(): Promise<void> }> {
  if (!path) return { out: fallback, done: async () => {} };
  const handle = await open(path, 'w', 0o600);
  try {
    if ((await handle.stat()).isFile()) await handle.chmod(0o600);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const out = handle.createWriteStream();
  // Write errors surface through put() (export.ts) and done(); without a listener they would crash the process.
  out.on('error', () => {});
  return {
    out,
    done: async () => {
      out.end();
      await finished(out);
    },
  };
}
