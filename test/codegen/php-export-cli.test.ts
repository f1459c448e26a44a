// codegen/moodle/cli/export_functions.php against a stand-in Moodle directory (a config.php written here that sets up
// the few globals the script and the exporter use, with test doubles; no Moodle code): it runs from any directory,
// stdout carries the document only, PHP and Moodle messages go to stderr, failures exit non-zero and leave no
// (or the previous) --out file, and it says which exporter class ran.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const hasPhp = spawnSync('php', ['--version']).status === 0;
const skip = hasPhp ? false : 'php is not installed (scripts/setup.sh installs php-cli)';
const script = fileURLToPath(new URL('../../codegen/moodle/cli/export_functions.php', import.meta.url));
const checkoutExporter = fileURLToPath(new URL('../../codegen/moodle/local_moodlemcp/classes/exporter.php', import.meta.url));
const stubs = fileURLToPath(new URL('./php/moodle-stubs.php', import.meta.url));

let root: string;
/** A stand-in Moodle whose behaviour FAKE_MOODLE selects: ok | noisy (messages on stdout, then fine) | dml (the export fails) | die. */
function fakeMoodle(dir: string) {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'lib', 'clilib.php'), '<?php\n');
  writeFileSync(join(dir, 'fakes.php'), `<?php
namespace core\\session {
    class manager { public static function set_user($user) {} }
}
namespace {
    define('MEMORY_HUGE', -1);
    class fake_db {
        public function get_records($table, $conditions = null, $sort = '') {
            if (getenv('FAKE_MOODLE') === 'dml') { throw new Exception('Error reading from database'); }
            return [];
        }
        public function get_records_sql($sql) { return []; }
    }
    function get_admin() { return (object)['id' => 2]; }
    function raise_memory_limit($limit) {}
    class core_php_time_limit { public static function raise($seconds = 0) {} }
}
`);
  writeFileSync(join(dir, 'config.php'), `<?php
require(${JSON.stringify(stubs)});
require(__DIR__ . '/fakes.php');
global $CFG, $DB;
$CFG = (object)['libdir' => __DIR__ . '/lib', 'release' => '4.5.6 (Build: 20250811)', 'version' => '2024100706', 'branch' => '405',
    'dbtype' => 'pgsql', 'wwwroot' => 'http://moodle.test'];
$DB = new fake_db();
if (getenv('FAKE_MOODLE') === 'noisy') {
    echo "Coding error detected, it must be fixed by a programmer\\n";
    trigger_error('a deprecated call', E_USER_DEPRECATED);
}
if (getenv('FAKE_MOODLE') === 'die') { echo '<p>Database connection failed</p>'; die; }
`);
}

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'export-cli-'));
  fakeMoodle(join(root, 'moodle'));
  mkdirSync(join(root, 'elsewhere'));
});
after(() => root && rmSync(root, { recursive: true, force: true }));

function run(args: string[], mode: string, cwd = join(root, 'elsewhere')) {
  const result = spawnSync('php', [script, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FAKE_MOODLE: mode } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('runs from any directory (relative --moodle and --out resolve against it) and names the exporter class it used', { skip }, () => {
  const out = run(['--moodle=../moodle', '--out', 'functions.json'], 'ok');
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, '');
  const document = JSON.parse(readFileSync(join(root, 'elsewhere', 'functions.json'), 'utf8')) as { format: string; functions: unknown[] };
  assert.equal(document.format, 'moodle-external-functions/1');
  assert.match(out.stderr, new RegExp(`exporter class from ${checkoutExporter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(this checkout\\)`));
  assert.match(out.stderr, /wrote 0 functions to .*elsewhere\/functions\.json/);
  // No temporary file is left behind.
  assert.deepEqual(readdirSync(join(root, 'elsewhere')), ['functions.json']);
  // Without --out the document goes to stdout, from yet another directory.
  const piped = run([`--moodle=${join(root, 'moodle')}`], 'ok', tmpdir());
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(JSON.parse(piped.stdout).format, 'moodle-external-functions/1');
});

test("Moodle's and PHP's messages go to stderr, never into the document", { skip }, () => {
  const out = run([`--moodle=${join(root, 'moodle')}`], 'noisy');
  assert.equal(out.status, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).format, 'moodle-external-functions/1');
  assert.match(out.stderr, /Coding error detected/);
  assert.match(out.stderr, /a deprecated call/);
});

test('a failing export exits non-zero, writes nothing to stdout and keeps the previous --out file', { skip }, () => {
  const target = join(root, 'elsewhere', 'kept.json');
  writeFileSync(target, '{"previous":true}\n');
  for (const mode of ['dml', 'die']) {
    const out = run([`--moodle=${join(root, 'moodle')}`, `--out=${target}`], mode);
    assert.equal(out.status, 1, `${mode}: ${out.stderr}`);
    assert.equal(out.stdout, '', mode);
    assert.equal(readFileSync(target, 'utf8'), '{"previous":true}\n', mode);
    assert.match(out.stderr, mode === 'dml' ? /export_functions\.php: Exception: Error reading from database/ : /Database connection failed.*\nexport_functions\.php: stopped before the document was complete/s, mode);
  }
  assert.ok(!readdirSync(join(root, 'elsewhere')).some((f) => f.includes('.tmp-')));
});

test('bad arguments: exit 2 with a message on stderr', { skip }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown argument --bogus/],
    [['--moodle=/nonexistent'], /no config\.php in \/nonexistent/],
    [['--out'], /--out needs a value/],
    [[`--moodle=${join(root, 'moodle')}`, '--out=/nonexistent/dir/f.json'], /--out: directory \/nonexistent\/dir does not exist/],
  ];
  for (const [args, message] of cases) {
    const out = run(args, 'ok');
    assert.equal(out.status, 2, args.join(' '));
    assert.equal(out.stdout, '');
    assert.match(out.stderr, message);
  }
  assert.ok(!existsSync('/nonexistent'));
});
