import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { AuditError } from '../../runtime/audit/errors.ts';
import { AUDIT_CLI_ERRORS } from '../../runtime/audit/cli-support.ts';
import { AuthError } from '../../runtime/auth/errors.ts';
import { cliError, parseCommandArgs, subcommand } from '../../runtime/cli/args.ts';
import { ConfigError } from '../../runtime/config/index.ts';

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _encoding, callback) { text += chunk; callback(); } });
  return { stream, text: () => text };
}

test('subcommand: a known one with the rest; --help anywhere is 0 (usage on stdout), nothing or an unknown one is 2 (usage on stderr)', () => {
  const none = sink();
  assert.deepEqual(subcommand('keys', ['list', '--all'], ['create', 'list'], 'USAGE', none.stream), { sub: 'list', rest: ['--all'] });
  assert.equal(none.text(), '');
  for (const argv of [['--help'], ['-h'], ['help'], ['list', '--help'], ['create', '--name', 'x', '-h']]) {
    const help = sink();
    const errors = sink();
    assert.equal(subcommand('keys', argv, ['create', 'list'], 'USAGE', errors.stream, help.stream), 0, argv.join(' '));
    assert.equal(help.text(), 'USAGE\n');
    assert.equal(errors.text(), '');
  }
  // After "--" it is an argument, not a request for help.
  assert.deepEqual(subcommand('keys', ['list', '--', '--help'], ['list'], 'USAGE', none.stream), { sub: 'list', rest: ['--', '--help'] });
  const missing = sink();
  assert.equal(subcommand('keys', [], ['list'], 'USAGE', missing.stream), 2);
  assert.equal(missing.text(), 'USAGE\n');
  const bogus = sink();
  assert.equal(subcommand('keys', ['bogus'], ['list'], 'USAGE', bogus.stream), 2);
  assert.equal(bogus.text(), 'keys: unknown subcommand "bogus"\n\nUSAGE\n');
});

test('cliError: usage errors exit 2 with the usage, a ConfigError prints its message, other failures exit 1', () => {
  const report = (error: unknown, style = {}) => {
    const err = sink();
    return { code: cliError(error, err.stream, 'USAGE', style), text: err.text() };
  };
  let unknownOption: unknown;
  try {
    parseCommandArgs(['--bogus'], {});
  } catch (error) {
    unknownOption = error;
  }
  assert.match((unknownOption as Error).message, /^Unknown option '--bogus'/);
  assert.deepEqual(report(unknownOption), { code: 2, text: `${(unknownOption as Error).message}\n\nUSAGE\n` });
  assert.deepEqual(report(new AuthError('invalid_request', '--name: required')), { code: 2, text: '--name: required\n\nUSAGE\n' });
  const config = new ConfigError('x.yaml', [{ path: 'mode', message: 'bad' }]);
  assert.deepEqual(report(config), { code: 1, text: `${config.message}\n` });
  assert.deepEqual(report(new AuditError('audit.webhook: missing')), { code: 1, text: 'audit.webhook: missing\n' });
  assert.deepEqual(report(new Error('disk full')), { code: 1, text: 'disk full\n' });

  // audit and privacy: an AuditError is bad input, a ConfigError exits 2, other failures say "error:".
  assert.deepEqual(report(new AuditError('--since: bad'), AUDIT_CLI_ERRORS), { code: 2, text: '--since: bad\n\nUSAGE\n' });
  assert.deepEqual(report(config, AUDIT_CLI_ERRORS), { code: 2, text: `${config.message}\n` });
  assert.deepEqual(report(new Error('disk full'), AUDIT_CLI_ERRORS), { code: 1, text: 'error: disk full\n' });
});
