// The README's Claude Desktop recipe, exactly as written: the JSON snippet is read from README.md, only the
// placeholders are filled in (installation path, Moodle URL, token), and the gateway is started from another
// directory that holds a leftover ./data from a demo (a store and a development key it must not touch).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, simulatorTokens, type RunningSimulator } from '../../runtime/simulator/index.ts';
import { ROOT } from '../helpers/gateway.ts';
import { siteInfoOverStdio } from '../helpers/mcp-client.ts';

interface DesktopConfig {
  mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
}

/** The JSON block after "claude_desktop_config.json" in the README. */
function readmeSnippet(): DesktopConfig {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /claude_desktop_config\.json[^\n]*\n+```json\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(m, 'README.md has the Claude Desktop snippet');
  return JSON.parse(m[1]) as DesktopConfig;
}

let sim: RunningSimulator;
const elsewhere = mkdtempSync(join(tmpdir(), 'mmcp-desktop-'));
before(async () => {
  sim = await startSimulator({ port: 0 });
  // A leftover demo ./data: a development key other than any the gateway would make, and a store sealed with it.
  mkdirSync(join(elsewhere, 'data'));
  writeFileSync(join(elsewhere, 'data', 'dev-encryption.key'), `${Buffer.alloc(32, 7).toString('base64')}\n`);
  writeFileSync(join(elsewhere, 'data', 'auth-store.json'), '{"not":"a store this gateway can read"');
});
after(async () => {
  await sim.close();
  rmSync(elsewhere, { recursive: true, force: true });
});

test('the README stdio snippet works as written from another directory with only MOODLE_URL and MOODLE_TOKEN', async () => {
  const [server] = Object.values(readmeSnippet().mcpServers);
  assert.deepEqual(Object.keys(server.env).sort(), ['MOODLE_TOKEN', 'MOODLE_URL'], 'the snippet needs nothing else');
  const fill = (value: string) => value.replace('/path/to/moodle-mcp/', ROOT).replace('https://moodle.example.edu', sim.url).replace('…', simulatorTokens['emma.johansson']);
  const stderr = await siteInfoOverStdio(
    {
      // Claude Desktop runs `node` from PATH; the test runs the same Node binary.
      command: server.command === 'node' ? process.execPath : server.command,
      args: server.args.map(fill),
      env: Object.fromEntries(Object.entries(server.env).map(([k, v]) => [k, fill(v)])),
      cwd: elsewhere,
    },
    'emma.johansson',
    'claude-desktop-like',
  );
  assert.match(stderr, /serving MCP over stdio/);
  assert.doesNotMatch(stderr, /oidc-provider/, 'stdio loads no OAuth');
  assert.equal(readFileSync(join(elsewhere, 'data', 'auth-store.json'), 'utf8'), '{"not":"a store this gateway can read"', 'the leftover store is not touched');
});
