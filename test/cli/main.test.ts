import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [`${ROOT}bin/moodle-mcp.mjs`, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

test('an unknown option is a usage error: its message and exit code 2, no stack trace', () => {
  const result = cli('serve', '--bogus');
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /Unknown option '--bogus'/);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});
