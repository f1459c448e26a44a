import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashApiKey } from '../../runtime/auth/crypto.ts';
import { createGatewayAuth } from '../../runtime/auth/gateway.ts';
import { FileStore } from '../../runtime/auth/store/index.ts';
import { parseConfig } from '../../runtime/config/index.ts';
import { fakeMoodle } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-gwauth-'));
after(() => rmSync(root, { recursive: true, force: true }));

const yaml = (dir: string, extra = '') => `
profiles:
  default: { scopes: [api.read, api.write] }
  demo: { scopes: [api.read, api.write], ip_allow: [127.0.0.0/8] }
connections:
  - { id: bot, key_sha256: ${hashApiKey('bot-key')}, moodle_token_env: BOT_TOKEN, profile: default, scopes: [api.read] }
store: { type: file, dir: ${JSON.stringify(dir)} }
${extra}`;
const req = (path: string, auth?: string) => new Request(`http://127.0.0.1:3000${path}`, { headers: auth ? { authorization: auth } : {} });

describe('createGatewayAuth', () => {
  it('simulator mode: demo keys on loopback, config keys, OAuth routes, a generated dev key', async () => {
    const dir = join(root, 'sim');
    const config = parseConfig(yaml(dir), 'test.yaml', {});
    const auth = await createGatewayAuth({ config, publicUrl: 'http://127.0.0.1:3000', simulated: true, moodle: fakeMoodle(), demoTokens: { student: 's', teacher: 't', manager: 'm' }, env: { BOT_TOKEN: 'bt' } });
    try {
      assert.equal((await auth.authenticate(req('/mcp', 'Bearer demo-teacher'), '127.0.0.1')).moodleToken, 't');
      assert.equal((await auth.authenticate(req('/mcp', 'Bearer bot-key'), '10.0.0.1')).moodleToken, 'bt');
      await assert.rejects(auth.authenticate(req('/mcp'), '127.0.0.1'), (e: { status: number; wwwAuthenticate: string }) =>
        e.status === 401 && e.wwwAuthenticate === 'Bearer scope="api.read api.write", resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"');
      const prm = await auth.handle(req('/.well-known/oauth-protected-resource/mcp'), '127.0.0.1');
      assert.equal((await prm!.json()).resource, 'http://127.0.0.1:3000/mcp');
      assert.equal(await auth.handle(req('/elsewhere'), '127.0.0.1'), undefined);
      assert.equal(statSync(join(dir, 'dev-encryption.key')).mode & 0o777, 0o600);
    } finally {
      await auth.close();
    }
  });

  it('simulator mode uses a configured encryption key, and a configured key that cannot be read is an error, not the dev key', async () => {
    const dir = join(root, 'sim-key');
    const key = Buffer.alloc(32, 7);
    const sim = { publicUrl: 'http://127.0.0.1:3000', simulated: true, moodle: fakeMoodle(), demoTokens: { student: 's', teacher: 't', manager: 'm' } };
    const auth = await createGatewayAuth({ ...sim, config: parseConfig(yaml(dir), 'test.yaml', {}), env: { BOT_TOKEN: 'bt', MOODLE_MCP_ENCRYPTION_KEY: key.toString('base64') } });
    try {
      assert.deepEqual(auth.keyring.current.key, key);
    } finally {
      await auth.close();
    }
    const missing = join(dir, 'missing.key');
    await assert.rejects(createGatewayAuth({ ...sim, config: parseConfig(yaml(dir, `secrets: { encryption_key_file: ${JSON.stringify(missing)} }`), 'test.yaml', {}), env: { BOT_TOKEN: 'bt' } }), /cannot read .*missing\.key \(ENOENT\)/);
    assert.ok(!existsSync(join(dir, 'dev-encryption.key')));
  });

  it('a failing store cleanup is logged (the message, nothing else)', async () => {
    const dir = join(root, 'cleanup');
    const config = parseConfig(yaml(dir), 'test.yaml', {});
    const store = new FileStore(dir);
    await store.migrate();
    store.deleteExpired = async () => { throw new Error('disk full'); };
    const logged: unknown[][] = [];
    const auth = await createGatewayAuth({
      config, publicUrl: 'http://127.0.0.1:3000', simulated: true, moodle: fakeMoodle(), demoTokens: { student: 's', teacher: 't', manager: 'm' },
      env: { BOT_TOKEN: 'bt' }, store, log: { error: (...args: unknown[]) => void logged.push(args) },
    });
    try {
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(logged, [[{ error: 'disk full' }, 'auth store cleanup failed']]);
    } finally {
      await auth.close();
      await store.close();
    }
  });

  it('with OAuth off the 401 challenge points to no resource metadata (none is served)', async () => {
    const dir = join(root, 'no-oauth');
    const config = parseConfig(yaml(dir, 'oauth: { enabled: false }'), 'test.yaml', {});
    const auth = await createGatewayAuth({ config, publicUrl: 'http://127.0.0.1:3000', simulated: true, moodle: fakeMoodle(), demoTokens: { student: 's', teacher: 't', manager: 'm' }, env: { BOT_TOKEN: 'bt' } });
    try {
      await assert.rejects(auth.authenticate(req('/mcp'), '127.0.0.1'), (e: { status: number; wwwAuthenticate: string }) =>
        e.status === 401 && e.wwwAuthenticate === 'Bearer scope="api.read"');
      assert.equal(await auth.handle(req('/.well-known/oauth-protected-resource/mcp'), '127.0.0.1'), undefined);
    } finally {
      await auth.close();
    }
  });

  it('against a real Moodle: no encryption key or a missing config-key secret stops the start, naming the setting', async () => {
    const dir = join(root, 'real');
    const config = parseConfig(yaml(dir, 'moodle: { url: "https://moodle.example.edu" }'), 'test.yaml', {});
    const base = { config, publicUrl: 'https://mcp.example.edu', simulated: false, moodle: fakeMoodle() };
    await assert.rejects(createGatewayAuth({ ...base, env: { BOT_TOKEN: 'bt' } }), /set MOODLE_MCP_ENCRYPTION_KEY/);
    assert.ok(!existsSync(join(dir, 'dev-encryption.key')));
    await assert.rejects(createGatewayAuth({ ...base, env: { MOODLE_MCP_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') } }), /connections\[0\] \(bot\): the Moodle token \(BOT_TOKEN\)/);
    const auth = await createGatewayAuth({ ...base, env: { BOT_TOKEN: 'bt', MOODLE_MCP_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') } });
    try {
      assert.equal(await auth.authenticate(req('/mcp', 'Bearer demo-student'), '127.0.0.1').catch((e) => e.status), 401, 'no demo keys against a real Moodle');
    } finally {
      await auth.close();
    }
  });
});
