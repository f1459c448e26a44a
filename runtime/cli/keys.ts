import { readFileSync } from 'node:fs';
import { cliGetSiteInfo, cliKeyring, connectionsTable, type AuthCliDeps } from '../auth/cli-support.ts';
import { AuthError } from '../auth/errors.ts';
import { createApiKey } from '../auth/keys.ts';
import { parseScopes } from '../auth/scopes.ts';
import { publicConnection } from '../auth/store/common.ts';
import type { AuthStore } from '../auth/store/types.ts';
import { cliError, parseCommandArgs, subcommand } from './args.ts';
import { cliAudit, cliConfig, cliStore, type CliAudit } from './support.ts';

const USAGE = `Usage: moodle-mcp keys create --name N --profile P [--scopes api.read,api.write] (--token-env VAR | --token-file PATH) [--expires-days D]
       moodle-mcp keys list [--all] [--json]
       moodle-mcp keys revoke ID
  The Moodle token is read from an environment variable or a file, never from the command line (shell history, ps).
  The key is printed once; only its SHA-256 hash and display prefix are stored. Site-admin tokens are refused
  unless moodle.allow_site_admin_tokens is true. --config FILE picks the gateway config.`;

/** `moodle-mcp keys create|list|revoke`; returns the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runKeysCommand(argv: string[], deps: AuthCliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const env = deps.env ?? process.env;
  const picked = subcommand('keys', argv, ['create', 'list', 'revoke'], USAGE, stderr, stdout);
  if (typeof picked === 'number') return picked;
  const { sub, rest } = picked;
  let store: AuthStore | undefined;
  let own = false;
  let audit: CliAudit | undefined;
  try {
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        config: { type: 'string' },
        name: { type: 'string' },
        profile: { type: 'string' },
        scopes: { type: 'string' },
        'token-env': { type: 'string' },
        'token-file': { type: 'string' },
        token: { type: 'string' },
        'expires-days': { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      sub === 'revoke',
    );
    if (values.token !== undefined) throw new AuthError('invalid_request', '--token: refused; pass the Moodle token with --token-env VAR or --token-file PATH');
    if (sub === 'revoke' && positionals.length !== 1) throw new AuthError('invalid_request', 'keys revoke: give exactly one key id (see keys list)');

    let moodleToken = '';
    let expiresAt: Date | undefined;
    if (sub === 'create') {
      if (!values.name) throw new AuthError('invalid_request', '--name: required');
      if (!values.profile) throw new AuthError('invalid_request', '--profile: required');
      if (!!values['token-env'] === !!values['token-file']) throw new AuthError('invalid_request', 'give exactly one of --token-env VAR or --token-file PATH');
      if (values['token-env']) {
        moodleToken = env[values['token-env']]?.trim() ?? '';
        if (!moodleToken) throw new AuthError('invalid_request', `--token-env: environment variable ${values['token-env']} is not set or empty`);
      } else {
        try {
          moodleToken = readFileSync(values['token-file']!, 'utf8').trim();
        } catch (err) {
          throw new AuthError('invalid_request', `--token-file: cannot read ${values['token-file']} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        if (!moodleToken) throw new AuthError('invalid_request', `--token-file: ${values['token-file']} is empty`);
      }
      if (values['expires-days'] !== undefined) {
        const days = Number(values['expires-days']);
        if (!Number.isFinite(days) || days <= 0) throw new AuthError('invalid_request', '--expires-days: must be a positive number');
        expiresAt = new Date(Date.now() + days * 86_400_000);
      }
    }

    const config = await cliConfig(deps, values.config);
    ({ store, own } = await cliStore(deps, config));
    audit = await cliAudit(deps, config);
    const record = (event: 'auth.key.created' | 'auth.key.revoked', c: { id: string; profile: string; moodleUser?: { id: number; username: string } }) =>
      audit!.record({ event, timestamp: new Date().toISOString(), connection_id: c.id, moodle_user_id: c.moodleUser?.id, moodle_username: c.moodleUser?.username, auth_method: 'apikey', status: 200, detail: `cli, profile ${c.profile}` });

    if (sub === 'create') {
      const { key, record: created } = await createApiKey({
        store,
        keyring: cliKeyring(deps, config),
        name: values.name!,
        profile: values.profile!,
        profiles: config.profiles,
        scopes: values.scopes ? parseScopes(values.scopes, '--scopes') : undefined,
        moodleToken,
        getSiteInfo: await cliGetSiteInfo(deps, config),
        allowSiteAdmin: config.moodle.allow_site_admin_tokens || config.profiles[values.profile!]?.allow_site_admin === true,
        expiresAt,
      });
      record('auth.key.created', created);
      stdout.write(`${key}\n`);
      stderr.write(
        `keys: created ${created.id} (${created.keyPrefix}…) for Moodle user ${created.moodleUser?.username}, profile ${created.profile}, scopes ${created.scopes.join(' ')}.\n` +
          'This is the only time the key is shown: store it in your agent\'s secret store now.\n',
      );
    } else if (sub === 'list') {
      const rows = await store.listConnections({ kind: 'apikey', includeRevoked: values.all });
      if (values.json) stdout.write(`${JSON.stringify(rows.map(publicConnection), null, 2)}\n`);
      else stdout.write(rows.length ? `${connectionsTable(rows)}\n` : 'no API keys\n');
    } else {
      const id = positionals[0];
      const existing = await store.getConnection(id);
      if (!existing || existing.kind !== 'apikey') throw new AuthError('not_found', `keys revoke: no API key ${id} (see keys list)`);
      const revoked = await store.revokeConnection(id);
      if (revoked) record('auth.key.revoked', revoked);
      stdout.write(revoked ? `revoked ${id}\n` : `${id} was already revoked\n`);
    }
    return 0;
  } catch (error) {
    return cliError(error, stderr, USAGE);
  } finally {
    await audit?.close();
    if (own) await store?.close();
  }
}
