import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { authenticateBearer } from '../../runtime/auth/bearer.ts';
import { FileStore } from '../../runtime/auth/store/index.ts';
import { runConnectionsCommand } from '../../runtime/cli/connections.ts';
import { runKeysCommand } from '../../runtime/cli/keys.ts';
import { parseConfig } from '../../runtime/config/index.ts';
import { fakeMoodle, Sink, testKeyring } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

const config = parseConfig(
  `moodle: { url: "http://moodle.test" }\nprofiles:\n  default: { scopes: [api.read, api.write] }\n  ro: { scopes: [api.read] }\nstore: { type: file, dir: ${JSON.stringify(join(root, 'data'))} }\n`,
  'test.yaml',
  {},
);

async function run(cmd: typeof runKeysCommand, argv: string[], deps: object) {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await cmd(argv, { stdout, stderr, config, ...deps });
  return { code, out: stdout.text, err: stderr.text };
}

describe('moodle-mcp keys / connections', async () => {
  const store = new FileStore(join(root, 'data'));
  await store.migrate();
  const keyring = testKeyring();
  const moodle = fakeMoodle();
  const token = moodle.tokenFor('teacher1');
  const tokenFile = join(root, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const audited: { event: string; connection_id?: string }[] = [];
  const deps = { store, keyring, getSiteInfo: moodle.getSiteInfo, env: { T: token }, audit: { record: (r: { event: string; connection_id?: string }) => void audited.push(r) } };

  it('create prints the key once (stdout) and never takes the token from argv', async () => {
    const r = await run(runKeysCommand, ['create', '--name', 'grader', '--profile', 'default', '--scopes', 'api.read,api.write', '--token-env', 'T'], deps);
    assert.equal(r.code, 0, r.err);
    const key = r.out.trim();
    assert.match(key, /^mmcp_\w{8}_\w{40}$/);
    assert.match(r.err, /only time the key is shown/);
    assert.ok(!r.err.includes(token) && !r.err.includes(key));
    const c = await authenticateBearer(`Bearer ${key}`, { store, keyring });
    assert.deepEqual(c?.scopes, ['api.read', 'api.write']);
    assert.equal(c?.moodleUser?.username, 'teacher1');

    const f = await run(runKeysCommand, ['create', '--name', 'reader', '--profile', 'ro', '--token-file', tokenFile], deps);
    assert.equal(f.code, 0, f.err);
    const bad = await run(runKeysCommand, ['create', '--name', 'x', '--profile', 'ro', '--token', token], deps);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--token: refused/);
  });

  it('usage errors name the option', async () => {
    assert.match((await run(runKeysCommand, ['create', '--profile', 'ro', '--token-env', 'T'], deps)).err, /--name: required/);
    assert.match((await run(runKeysCommand, ['create', '--name', 'n', '--profile', 'ro'], deps)).err, /exactly one of --token-env/);
    assert.match((await run(runKeysCommand, ['create', '--name', 'n', '--profile', 'ro', '--token-env', 'NOPE'], deps)).err, /NOPE is not set/);
    assert.match((await run(runKeysCommand, ['create', '--name', 'n', '--profile', 'ro', '--scopes', 'api.admin', '--token-env', 'T'], deps)).err, /unknown scope "api.admin"/);
    assert.match((await run(runKeysCommand, ['create', '--name', 'n', '--profile', 'ro', '--scopes', 'api.write', '--token-env', 'T'], deps)).err, /does not permit scope api.write/);
    assert.equal((await run(runKeysCommand, ['bogus'], deps)).code, 2);
    const admin = await run(runKeysCommand, ['create', '--name', 'n', '--profile', 'ro', '--token-env', 'A'], { ...deps, env: { A: moodle.tokenFor('admin') } });
    assert.equal(admin.code, 1);
    assert.match(admin.err, /site administrator/);
  });

  it('list shows keys without secrets; revoke revokes; connections list/revoke', async () => {
    const list = await run(runKeysCommand, ['list'], deps);
    assert.equal(list.code, 0);
    assert.match(list.out, /grader/);
    assert.match(list.out, /reader/);
    assert.ok(!list.out.includes(token));
    const json = JSON.parse((await run(runKeysCommand, ['list', '--json'], deps)).out);
    assert.equal(json.length, 2);
    assert.ok(json.every((r: object) => !('keyHash' in r) && !('moodleTokenEnc' in r)));
    const [grader, reader] = json;
    assert.equal((await run(runKeysCommand, ['revoke', grader.id], deps)).out, `revoked ${grader.id}\n`);
    assert.equal((await run(runKeysCommand, ['revoke', grader.id], deps)).out, `${grader.id} was already revoked\n`);
    assert.equal((await run(runKeysCommand, ['revoke', 'nope'], deps)).code, 1);
    const conns = await run(runConnectionsCommand, ['list'], deps);
    assert.ok(conns.out.includes(reader.id) && !conns.out.includes(grader.id));
    assert.ok((await run(runConnectionsCommand, ['list', '--all'], deps)).out.includes(grader.id));
    assert.match((await run(runConnectionsCommand, ['list', '--user', '4'], deps)).out, /reader/);
    assert.equal((await run(runConnectionsCommand, ['list', '--user', '99'], deps)).out, 'no connections\n');
    assert.equal((await run(runConnectionsCommand, ['revoke', reader.id], deps)).code, 0);
    assert.equal((await run(runConnectionsCommand, ['list'], deps)).out, 'no connections\n');
    assert.deepEqual(audited.map((r) => r.event), ['auth.key.created', 'auth.key.created', 'auth.key.revoked', 'auth.key.revoked']);
    assert.ok(!JSON.stringify(audited).includes(token));
  });
});
