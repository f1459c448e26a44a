/**
 * `moodle-mcp <command>`: one file per command under runtime/cli/, loaded on demand.
 */
import { oneLine } from './args.ts';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  serve: { summary: 'run the gateway (HTTP at /mcp; --stdio for a single local client)', run: async (a) => (await import('./serve.ts')).runServe(a) },
  sim: { summary: 'run the Moodle simulator alone (a test double)', run: async (a) => (await import('./sim.ts')).runSim(a) },
  doctor: { summary: 'check the Moodle URL and token, and the functions its service enables', run: async (a) => (await import('./doctor-command.ts')).runDoctorCommand(a) },
  policy: { summary: 'policy explain | policy diff <git-ref>', run: async (a) => (await import('./policy.ts')).runPolicyCommand(a) },
  keys: { summary: 'keys create | list | revoke: API keys for headless agents', run: async (a) => (await import('./keys.ts')).runKeysCommand(a) },
  connections: { summary: 'connections list | revoke', run: async (a) => (await import('./connections.ts')).runConnectionsCommand(a) },
  audit: { summary: 'audit export: records from the file sink as CSV or JSON lines', run: async (a) => (await import('./audit.ts')).runAuditCommand(a) },
  privacy: { summary: 'privacy export | erase --user U (GDPR)', run: async (a) => (await import('./privacy.ts')).runPrivacyCommand(a) },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: moodle-mcp <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command answers --help. Configuration: --config FILE, $MOODLE_MCP_CONFIG, ./moodle-mcp.config.yaml,',
    "or else the installation's moodle-mcp.config.yaml. MOODLE_MCP_DEBUG=1 prints stack traces of failures.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`moodle-mcp: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // Bad options (UsageError from args.ts) exit 2 like the other usage errors above; a bad config exits 1.
    // One line; the stack only with MOODLE_MCP_DEBUG=1 (serve also prints it at logging.level debug).
    const known = error instanceof Error && (error.name === 'UsageError' || error.name === 'ConfigError');
    console.error(known ? error.message : process.env.MOODLE_MCP_DEBUG && error instanceof Error ? error.stack : `moodle-mcp: ${oneLine(error)}`);
    process.exitCode = known && error.name === 'UsageError' ? 2 : 1;
  },
);
