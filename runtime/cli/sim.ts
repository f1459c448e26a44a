/**
 * `moodle-mcp sim [--port 8081] [--host 127.0.0.1] [--debug] [--resolver-plugin]`: runs the Moodle simulator (a TEST DOUBLE, not Moodle)
 * (with --resolver-plugin: as a site with the local_moodlemcp plugin's resolver in the service) and prints its URL, the demo users with their tokens, and the demo password. Resolves with 0 when stopped (SIGINT/SIGTERM).
 */
import { startSimulator } from '../simulator/index.ts';
import { loadSimulatorData } from '../simulator/data.ts';
import { wantsHelp } from './args.ts';

const USAGE = `Usage: moodle-mcp sim [--port 8081] [--host 127.0.0.1] [--debug] [--resolver-plugin]
  Runs the Moodle simulator (a test double with recorded Moodle 4.5.6 data, not Moodle) and prints its URL,
  the demo users' tokens and their password. --debug logs every request. --resolver-plugin simulates a site with
  the local_moodlemcp plugin's course resolver (local_moodlemcp_resolve_courses) in the service. Its answers carry the
  URL each request reached (site info's siteurl, file URLs), not the recorded site's.`;

export async function runSim(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const options = parseArgs(argv);
  if (typeof options === 'string') {
    console.error(`moodle-mcp sim: ${options}\n${USAGE}`);
    return 2;
  }
  // Answers carry the URL each request reached (site info's siteurl, file URLs), so a gateway pointed at this
  // simulator reads the files it lists.
  const running = await startSimulator({ ...options, siteUrl: 'request' });
  const { site } = loadSimulatorData();
  const roleOf = new Map(Object.entries(site.token_roles).map(([role, u]) => [u.username, role]));
  const demo = Object.keys(site.users).filter((u) => roleOf.has(u));
  const lines = [
    `Moodle simulator listening on ${running.url}`,
    'This is a TEST DOUBLE of Moodle 4.5.6 (recorded answers, seeded site data, otherwise minimal answers built from the',
    'function descriptions). It is not Moodle: never use it for real data.',
    '',
    `REST:  ${running.url}/webservice/rest/server.php    token login: ${running.url}/login/token.php (service "${running.simulator.service}")`,
    `Every seeded user's password: ${running.simulator.password}`,
    ...(options.resolverPlugin ? ['The local_moodlemcp resolver (local_moodlemcp_resolve_courses) is installed and in the service.'] : []),
    '',
    'Demo users and their simulator tokens:',
    ...demo.map((u) => `  ${(roleOf.get(u) ?? '').padEnd(9)} ${u.padEnd(16)} ${running.simulator.tokens[u]}`),
    `  (and ${Object.keys(site.users).length - demo.length} more seeded students; tokens: sha256("moodle-mcp-simulator:token:<username>"), first 32 hex digits)`,
  ];
  console.log(lines.join('\n'));
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running.close().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parseArgs(argv: string[]): { port: number; host: string; debug: boolean; resolverPlugin: boolean } | string {
  const options = { port: 8081, host: '127.0.0.1', debug: false, resolverPlugin: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--debug') options.debug = true;
    else if (arg === '--resolver-plugin') options.resolverPlugin = true;
    else if (arg === '--port' || arg === '--host') {
      const value = argv[++i];
      if (value === undefined) return `${arg} needs a value`;
      if (arg === '--host') options.host = value;
      else {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) return `--port must be an integer 0-65535, got "${value}"`;
        options.port = port;
      }
    } else return `unknown option "${arg}"`;
  }
  return options;
}
