// Every command and subcommand answers --help (exit 0, usage on stdout) without loading OAuth, so oidc-provider's
// "Unsupported runtime" warning never shows there; `serve` takes --host, --port and --config.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/net.ts';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

async function cli(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [`${ROOT}bin/moodle-mcp.mjs`, ...args], { cwd, timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

const HELP = [
  ['--help'], ['serve', '--help'], ['serve', '--stdio', '--help'], ['sim', '--help'], ['doctor', '--help'],
  ['policy', '--help'], ['policy', 'explain', '--help'], ['policy', 'diff', '--help'], ['policy', 'courses', '-h'],
  ['keys', '--help'], ['keys', 'create', '--help'], ['keys', 'list', '--help'], ['keys', 'revoke', '--help'],
  ['connections', '--help'], ['connections', 'list', '--help'], ['connections', 'revoke', '--help'],
  ['audit', '--help'], ['audit', 'export', '--help'], ['privacy', '--help'], ['privacy', 'export', '--help'], ['privacy', 'erase', '--help'],
];

test('every command and subcommand answers --help: exit 0, its usage on stdout, nothing on stderr', async () => {
  // Three at a time: each is a Node process.
  const results: { args: string[]; result: Awaited<ReturnType<typeof cli>> }[] = [];
  for (let i = 0; i < HELP.length; i += 3) results.push(...(await Promise.all(HELP.slice(i, i + 3).map(async (args) => ({ args, result: await cli(args) })))));
  for (const { args, result } of results) {
    const what = `moodle-mcp ${args.join(' ')}`;
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);
    assert.match(result.stdout, /^usage/im, what);
    if (args.length > 1) assert.ok(result.stdout.includes(args[0] === '--help' ? 'moodle-mcp' : `moodle-mcp ${args[0]}`), `${what} prints that command's usage`);
    assert.equal(result.stderr, '', `${what} prints nothing on stderr (no oidc-provider warning)`);
  }
  assert.match(results.find((r) => r.args.join(' ') === 'serve --help')!.result.stdout, /--port PORT[\s\S]*--host HOST|--host HOST[\s\S]*--port PORT/);
});

test('serve: --port and --host override the config; a bad --port is a usage error; a start-up failure is one line', async () => {
  const bad = await cli(['serve', '--port', '70000']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port must be an integer 0-65535, got "70000"/);
  const both = await cli(['serve', '--stdio', '--port', '3001']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--stdio listens on no port/);
  // A missing config file given with --config: one line naming it, no stack trace.
  const missing = await cli(['serve', '--config', '/nonexistent/moodle-mcp.config.yaml', '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/nonexistent\/moodle-mcp\.config\.yaml/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});

test('serve --host --port listens there, from any working directory (the installation config and policy)', async (t) => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'mmcp-serve-'));
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}bin/moodle-mcp.mjs`, 'serve', '--host', '127.0.0.1', '--port', String(port)], { cwd: elsewhere, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const deadline = Date.now() + 60_000;
  while (!stderr.includes('listening on') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(stderr, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}/mcp`), stderr);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  const stopped = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await stopped;
});

test('a start-up failure is one clear line with exit code 1; relative paths in a config are relative to its folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcp-badcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'gw.yaml'), 'profiles:\n  default: {}\npolicy:\n  wasm: build/missing.wasm\n');
  const result = await cli(['serve', '--config', join(dir, 'gw.yaml'), '--port', '0'], tmpdir());
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('oidc-provider WARNING') && !l.startsWith('{'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^moodle-mcp serve: /);
  assert.ok(lines[0].includes(join(dir, 'build', 'missing.wasm')), `the path is resolved against the config's folder: ${lines[0]}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});
