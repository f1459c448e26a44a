// Issue 17 items 2 and 5: a university's repository, as the README tells it to work. A copy of this repository
// regenerates generated/ from its own site (Moodle 5.0.6; a 4.5.6 site with an extra plugin), commits, runs the
// project's checks and tests, then edits a profile and a Rego rule, and `policy diff` shows the permission changes
// together with the catalog changes.
//
// The copies live in .tmp/forks/ inside this repository, so that Node finds this repository's node_modules from them
// (nothing is copied or linked). Instead of the whole `make test` (ten minutes and more on a loaded machine), each
// copy runs the part of it that depends on what generated/ holds, in one run of the test runner:
// - `make check-generated` without flags (the remembered source, codegen.source.json);
// - the site checks of generated/ (test/catalog/);
// - project tests that read generated output (test/codegen/catalog and exchanges: the codegen rules and the recorded
//   4.5.6 exchanges against the bundled 4.5.6 catalog, which the copy builds into its .tmp/ since generated/ holds
//   another site);
// - the gateway serving the site's catalog: every recorded exchange replayed through it (test/e2e/replay).
// The other tests either build their own fixtures or do not depend on which functions the catalog holds (a full
// `make test` with generated/ from 5.0.6 passed when this was written).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSnapshot } from '../../codegen/sources/snapshot.ts';
import { bundledCacheDir, bundledGeneratedDir, SNAPSHOT_5_0_6 } from '../helpers/bundled-catalog.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FORKS = join(ROOT, '.tmp/forks');
const PROJECT_TESTS = ['test/catalog/', 'test/codegen/catalog.test.ts', 'test/codegen/exchanges.test.ts', 'test/e2e/replay.test.ts'];
const GIT_USER = ['-c', 'user.name=University IT', '-c', 'user.email=it@university.invalid'];

