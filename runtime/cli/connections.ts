import { cliKeyring, connectionsTable, type AuthCliDeps } from '../auth/cli-support.ts';
import { revokeConnection } from '../auth/revoke.ts';
import { createMoodleConnect } from '../moodle/connect.ts';
import { AuthError } from '../auth/errors.ts';
import { publicConnection } from '../auth/store/common.ts';
import type { AuthStore } from '../auth/store/types.ts';
import { cliError, parseCommandArgs, subcommand } from './args.ts';
import { cliAudit, cliConfig, cliStore, type CliAudit } from './support.ts';

const USAGE = `Usage: moodle-mcp connections list [--all] [--user MOODLE_USER_ID] [--json]
       moodle-mcp connections revoke ID
  Every API key and OAuth grant is a connection. Revoking one deletes its stored Moodle token and, for OAuth,
  every token of its grant. A token the local_moodlemcp plugin issued for the connection ("Sign in with Moodle")
  is deleted in Moodle too (revoke.php; if Moodle cannot be reached the gateway retries at its next start). A token
  from a password sign-in or a paste stays valid in Moodle (a person's such grants share one): it is reset in
  Moodle (Preferences > Security keys) or deleted there (Site administration > Server > Web services > Manage
  tokens). --all includes revoked ones. --config FILE picks the gateway config.`;

/** `moodle-mcp connections list|revoke`; returns the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runConnectionsCommand(argv: string[], deps: AuthCliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const picked = subcommand('connections', argv, ['list', 'revoke'], USAGE, stderr, stdout);
  if (typeof picked === 'number') return picked;
  const { sub, rest } = picked;
  let store: AuthStore | undefined;
  let own = false;
  let audit: CliAudit | undefined;
  try {
    const { values, positionals } = parseCommandArgs(
      rest,
      { config: { type: 'string' }, all: { type: 'boolean', default: false }, user: { type: 'string' }, json: { type: 'boolean', default: false } },
      sub === 'revoke',
    );
    if (sub === 'revoke' && positionals.length !== 1) throw new AuthError('invalid_request', 'connections revoke: give exactly one connection id (see connections list)');
    if (values.user !== undefined && !/^\d+$/.test(values.user)) throw new AuthError('invalid_request', '--user: a Moodle user id (digits)');
    const config = await cliConfig(deps, values.config);
    ({ store, own } = await cliStore(deps, config));
    if (sub === 'list') {
      const rows = await store.listConnections({ includeRevoked: values.all, moodleUserId: values.user ? Number(values.user) : undefined });
      if (values.json) stdout.write(`${JSON.stringify(rows.map(publicConnection), null, 2)}\n`);
      else stdout.write(rows.length ? `${connectionsTable(rows)}\n` : 'no connections\n');
    } else {
      const id = positionals[0];
      if (!(await store.getConnection(id))) throw new AuthError('not_found', `connections revoke: no connection ${id} (see connections list)`);
      audit = await cliAudit(deps, config);
      const log = audit;
      const url = (deps.env ?? process.env).MOODLE_URL || config.moodle.url;
      const connect = url ? createMoodleConnect({ url, fetch: deps.moodleFetch, timeoutMs: config.moodle.timeout_ms }) : undefined;
      const { before, moodle } = await revokeConnection(
        // The key ring is opened only for a plugin-issued token (the only one revoke.php is asked about).
        { store, get keyring() { return cliKeyring(deps, config); }, revokeInMoodle: connect && ((token) => connect.revoke(token)), audit: (rec) => log.record({ timestamp: new Date().toISOString(), ...rec }) },
        id,
        { detail: 'cli' },
      );
      stdout.write(before ? `revoked ${id}\n` : `${id} was already revoked\n`);
      if (moodle === 'revoked' || moodle === 'unknown') stdout.write(`its Moodle token (issued by local_moodlemcp) is deleted in Moodle\n`);
      if (moodle === 'failed') {
        stderr.write(`${id}: Moodle could not be asked to delete its token (revoke.php); the gateway retries at its next start\n`);
        return 1;
      }
    }
    return 0;
  } catch (error) {
    return cliError(error, stderr, USAGE);
  } finally {
    await audit?.close();
    if (own) await store?.close();
  }
}
