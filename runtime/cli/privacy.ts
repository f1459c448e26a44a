import { AuditError } from '../audit/errors.ts';
import { parseSubject, type AuditSubject } from '../audit/export.ts';
import { eraseUserData, exportUserData, type PrivacyStore } from '../audit/privacy.ts';
import { AUDIT_CLI_ERRORS, fileSinkPath, openOutput } from '../audit/cli-support.ts';
import type { GatewayConfig } from '../config/index.ts';
import { cliError, parseCommandArgs, subcommand } from './args.ts';
import { cliAudit, cliConfig, cliStore, type CliAudit, type CliDeps } from './support.ts';

const USAGE = `Usage: moodle-mcp privacy export --user U [--out FILE]
       moodle-mcp privacy erase  --user U --yes
  --user U        Moodle user id (digits) or username;  --username U  forces a username
  --config FILE   gateway config (default moodle-mcp.config.yaml or $MOODLE_MCP_CONFIG)
  --file PATH     audit file sink (default: the file sink in the config); rotated PATH.N files included
  --no-store      leave the connection store out (audit files only)
  --out FILE      export: write the JSON there (mode 0600) instead of stdout
  --yes           erase: confirm (irreversible)
Both operations are recorded in the audit trail (privacy.export names the person; privacy.erase holds only a
random reference, printed here for your request ticket, and counts).`;

export interface PrivacyDeps extends CliDeps {
  /** The connection store; default: opened from the config's `store` section. Not closed by the command. */
  store?: PrivacyStore & { close?(): Promise<void> };
}

/** `moodle-mcp privacy export|erase …`; returns the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runPrivacyCommand(argv: string[], deps: PrivacyDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const picked = subcommand('privacy', argv, ['export', 'erase'], USAGE, stderr, stdout);
  if (typeof picked === 'number') return picked;
  const { sub, rest } = picked;
  let opened: { store: NonNullable<PrivacyDeps['store']>; own: boolean } | undefined;
  let audit: CliAudit | undefined;
  try {
    const { values } = parseCommandArgs(rest, {
      user: { type: 'string' },
      username: { type: 'string' },
      config: { type: 'string' },
      file: { type: 'string' },
      'no-store': { type: 'boolean', default: false },
      out: { type: 'string' },
      yes: { type: 'boolean', default: false },
    });
    let subject: AuditSubject;
    if (values.user && values.username) throw new AuditError('--user and --username: give only one');
    if (values.user) subject = parseSubject(values.user);
    else if (values.username?.trim()) subject = { username: values.username.trim() };
    else throw new AuditError('--user: required (Moodle user id or username)');
    if (sub === 'erase' && !values.yes) throw new AuditError('--yes: erase is irreversible; add --yes to confirm');
    if (sub === 'export' && values.yes) throw new AuditError('--yes: only for erase');

    const needConfig = !values.file || (!values['no-store'] && !deps.store) || !deps.audit;
    let config: GatewayConfig | undefined;
    if (needConfig) {
      try {
        config = await cliConfig(deps, values.config);
      } catch (error) {
        // With --file, --no-store and an injected audit nothing else is needed; otherwise the config is.
        if (!values.file || values.config) throw error;
        stderr.write(`privacy: config not loaded (${(error as Error).message.split('\n')[0]}); using --file only\n`);
      }
    }
    const file = values.file ?? (config ? fileSinkPath(config) : undefined);
    if (!file) stderr.write('privacy: no audit file sink configured; audit records in other sinks (SIEM, syslog) must be handled there\n');
    audit = await cliAudit(deps, config, { file, requiredFor: 'privacy operation' });
    if (!values['no-store']) {
      if (!config && !deps.store) throw new AuditError('store: no store section in the config; pass --no-store to handle audit files only');
      opened = await cliStore(deps, config!); // config is loaded unless a store was injected (checked above)
    }
    const store = opened?.store;

    if (sub === 'export') {
      const data = await exportUserData(subject, { auditFile: file, store, audit });
      const output = await openOutput(values.out, stdout);
      output.out.write(`${JSON.stringify(data, null, 2)}\n`);
      await output.done();
      stderr.write(`privacy export: ${data.audit_records.length} audit record(s)${store ? ' and store data' : ''}\n`);
    } else {
      const result = await eraseUserData(subject, { auditFile: file, store, audit });
      stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      stderr.write(`privacy erase: done; reference ${result.reference} (keep it with the request)\n`);
    }
    const closing = audit;
    audit = undefined;
    const dropped = await closing.close();
    if (Object.values(dropped).reduce((a, b) => a + b, 0) > 0) {
      stderr.write(`privacy: the ${sub} was done but its audit record could not be written to every sink (${JSON.stringify(dropped)})\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    return cliError(error, stderr, USAGE, AUDIT_CLI_ERRORS);
  } finally {
    await audit?.close();
    if (opened?.own) await opened.store.close?.();
  }
}
