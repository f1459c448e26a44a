// The npm package: `npm pack` (which builds dist/ through `prepack`) → `npm install -g` into a temporary prefix →
// the installed `moodle-mcp` command runs compiled JavaScript (no tsx, no TypeScript sources in the package) and serves
// MCP over stdio from an unrelated working directory. Moodle: the simulator over HTTP (a test double).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, simulatorTokens, type RunningSimulator } from '../../runtime/simulator/index.ts';
import { ROOT } from '../helpers/gateway.ts';
import { siteInfoOverStdio } from '../helpers/mcp-client.ts';

const work = mkdtempSync(join(tmpdir(), 'mmcp-pack-'));
const prefix = join(work, 'prefix');
const elsewhere = join(work, 'elsewhere');
let tarball = '';
let files: string[] = [];
let sim: RunningSimulator;

/** npm without the test runner's own settings leaking into the child (a clean environment, like a user's shell). */
function npm(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.MOODLE_MCP_FROM_SOURCE;
  delete env.NODE_ENV;
  // npm from the same Node installation as the one running the tests (Node 20 or 24).
  const npmCli = join(process.execPath, '../../lib/node_modules/npm/bin/npm-cli.js');
  const command = existsSync(npmCli) ? [process.execPath, npmCli] : ['npm'];
  return spawnSync(command[0]!, [...command.slice(1), ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
}

before(async () => {
  sim = await startSimulator({ port: 0 });
  const packed = npm(['pack', '--json', '--pack-destination', work, '--loglevel=error'], ROOT);
  assert.equal(packed.status, 0, packed.stderr);
  const info = JSON.parse(packed.stdout)[0] as { filename: string; files: { path: string }[] };
  tarball = join(work, info.filename);
  files = info.files.map((f) => f.path);
  const installed = npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], work);
  assert.equal(installed.status, 0, installed.stderr);
});
after(async () => {
  await sim?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the tarball carries the compiled code, the generated catalog and the compiled policy, and no TypeScript', () => {
  for (const path of ['bin/moodle-mcp.mjs', 'dist/runtime/cli/main.js', 'dist/generated/catalog.json', 'dist/runtime/simulator/data/site-4.5.6.json', 'policies/build/policy.wasm', 'policies/build/manifest.json', 'policies/moodle_mcp.rego', 'moodle-mcp.config.yaml']) {
    assert.ok(files.includes(path), `${path} is in the package`);
  }
  assert.ok(files.some((f) => f.startsWith('dist/generated/schemas/')), 'the JSON Schemas');
  // Every data file the runtime reads next to its modules (messages, simulator data, migrations, vocabularies...).
  const runtimeData = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? runtimeData(`${dir}/${e.name}`) : e.name.endsWith('.ts') || e.name === 'README.md' ? [] : [`${dir}/${e.name}`],
    );
  const data = runtimeData('runtime');
  assert.ok(data.length >= 5, data.join(', '));
  assert.deepEqual(data.filter((f) => !files.includes(`dist/${f}`)), [], 'runtime data files missing from dist/');
  assert.deepEqual(files.filter((f) => f.endsWith('.ts')), [], 'no TypeScript source');
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/') || f.startsWith('codegen/')));
});

test('the installed command runs the compiled code: --help from any directory, without tsx installed', () => {
  const installRoot = join(prefix, 'lib/node_modules/moodle-mcp');
  assert.ok(!existsSync(join(installRoot, 'node_modules/tsx')), 'tsx is a dev dependency only');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
  delete env.MOODLE_MCP_FROM_SOURCE;
  const help = spawnSync(join(prefix, 'bin/moodle-mcp'), ['--help'], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout + help.stderr, /serve/);
});

test('moodle-mcp policy explain from the global install finds the installed policy (not one under dist/)', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
  delete env.MOODLE_MCP_FROM_SOURCE;
  delete env.MOODLE_MCP_CONFIG;
  const explained = spawnSync(join(prefix, 'bin/moodle-mcp'), ['policy', 'explain', '--profile', 'default', '--function', 'core_webservice_get_site_info'], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(explained.status, 0, explained.stderr);
  assert.match(explained.stdout, /decision: ALLOW/);
});

test('moodle-mcp serve --stdio from the global install, started in another directory with only MOODLE_URL and MOODLE_TOKEN', async () => {
  rmSync(elsewhere, { recursive: true, force: true });
  mkdirSync(elsewhere, { recursive: true });
  // Nothing else: the installation's config, policy and catalog are found from the installed package itself.
  const env: Record<string, string> = {
    PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
    HOME: elsewhere,
    MOODLE_URL: sim.url,
    MOODLE_TOKEN: simulatorTokens['emma.johansson']!,
  };
  const stderr = await siteInfoOverStdio({ command: join(prefix, 'bin/moodle-mcp'), args: ['serve', '--stdio'], env, cwd: elsewhere }, 'emma.johansson', 'package-test');
  assert.match(stderr, /serving MCP over stdio/);
  assert.ok(!existsSync(join(elsewhere, 'data')), 'nothing is written to the working directory');
});
