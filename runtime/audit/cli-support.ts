import type { Writable } from 'node:stream';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { CliErrorStyle } from '../cli/args.ts';
import type { GatewayConfig } from '../config/index.ts';

/** How `audit` and `privacy` report errors: an AuditError is bad input (usage, 2), so is a ConfigError (2); others say "error:". */
export const AUDIT_CLI_ERRORS: CliErrorStyle = { usageErrors: ['AuditError'], configErrorExit: 2, failurePrefix: 'error: ' };

/** The first file sink's path in the config. */
export function fileSinkPath(config: GatewayConfig): string | undefined {
  for (const sink of config.audit.sinks) if (sink.type === 'file') return sink.path;
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
