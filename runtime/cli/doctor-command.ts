/**
 * `moodle-mcp doctor [--config FILE] [--url URL]`: checks Moodle and the token in $MOODLE_TOKEN (never an argument:
 * it would show in the process list and shell history) against the generated catalog, and prints what to fix.
 */
import { loadCatalog } from '../catalog/index.ts';
import { loadConfig } from '../config/index.ts';
import { parseCommandArgs, wantsHelp } from './args.ts';
import { formatDoctorReport, runDoctor } from './doctor.ts';

const USAGE = `Usage: MOODLE_TOKEN=… moodle-mcp doctor [--url URL] [--config FILE]
  Checks that Moodle is reachable, the token in $MOODLE_TOKEN is valid and not a site administrator's, the Moodle
  release, and which functions the token's service enables compared with the generated catalog.
  --url URL       Moodle base URL (default: moodle.url in the config, or $MOODLE_URL)
  --config FILE   gateway config (default ./moodle-mcp.config.yaml, $MOODLE_MCP_CONFIG, or the installation's)`;

export async function runDoctorCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const { values } = parseCommandArgs(argv, { config: { type: 'string' }, url: { type: 'string' } });
  const config = await loadConfig(values.config);
  const moodleUrl = values.url ?? config.moodle.url;
  if (!moodleUrl) {
    console.error('doctor: no Moodle URL (set moodle.url in the config, MOODLE_URL, or --url). Without one the gateway uses its simulator.');
    return 2;
  }
  const token = process.env.MOODLE_TOKEN;
  if (!token) {
    console.error('doctor: set MOODLE_TOKEN to the token to check (a person\'s token for the configured service)');
    return 2;
  }
  const catalog = await loadCatalog();
  const report = await runDoctor({
    moodleUrl,
    token,
    catalogFunctions: catalog.functions.map((f) => f.name),
    catalogRelease: catalog.catalog.moodle.release,
    allowSiteAdmin: config.moodle.allow_site_admin_tokens,
    timeoutMs: config.moodle.timeout_ms,
  });
  console.log(formatDoctorReport(report));
  return report.ok ? 0 : 1;
}
