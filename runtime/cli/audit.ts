import { AuditError } from '../audit/errors.ts';
import { exportAudit, parseSubject, parseTime, type AuditFilter } from '../audit/export.ts';
import { DECISIONS } from '../audit/sanitize.ts';
import type { AuditDecision } from '../audit/types.ts';
import { AUDIT_CLI_ERRORS, fileSinkPath, openOutput } from '../audit/cli-support.ts';
import { cliError, parseCommandArgs, subcommand } from './args.ts';
import { cliConfig, type CliDeps } from './support.ts';

const USAGE = `Usage: moodle-mcp audit export [options]
  --file PATH        audit file sink (default: the file sink in the config); rotated PATH.N files are read too
  --config FILE      gateway config (default moodle-mcp.config.yaml or $MOODLE_MCP_CONFIG)
  --since T          ISO date/time or a duration ago (30m, 24h, 7d)
  --until T          same forms
  --user U           Moodle user id (digits) or username
  --username U       username, even if it is all digits
  --decision D       allowed | denied | error
  --format F         csv (default) | jsonl
  --bom              start CSV with a UTF-8 byte order mark (for Excel)
  --out FILE         write there (mode 0600) instead of stdout`;

/** `moodle-mcp audit export …`; returns the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runAuditCommand(argv: string[], deps: CliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const picked = subcommand('audit', argv, ['export'], USAGE, stderr, stdout);
  if (typeof picked === 'number') return picked;
  try {
    const { values } = parseCommandArgs(picked.rest, {
      file: { type: 'string' },
      config: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      user: { type: 'string' },
      username: { type: 'string' },
      decision: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      bom: { type: 'boolean', default: false },
      out: { type: 'string' },
    });
    const now = new Date();
    const filter: AuditFilter = {};
    if (values.since) filter.since = parseTime(values.since, '--since', now);
    if (values.until) filter.until = parseTime(values.until, '--until', now);
    if (values.user && values.username) throw new AuditError('--user and --username: give only one');
    if (values.user) filter.user = parseSubject(values.user);
    if (values.username) filter.user = { username: values.username };
    if (values.decision) {
      if (!DECISIONS.includes(values.decision as AuditDecision)) throw new AuditError(`--decision: must be ${DECISIONS.slice(0, -1).join(', ')} or ${DECISIONS.at(-1)}`);
      filter.decision = values.decision as AuditDecision;
    }
    if (values.format !== 'csv' && values.format !== 'jsonl') throw new AuditError('--format: must be csv or jsonl');
    const file = values.file ?? fileSinkPath(await cliConfig(deps, values.config));
    if (!file) throw new AuditError('--file: no file sink in the config (audit.sinks); pass --file PATH');
    const output = await openOutput(values.out, stdout);
    const result = await exportAudit({ ...filter, file, format: values.format, out: output.out, bom: values.bom });
    await output.done();
    stderr.write(`audit export: ${result.records} record(s)${result.malformed ? `, ${result.malformed} malformed line(s) skipped` : ''}\n`);
    return 0;
  } catch (error) {
    return cliError(error, stderr, USAGE, AUDIT_CLI_ERRORS);
  }
}
