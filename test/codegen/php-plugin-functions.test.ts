// The plugin's own functions, described from its PHP source (db/services.php, execute_parameters/returns) through the
// exporter, equal what the plugin exported on the real Moodle 4.5.6 for the resolver
// (runtime/simulator/data/local_moodlemcp-4.5.6.json, which the simulator serves): change the PHP, re-record the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PLUGIN_PATH, RESOLVER_FUNCTION } from '../../runtime/simulator/course-resolver.ts';

const hasPhp = spawnSync('php', ['--version']).status === 0;
const script = fileURLToPath(new URL('./php/describe-plugin.php', import.meta.url));

interface Described { type: string; description: string; ajax: boolean; loginrequired: boolean; capabilities: string; parameters: unknown; returns: unknown }

test('the resolver described from the PHP source equals the description recorded on the real Moodle', { skip: hasPhp ? false : 'php is not installed' }, () => {
  const described = JSON.parse(execFileSync('php', [script], { encoding: 'utf8' })) as Record<string, Described>;
  assert.deepEqual(Object.keys(described).sort(), ['local_moodlemcp_export_functions', RESOLVER_FUNCTION]);
  const recorded = (JSON.parse(readFileSync(PLUGIN_PATH, 'utf8')) as { functions: Array<Described & { name: string; capabilities: string[]; capabilities_raw: string }> })
    .functions.find((f) => f.name === RESOLVER_FUNCTION)!;
  const fromSource = described[RESOLVER_FUNCTION];
  assert.equal(JSON.stringify(fromSource.parameters), JSON.stringify(recorded.parameters));
  assert.equal(JSON.stringify(fromSource.returns), JSON.stringify(recorded.returns));
  assert.deepEqual(
    { type: fromSource.type, description: fromSource.description, ajax: fromSource.ajax, loginrequired: fromSource.loginrequired, capabilities: fromSource.capabilities },
    { type: 'read', description: recorded.description, ajax: false, loginrequired: true, capabilities: recorded.capabilities_raw },
  );
  // The export function stays a site administrator's function.
  assert.equal(described.local_moodlemcp_export_functions.capabilities, 'moodle/site:config');
});
