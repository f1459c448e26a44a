import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { formatPath } from '../shared/issue-path.ts';
import { ConfigError } from './errors.ts';
import { configSchema, type GatewayConfig } from './schema.ts';

/** Default config file: `$MOODLE_MCP_CONFIG`, else `moodle-mcp.config.yaml` in the working directory. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MOODLE_MCP_CONFIG || 'moodle-mcp.config.yaml');
}

/** Environment variables that override single config values (handy in containers). */
const ENV_OVERRIDES: [string, (raw: Record<string, any>, value: string) => void][] = [
  ['MOODLE_URL', (raw, v) => ((raw.moodle ??= {}).url = v)],
  ['MOODLE_MCP_HOST', (raw, v) => ((raw.server ??= {}).host = v)],
  ['MOODLE_MCP_PORT', (raw, v) => ((raw.server ??= {}).port = Number(v))],
  ['MOODLE_MCP_PUBLIC_URL', (raw, v) => ((raw.server ??= {}).public_url = v)],
];

/** Parses and validates configuration text; throws ConfigError naming the file, path and reason. */
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
  return result.data;
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
