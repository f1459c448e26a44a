import { serve } from 'srvx';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../config/index.ts';
import { createGateway } from '../gateway/create.ts';
import { serveStdio } from '../mcp/stdio.ts';
import type { Scope } from '../auth/types.ts';
import { simulatorTokens } from '../simulator/index.ts';
import { parseCommandArgs } from './args.ts';

/**
 * `moodle-mcp serve [--config FILE] [--stdio [--profile P]]`: the gateway over HTTP (`/mcp`), or over stdio for one
 * local client with the Moodle URL and token from the environment (MOODLE_URL, MOODLE_TOKEN).
 */
export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string' },
    stdio: { type: 'boolean', default: false },
    profile: { type: 'string' },
  });
  const config = await loadConfig(values.config);
  const log = pino({ level: config.logging.level, base: { service: 'moodle-mcp' } }, pino.destination(2));
  const gateway = await createGateway({ config, log, stdio: values.stdio });
  const moodleLabel = gateway.simulated
    ? 'the built-in Moodle SIMULATOR (a test double with recorded Moodle 4.5.6 data; set moodle.url or MOODLE_URL for a real site)'
    : gateway.moodleUrl;

  if (values.stdio) {
    const profile = values.profile ?? config.oauth.default_profile;
    if (!config.profiles[profile]) throw new Error(`--profile ${profile}: no such profile in the config`);
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
  const url = server.url ?? `http://${config.server.host}:${config.server.port}/`;
  const banner = [
    `moodle-mcp gateway listening on ${url.replace(/\/$/, '')}/mcp`,
    `  Moodle: ${moodleLabel}`,
    `  mode: ${config.mode}, policy ${gateway.policy.version}, ${gateway.catalog.functions.length} functions in the catalog`,
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
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading the policy and the config profiles');
    void (async () => {
      await gateway.policy.reload();
      try {
        const restartNeeded = gateway.reloadConfig(await loadConfig(values.config));
        if (restartNeeded.length > 0) log.warn({ sections: restartNeeded }, 'config reloaded: mode and profiles applied; these sections need a restart');
      } catch (error) {
        log.error({ error: (error as Error).message }, 'config reload failed: the previous profiles stay in force');
      }
    })();
  });
  await new Promise(() => {});
  return 0;
}
