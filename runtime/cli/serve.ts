import { serve } from 'srvx';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pino, { type Logger } from 'pino';
import { loadConfig, type GatewayConfig } from '../config/index.ts';
import { createGateway, type Gateway } from '../gateway/create.ts';
import { serveStdio } from '../mcp/stdio.ts';
import type { Scope } from '../auth/types.ts';
import { simulatorTokens } from '../simulator/index.ts';
import { oneLine, parseCommandArgs, usageError, wantsHelp } from './args.ts';
import { startMetricsListener } from '../metrics/endpoint.ts';
import { regenerateCommands, sameBranch } from '../catalog/site-comparison.ts';

const USAGE = `Usage: moodle-mcp serve [--config FILE] [--host HOST] [--port PORT]
       moodle-mcp serve --stdio [--profile P] [--config FILE]
  Runs the gateway: MCP over HTTP at /mcp, or over stdin/stdout for one local client (Claude Desktop, Claude Code)
  as the person whose Moodle token is in $MOODLE_TOKEN (with $MOODLE_URL; no store or encryption key needed).
  --config FILE   gateway config (default: $MOODLE_MCP_CONFIG, ./moodle-mcp.config.yaml, else the installation's)
  --host HOST     listen address (overrides server.host and $MOODLE_MCP_HOST)
  --port PORT     listen port, 0 for any free port (overrides server.port and $MOODLE_MCP_PORT)
  --stdio         serve one client over stdin/stdout instead of HTTP
  --profile P     the profile of the stdio connection (default: oauth.default_profile)`;

/** The port given on the command line, or a UsageError naming the option. */
function portOption(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw usageError(`--port must be an integer 0-65535, got "${raw}"`);
  return port;
}

/**
 * `moodle-mcp serve [--config FILE] [--host H] [--port P] [--stdio [--profile P]]`: the gateway over HTTP (`/mcp`), or
 * over stdio for one local client with the Moodle URL and token from the environment (MOODLE_URL, MOODLE_TOKEN).
 * A start-up failure is one line on stderr and exit code 1 (its stack only at logging.level debug or trace).
 */
export async function runServe(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    stdio: { type: 'boolean', default: false },
    profile: { type: 'string' },
  });
  const port = values.port === undefined ? undefined : portOption(values.port);
  if (values.stdio && (values.host !== undefined || port !== undefined)) throw usageError('--host and --port are for HTTP; --stdio listens on no port');
  // The command line overrides the config, at start and on every reload (SIGHUP). Port 0 (any free port) is picked
  // once, before start: the public URL (the OAuth issuer) is derived from it.
  let picked: number | undefined;
  const load = async () => {
    const config = await loadConfig(values.config);
    if (values.host !== undefined) config.server.host = values.host;
    if (port !== undefined) config.server.port = port;
    if (config.server.port === 0 && !values.stdio) config.server.port = picked ??= await freePort(config.server.host);
    return config;
  };
  const config = await load();
  try {
    return await start(config, load, values);
  } catch (error) {
    const debug = config.logging.level === 'debug' || config.logging.level === 'trace';
    console.error(`moodle-mcp serve: ${debug && error instanceof Error ? error.stack : oneLine(error)}`);
    return 1;
  }
}

/**
 * The banner's lines about the site: its release as last seen (kept across restarts) against the catalog's, with the
 * commands that regenerate when the branches differ; the function lists are compared when callers connect.
 */
export function siteLines(gateway: Pick<Gateway, 'siteRelease' | 'catalog' | 'moodleUrl'>): string[] {
  const release = gateway.siteRelease();
  const catalogRelease = gateway.catalog.catalog.moodle.release;
  const lines = release
    ? sameBranch(release, catalogRelease)
      ? [`  site: Moodle ${release} when last seen, the catalog's branch`]
      : [`  site: Moodle ${release} when last seen, but the catalog is from Moodle ${catalogRelease}: ${regenerateCommands(gateway.moodleUrl)}`]
    : [];
  return [...lines, "  the site's functions are compared with the catalog when a service's first caller connects (logged; `moodle-mcp doctor` checks a token now)"];
}

