import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { INSTALL_ROOT } from '../shared/install-root.ts';
import { parseDocument } from 'yaml';
import { formatPath } from '../shared/issue-path.ts';
import { ConfigError } from './errors.ts';
import { configSchema, type GatewayConfig } from './schema.ts';

/**
 * Default config file: `$MOODLE_MCP_CONFIG`, else `moodle-mcp.config.yaml` in the working directory when there is
 * one, else the one shipped with the installation.
 */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOODLE_MCP_CONFIG) return resolve(env.MOODLE_MCP_CONFIG);
  const local = resolve('moodle-mcp.config.yaml');
  return existsSync(local) ? local : resolve(INSTALL_ROOT, 'moodle-mcp.config.yaml');
}

/**
 * Makes every file path of the config absolute: a path written in the file is relative to the file's folder, a
 * default (policy files, store folder) to the installation. The working directory never matters.
 */
function resolvePaths(config: GatewayConfig, raw: Record<string, any>, file: string): GatewayConfig {
  const here = dirname(resolve(file));
  const fromFile = (path: string) => resolve(here, path);
  const setOrDefault = (section: Record<string, any> | undefined, key: string, value: string) => resolve(section?.[key] !== undefined ? here : INSTALL_ROOT, value);
  const { policy, store, secrets, audit } = config;
  policy.wasm = setOrDefault(raw.policy, 'wasm', policy.wasm);
  policy.manifest = setOrDefault(raw.policy, 'manifest', policy.manifest);
  policy.sources = setOrDefault(raw.policy, 'sources', policy.sources);
  store.dir = setOrDefault(raw.store, 'dir', store.dir);
  if (secrets.encryption_key_file) secrets.encryption_key_file = fromFile(secrets.encryption_key_file);
  for (const sink of audit.sinks) if (sink.type === 'file') sink.path = fromFile(sink.path);
  if (audit.webhook?.secret_file) audit.webhook.secret_file = fromFile(audit.webhook.secret_file);
  if (config.oauth.moodle_connect_secret_file) config.oauth.moodle_connect_secret_file = fromFile(config.oauth.moodle_connect_secret_file);
  for (const connection of config.connections) if (connection.moodle_token_file) connection.moodle_token_file = fromFile(connection.moodle_token_file);
  return config;
}

/** Environment variables that override single config values (handy in containers). */
const ENV_OVERRIDES: [string, (raw: Record<string, any>, value: string) => void][] = [
  ['MOODLE_URL', (raw, v) => ((raw.moodle ??= {}).url = v)],
  ['MOODLE_MCP_HOST', (raw, v) => ((raw.server ??= {}).host = v)],
  ['MOODLE_MCP_PORT', (raw, v) => ((raw.server ??= {}).port = Number(v))],
  ['MOODLE_MCP_PUBLIC_URL', (raw, v) => ((raw.server ??= {}).public_url = v)],
];

/**
 * Parses and validates configuration text; throws ConfigError naming the file, path and reason. Relative paths are
 * resolved against `file`'s folder (defaults against the installation).
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0] })),
    );
  }
  const raw = (doc.toJS() ?? {}) as Record<string, any>;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, [{ path: '', message: 'must be a YAML mapping' }]);
  for (const [name, apply] of ENV_OVERRIDES) if (env[name] !== undefined && env[name] !== '') apply(raw, env[name]!);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  return resolvePaths(result.data, raw, file);
}

/** Reads, parses and validates a config file (default: {@link defaultConfigPath} of `env`). */
export async function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  file ??= defaultConfigPath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(error as NodeJS.ErrnoException).code ?? error}` }]);
  }
  return parseConfig(text, file, env);
}