function run(cwd: string, command: string, args: string[], timeout = 240_000) {
  // Without NODE_TEST_CONTEXT: the copy's test runner reports as a runner of its own, not as this test's child.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...env, NODE_ENV: 'test', MAKEFLAGS: '' } });
  const output = `$ ${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output };
}

function ok(cwd: string, command: string, args: string[]) {
  const result = run(cwd, command, args);
  assert.equal(result.status, 0, result.output.slice(-6000));
  return result;
}

/** A copy of this repository's tracked files (as in the working tree) plus the compiled policy, as a new git repository. */
function forkRepository(name: string): string {
  const dir = join(FORKS, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const files = run(ROOT, 'git', ['ls-files', '-z']).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  cpSync(join(ROOT, 'policies/build'), join(dir, 'policies/build'), { recursive: true });
  ok(dir, 'git', ['init', '-q', '-b', 'main']);
  ok(dir, 'git', ['add', '-A']);
  ok(dir, 'git', [...GIT_USER, 'commit', '-q', '-m', 'moodle-mcp as released']);
  ok(dir, 'git', ['tag', 'upstream']);
  return dir;
}

function remembered(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'codegen.source.json'), 'utf8')) as { from: string; release: string; source: string };
}

/** Generates from a snapshot inside the fork, commits, and runs the checks and tests that depend on generated/. */
function generateCommitAndTest(dir: string, snapshot: string, message: string) {
  const generated = ok(dir, 'make', ['-s', 'generate', `SNAPSHOT=${snapshot}`]);
  assert.deepEqual(remembered(dir).from, snapshot);
  ok(dir, 'git', ['add', '-A']);
  ok(dir, 'git', [...GIT_USER, 'commit', '-q', '-m', message]);
  // CI: no flags; the remembered source.
  assert.match(ok(dir, 'make', ['-s', 'check-generated']).stdout, /generated\/ is up to date/);
  const tests = run(dir, process.execPath, ['scripts/run-tests.mjs', ...PROJECT_TESTS], 400_000);
  assert.equal(tests.status, 0, tests.output.slice(-8000));
  assert.match(tests.stdout, /ℹ fail 0/);
  return generated;
}

describe('a university keeps its repository green on its own Moodle', { timeout: 600_000 }, () => {
  const forks: string[] = [];
  before(() => mkdirSync(FORKS, { recursive: true }));
  after(() => {
    for (const dir of forks) rmSync(dir, { recursive: true, force: true });
  });

  test('Moodle 5.0.6: generate, commit, CI green; a profile and a Rego rule change; policy diff shows permissions and catalog', () => {
    const dir = forkRepository('moodle-5.0.6');
    forks.push(dir);
    // The university puts its export in the repository (CI has only the repository) and generates from it.
    mkdirSync(join(dir, 'codegen/sources/snapshot'), { recursive: true });
    cpSync(SNAPSHOT_5_0_6, join(dir, 'codegen/sources/snapshot/functions-5.0.6.json'));
    const generated = generateCommitAndTest(dir, 'codegen/sources/snapshot/functions-5.0.6.json', 'generated from our Moodle 5.0.6');
    assert.match(generated.stdout, /snapshot: codegen\/sources\/snapshot\/functions-5\.0\.6\.json/);
    assert.equal(remembered(dir).release, '5.0.6+ (Build: 20260403)');
    const catalog = JSON.parse(readFileSync(join(dir, 'generated/catalog.json'), 'utf8')) as { moodle: { release: string; source: string }; functions: unknown[] };
    assert.equal(catalog.functions.length, 754);
    assert.equal(catalog.moodle.source, remembered(dir).source);

    // A pull request: the default profile closes the forums, and a Rego rule closes core_course for the assistant.
    const config = readFileSync(join(dir, 'moodle-mcp.config.yaml'), 'utf8');
    const edited = config.replace('deny: [core_auth_*, core_user_create_users', 'deny: [mod_forum_*, core_auth_*, core_user_create_users');
    assert.notEqual(edited, config, 'the shipped default profile has the expected deny list');
    writeFileSync(join(dir, 'moodle-mcp.config.yaml'), edited);
    appendFileSync(join(dir, 'policies/moodle_mcp.rego'),
      '\nfunction_reasons contains "core_course is closed for the assistant" if {\n\tinput.connection.profile == "pm101-assistant"\n\tstartswith(fn_name, "core_course_")\n}\n');
    ok(dir, 'git', ['checkout', '-q', '-b', 'close-forums']);
    ok(dir, 'git', [...GIT_USER, 'commit', '-q', '-am', 'close the forums; core_course closed for the assistant']);

    // Against the released repository: the permission changes and the catalog changes (5.0 removed mod_chat, added AI functions).
    const diff = ok(dir, process.execPath, ['--import', 'tsx', 'runtime/cli/main.ts', 'policy', 'diff', 'upstream']);
    const lines = diff.stdout.split('\n');
    assert.ok(lines.some((l) => /^\| default \| now denied \| mod_forum \(\d+ of \d+\): .* \| function <function> is denied by pattern 'mod_forum_\*' \|$/.test(l)), diff.stdout);
    assert.ok(lines.some((l) => /^\| pm101-assistant \| now denied \| core_course \(\d+ of \d+\): .* \| core_course is closed for the assistant \|$/.test(l)), diff.stdout);
    assert.ok(lines.includes('#### Catalog changes (generated/catalog.json from codegen and codegen/overrides.yaml)'), diff.stdout);
    assert.ok(lines.includes('| `mod_chat_send_chat_message` | removed |'), diff.stdout);
    assert.ok(lines.includes('| `mod_quiz_get_user_quiz_attempts` | added (read) |'), diff.stdout);
    assert.ok(lines.some((l) => /^\| default \| now denied \| .*mod_chat.* \| not in the catalog \(generated\/catalog\.json\) on this side \|$/.test(l)), diff.stdout);
  });

  test('a 4.5.6 site with an extra plugin (local_attendance): generate, commit, CI green', async () => {
    const dir = forkRepository('plugin-site');
    forks.push(dir);
    const site = loadSnapshot();
    const plugin = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/moodle/plugin-functions-local_attendance.json'), 'utf8')) as { functions: typeof site.functions };
    site.functions = [...site.functions, ...plugin.functions].sort((a, b) => (a.name < b.name ? -1 : 1));
    writeFileSync(join(dir, 'codegen/sources/snapshot/functions-our-site.json'), JSON.stringify(site, null, 2) + '\n');
    // The bundled output the project's tests need is this repository's (same codegen): given, not built again (the
    // 5.0.6 copy above builds its own).
    cpSync(await bundledGeneratedDir(), bundledCacheDir(dir), { recursive: true });
    const generated = generateCommitAndTest(dir, 'codegen/sources/snapshot/functions-our-site.json', 'generated from our site with local_attendance');
    // The plugin's id-like argument nobody classified is reported (and fails closed under a course restriction).
    assert.match(generated.stderr, /local_attendance_take_attendance: sessionid/);
    const catalog = JSON.parse(readFileSync(join(dir, 'generated/catalog.json'), 'utf8')) as { functions: { name: string; access: string }[] };
    assert.equal(catalog.functions.length, 762);
    assert.equal(catalog.functions.find((f) => f.name === 'local_attendance_take_attendance')?.access, 'write');
  });
});
