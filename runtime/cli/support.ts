import type { Writable } from 'node:stream';
import type { AuditRecord } from '../audit/types.ts';
import type { AuthStore } from '../auth/store/types.ts';
import type { GatewayConfig } from '../config/index.ts';

/** What every command that reads the gateway config takes; tests inject the parts. */
export interface CliDeps {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
  /** The gateway config; default: loaded from --config, $MOODLE_MCP_CONFIG or moodle-mcp.config.yaml. */
  config?: GatewayConfig;
  /** Where the command's audit records go; default: the config's audit sinks except stdout. Not closed by the command. */
  audit?: { record(rec: AuditRecord): void; close?(): Promise<void> };
}

/** The injected config, or the one at `path` (default: $MOODLE_MCP_CONFIG or moodle-mcp.config.yaml). */
export async function cliConfig(deps: CliDeps, path: string | undefined): Promise<GatewayConfig> {
  if (deps.config) return deps.config;
  const { loadConfig } = await import('../config/index.ts');
  return loadConfig(path, deps.env ?? process.env);
}

/** A command's audit trail. */
export interface CliAudit {
  record(rec: AuditRecord): void;
  /** Writes what was recorded and closes; resolves with the records each sink dropped (none for an injected trail). */
  close(): Promise<Record<string, number>>;
}

/**
 * The CLI's audit trail: the config's sinks except stdout (the operator's terminal, not the gateway's log stream),
 * plus a file sink for `file` when the config has none for that path. Without a sink (nor a webhook) nothing is
 * recorded, unless `requiredFor` names the operation: then that is an AuditError.
 */
export async function cliAudit(deps: CliDeps, config: GatewayConfig | undefined, options: { file?: string; requiredFor?: string } = {}): Promise<CliAudit> {
  const injected = deps.audit;
  if (injected) return { record: (r) => injected.record(r), close: async () => ({}) };
  const sinks = (config?.audit.sinks ?? []).filter((s) => s.type !== 'stdout');
  const { file, requiredFor } = options;
  if (file && !sinks.some((s) => s.type === 'file' && s.path === file)) sinks.push({ type: 'file', path: file });
  if (sinks.length === 0 && requiredFor) {
    const { AuditError } = await import('../audit/errors.ts');
    throw new AuditError(`audit.sinks: no sink besides stdout to record the ${requiredFor} in; pass --file PATH`);
  }
  if (sinks.length === 0 && !config?.audit.webhook) return { record: () => undefined, close: async () => ({}) };
  const { createAudit } = await import('../audit/logger.ts');
  const audit = createAudit({ sinks, failClosed: false, bufferSize: 100, webhook: config?.audit.webhook, env: deps.env ?? process.env });
  return {
    record: (r) => audit.record(r),
    close: async () => {
      await audit.close();
      return audit.stats().dropped;
    },
  };
}

/** The injected store, or the configured one (`own`: the caller closes it). */
export async function cliStore<S extends object = AuthStore>(deps: { store?: S; env?: NodeJS.ProcessEnv }, config: GatewayConfig): Promise<{ store: S | AuthStore; own: boolean }> {
  if (deps.store) return { store: deps.store, own: false };
  const { openStore } = await import('../auth/store/index.ts');
  return { store: await openStore(config.store, deps.env ?? process.env), own: true };
}
