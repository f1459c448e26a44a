import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../../runtime/catalog/index.ts';
import { ConfigError, loadConfig, parseConfig, policyDataFromConfig } from '../../runtime/config/index.ts';

const issuesOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /test\.yaml/);
    return error.issues;
  }
  assert.fail('expected a ConfigError');
};

test('the shipped moodle-mcp.config.yaml is valid and becomes policy data', async () => {
  const config = await loadConfig(fileURLToPath(new URL('../../moodle-mcp.config.yaml', import.meta.url)), {});
  assert.equal(config.mode, 'read-only');
  assert.equal(config.moodle.url, '');
  const data = policyDataFromConfig(config);
  assert.deepEqual(data.profiles['pm101-assistant'].courses, [2]);
  assert.equal(data.profiles.default.courses, null);
  assert.ok(data.site_level_functions.includes('core_webservice_get_site_info'));
});

// Functions whose answers hold no course data at all (reviewed): everything else in the default list must be filtered.
const NO_COURSE_DATA = new Set(['core_webservice_get_site_info']);

test('every default site-level function is filtered by course or returns no course data', async () => {
  const config = await loadConfig(fileURLToPath(new URL('../../moodle-mcp.config.yaml', import.meta.url)), {});
  const catalog = await loadCatalog();
  for (const name of config.site_level_functions) {
    const fn = catalog.get(name);
    assert.ok(fn, `${name} is in the catalog`);
    assert.ok(fn.outputCourseRefs.length > 0 || NO_COURSE_DATA.has(name), `${name}: results not filtered by course`);
  }
  // Course group conversations carry no course id to filter by.
  assert.equal(config.site_level_functions.includes('core_message_get_conversations'), false);
  assert.equal(config.site_level_functions.includes('core_message_get_unread_conversations_count'), false);
});

test('an empty file gets every default', () => {
  const config = parseConfig('profiles: { default: {} }\n', 'x.yaml', {});
  assert.equal(config.server.port, 3000);
  assert.equal(config.server.sessions, 'stateful');
  assert.deepEqual(config.profiles.default.scopes, ['api.read']);
  assert.deepEqual(config.audit.sinks, [{ type: 'stdout' }]);
});

test('errors name the path and the reason', () => {
  const issues = issuesOf(
    [
      'profiles:',
      '  default:',
      '    ip_allow: [10.0.0.0/33]',
      '    allow: ["Core Course"]',
      '    surprise: true',
      'connections:',
      '  - id: bot',
      '    key_env: BOT_KEY',
      '    moodle_token_env: BOT_TOKEN',
      '    profile: nope',
      'mode: write-everything',
    ].join('\n'),
  );
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
  assert.match(byPath['profiles.default.ip_allow[0]'], /CIDR/);
  assert.match(byPath['profiles.default.allow[0]'], /pattern/);
  assert.match(byPath['profiles.default'], /surprise/);
  assert.match(byPath['connections[0].profile'], /unknown profile "nope"/);
  assert.match(byPath.mode, /read-only|read-write/);
});

test('a connection needs exactly one key source and one token source', () => {
  const issues = issuesOf('profiles: { default: {} }\nconnections:\n  - { id: a, profile: default }\n');
  assert.ok(issues.some((i) => i.path === 'connections[0].key_env' && /exactly one/.test(i.message)));
  assert.ok(issues.some((i) => i.path === 'connections[0].moodle_token_env' && /exactly one/.test(i.message)));
});

test('YAML syntax errors give a line and column', () => {
  const issues = issuesOf('profiles: [1,\n');
  assert.match(issues[0].path, /line \d+, column \d+/);
});

test('duplicate keys are rejected rather than silently overwritten', () => {
  const issues = issuesOf('mode: read-only\nmode: read-write\n');
  assert.match(issues[0].message, /unique|duplicate/i);
});

test('environment variables override the Moodle URL and the port', () => {
  const config = parseConfig('profiles: { default: {} }\n', 'x.yaml', { MOODLE_URL: 'https://moodle.example.edu', MOODLE_MCP_PORT: '8443' });
  assert.equal(config.moodle.url, 'https://moodle.example.edu');
  assert.equal(config.server.port, 8443);
});

test('a missing file is a ConfigError naming the file', async () => {
  await assert.rejects(loadConfig('/nonexistent/moodle-mcp.config.yaml', {}), (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.message));
});

test('without a file argument, $MOODLE_MCP_CONFIG is read from the env given, not from the process', async () => {
  await assert.rejects(loadConfig(undefined, { MOODLE_MCP_CONFIG: '/nonexistent/from-env.yaml' }), (e: unknown) => e instanceof ConfigError && /from-env\.yaml/.test(e.message));
});

test('paths: relative to the config file when written there, defaults relative to the installation, never the working directory', async () => {
  const { INSTALL_ROOT } = await import('../../runtime/shared/install-root.ts');
  const { join } = await import('node:path');
  const { defaultConfigPath } = await import('../../runtime/config/index.ts');
  const text = [
    'profiles: { default: {} }',
    'policy: { wasm: build/p.wasm }',
    'secrets: { encryption_key_file: ../keys/k }',
    'audit:',
    '  sinks: [{ type: file, path: audit.jsonl }, { type: file, path: /var/log/a.jsonl }]',
    '  webhook: { url: "https://siem.example.edu/h", secret_file: s.txt }',
    'connections: [{ id: bot, key_env: BOT_KEY, moodle_token_file: tok, profile: default }]',
  ].join('\n');
  const config = parseConfig(text, '/etc/moodle-mcp/gw.yaml', {});
  assert.equal(config.policy.wasm, '/etc/moodle-mcp/build/p.wasm');
  assert.equal(config.policy.manifest, join(INSTALL_ROOT, 'policies/build/manifest.json'), 'a default: the installation');
  assert.equal(config.policy.sources, join(INSTALL_ROOT, 'policies'));
  assert.equal(config.store.dir, join(INSTALL_ROOT, 'data'));
  assert.equal(config.secrets.encryption_key_file, '/etc/keys/k');
  assert.deepEqual(config.audit.sinks.map((s) => (s.type === 'file' ? s.path : s.type)), ['/etc/moodle-mcp/audit.jsonl', '/var/log/a.jsonl']);
  assert.equal(config.audit.webhook?.secret_file, '/etc/moodle-mcp/s.txt');
  assert.equal(config.connections[0].moodle_token_file, '/etc/moodle-mcp/tok');
  assert.equal(parseConfig('profiles: { default: {} }\nstore: { dir: ./state }', '/srv/gw/c.yaml', {}).store.dir, '/srv/gw/state');

  // Without $MOODLE_MCP_CONFIG and without ./moodle-mcp.config.yaml, the installation's config.
  const cwd = process.cwd();
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const empty = mkdtempSync(join(tmpdir(), 'mmcp-cwd-'));
  try {
    process.chdir(empty);
    assert.equal(defaultConfigPath({}), join(INSTALL_ROOT, 'moodle-mcp.config.yaml'));
    assert.equal(defaultConfigPath({ MOODLE_MCP_CONFIG: 'x.yaml' }), join(empty, 'x.yaml'));
  } finally {
    process.chdir(cwd);
    rmSync(empty, { recursive: true, force: true });
  }
});