/** A port that is free on `host` now. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function start(config: GatewayConfig, load: () => Promise<GatewayConfig>, values: { stdio: boolean; profile?: string }): Promise<number> {
  const log = pino({ level: config.logging.level, base: { service: 'moodle-mcp' } }, pino.destination(2));
  const profile = values.profile ?? config.oauth.default_profile;
  if (values.stdio && !config.profiles[profile]) throw new Error(`--profile ${profile}: no such profile in the config (${Object.keys(config.profiles).join(', ') || 'none defined'})`);
  const gateway = await createGateway({ config, log, stdio: values.stdio });
  try {
    return await run(gateway, config, load, log, values);
  } catch (error) {
    await gateway.close();
    throw error;
  }
}

async function run(gateway: Gateway, config: GatewayConfig, load: () => Promise<GatewayConfig>, log: Logger, values: { stdio: boolean; profile?: string }): Promise<number> {
  const profile = values.profile ?? config.oauth.default_profile;
  const moodleLabel = gateway.simulated
    ? 'the built-in Moodle SIMULATOR (a test double with recorded Moodle 4.5.6 data; set moodle.url or MOODLE_URL for a real site)'
    : gateway.moodleUrl;

  if (values.stdio) {
    const token = process.env.MOODLE_TOKEN || (gateway.simulated ? simulatorTokens['emma.johansson'] : '');
    if (!token) throw new Error('MOODLE_TOKEN is not set (the Moodle token of the person using this stdio server)');
    const connection = await gateway.identify({
      id: 'stdio',
      authMethod: 'stdio',
      profile,
      scopes: config.profiles[profile].scopes as Scope[],
      moodleToken: token,
    });
    log.info({ moodle: moodleLabel, user: connection.moodleUser?.username, profile }, 'moodle-mcp: serving MCP over stdio');
    const { closed } = await serveStdio(gateway.serverDeps, { connection, clientIp: '127.0.0.1', requestId: randomUUID() });
    await closed;
    await gateway.close();
    return 0;
  }

  const server = serve({
    fetch: gateway.app.fetch,
    port: config.server.port,
    hostname: config.server.host,
    trustProxy: config.server.trust_proxy,
    silent: true,
  });
  await server.ready();
  const metrics = gateway.metrics;
  const metricsListener = metrics?.access.listen ? await startMetricsListener(metrics.registry, metrics.access) : undefined;
  const url = server.url ?? `http://${config.server.host}:${config.server.port}/`;
  const banner = [
    `moodle-mcp gateway listening on ${url.replace(/\/$/, '')}/mcp`,
    `  Moodle: ${moodleLabel}`,
    `  mode: ${config.mode}, policy ${gateway.policy.version}, ${gateway.catalog.functions.length} functions in the catalog (from Moodle ${gateway.catalog.catalog.moodle.release})`,
    ...(gateway.simulated ? [] : siteLines(gateway)),
    ...(metricsListener ? [`  metrics: ${metricsListener.url}${metrics?.access.token ? ' (bearer token required)' : ''}`] : []),
    ...(gateway.simulated
      ? ['  demo bearer keys (loopback only): demo-student (Emma Johansson), demo-teacher (David Lindqvist), demo-manager (Margaret Okafor)']
      : []),
  ];
  console.error(banner.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining calls in flight');
    await gateway.close();
    await server.close();
    await metricsListener?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading the policy and the config profiles');
    void (async () => {
      await gateway.policy.reload();
      try {
        const restartNeeded = gateway.reloadConfig(await load());
        if (restartNeeded.length > 0) log.warn({ sections: restartNeeded }, 'config reloaded: mode and profiles applied; these sections need a restart');
      } catch (error) {
        log.error({ error: (error as Error).message }, 'config reload failed: the previous profiles stay in force');
      }
    })();
  });
  await new Promise(() => {});
  return 0;
}
