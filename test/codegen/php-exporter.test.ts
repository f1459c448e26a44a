// The PHP exporter (codegen/moodle) against the snapshot: description objects rebuilt from every function of
// functions-4.5.6.json and described again must give the very same nodes (key order included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SNAPSHOT } from '../../codegen/sources/snapshot.ts';

const hasPhp = spawnSync('php', ['--version']).status === 0;
const script = fileURLToPath(new URL('./php/describe-snapshot.php', import.meta.url));

test('exporter::describe_node reproduces every node of the 4.5.6 snapshot', { skip: hasPhp ? false : 'php is not installed (scripts/setup.sh installs php-cli)' }, () => {
  const output = execFileSync('php', ['-d', 'memory_limit=1G', script, DEFAULT_SNAPSHOT], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const described = JSON.parse(output) as { functions: Record<string, { parameters: unknown; returns: unknown }>; param_types: Record<string, unknown> };
  const snapshot = JSON.parse(readFileSync(DEFAULT_SNAPSHOT, 'utf8')) as { functions: { name: string; parameters: unknown; returns: unknown }[]; param_types: Record<string, unknown> };
  assert.equal(Object.keys(described.functions).length, 759);
  for (const fn of snapshot.functions) {
    const again = described.functions[fn.name];
    assert.equal(JSON.stringify(again.parameters), JSON.stringify(fn.parameters), `${fn.name} parameters`);
    assert.equal(JSON.stringify(again.returns), JSON.stringify(fn.returns), `${fn.name} returns`);
  }
  assert.deepEqual(described.param_types, Object.fromEntries(Object.entries(snapshot.param_types).filter(([k]) => k in described.param_types)));
});
